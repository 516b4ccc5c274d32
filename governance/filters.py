"""The plan list's filters, search and sort (django-filter), all kept in the URL.

The queryset handed in comes from governance.selectors_plans.plans_for_list(), so it
is already limited to what the user may see and carries risk_score, is_overdue and
is_stalled. Filters on linked rows use subqueries, so a plan never appears twice.
"""

from functools import cache

import django_filters
from django import forms
from django.db.models import F, Q
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from governance import selectors_plans as selectors
from qip.models import Plan, PlanStatus, QualityArea

# (value of `o`, field sorted on, column heading); "-" before a value sorts descending.
SORTS = [
    ("reference", "reference", "Reference"),
    ("title", "title", "Title"),
    ("target", "target_date", "Target date"),
    ("review", "next_review_date", "Next review"),
    ("risk", "risk_rating", "Risk score"),
]
DEFAULT_SORT = "reference"


def _location_choices(locations):
    return list(locations.values_list("pk", "name"))


def _person_choices(people):
    # As User.__str__ words it, without building hundreds of users to ask them.
    return [(pk, full_name or email) for pk, full_name, email in people.values_list("pk", "full_name", "email")]


class Select(forms.Select):
    """A select whose options are written out directly, the same HTML as Django's (and named Select,
    as crispy forms gives the widget's class name as a CSS class).

    Django draws each option through a template of its own; these filters offer hundreds (every
    location and every owner), which took longer to draw than the plans took to find.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attrs, _options(self.choices, chosen))


def _options(choices, chosen):
    parts = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', value, _options(label, chosen)))
        else:
            selected = mark_safe(" selected") if str(value) in chosen else ""
            parts.append(format_html('<option value="{}"{}>{}</option>', value, selected, label))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


class SortFilter(django_filters.OrderingFilter):
    """Sorts by one column; empty dates sort last either way; reference breaks ties."""

    def filter(self, qs, value):
        key = next((param for param in value or [] if param), DEFAULT_SORT)
        descending = key.startswith("-")
        field = self.param_map[key.removeprefix("-")]
        expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return qs.order_by(expression, "reference", "pk")


class CheckboxFilter(django_filters.Filter):
    """A tick box: ticked narrows the list, unticked leaves it as it is."""

    field_class = forms.BooleanField


class PlanFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Reference, title or problem"}),
        help_text="Searches the reference, title and problem statement.",
    )
    location = django_filters.ChoiceFilter(
        label="Location", choices=[], method="at_location", empty_label="Any location", widget=Select
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=PlanStatus.choices, empty_label="Any status", widget=Select
    )
    quality_area = django_filters.ChoiceFilter(
        label="Quality area", choices=QualityArea.choices, empty_label="Any quality area", widget=Select
    )
    key_question = django_filters.ChoiceFilter(
        label="Key question",
        choices=[],
        method="under_key_question",
        empty_label="Any key question",
        widget=Select,
    )
    quality_statement = django_filters.ChoiceFilter(
        label="Quality statement",
        choices=[],
        method="linked_to_statement",
        empty_label="Any quality statement",
        widget=Select,
    )
    owner = django_filters.ChoiceFilter(label="Owner", choices=[], empty_label="Anyone", widget=Select)
    risk = django_filters.ChoiceFilter(
        label="Risk", choices=selectors.RISK_LEVELS, method="at_risk", empty_label="Any risk", widget=Select
    )
    overdue = CheckboxFilter(label="Overdue only", method="only_overdue", help_text="Open and past target date.")
    stalled = CheckboxFilter(
        label="Stalled only",
        method="only_stalled",
        help_text="Overdue with no new evidence or readings in two review cycles, or no measurable movement.",
    )
    o = SortFilter(
        label="Sort by",
        fields=[(field, param) for param, field, _ in SORTS],
        field_labels={field: label for _, field, label in SORTS},
    )

    class Meta:
        model = Plan
        fields = []

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user, organisation = request.user, request.organisation
        # Each list is read at most once, when first needed: the same list checks the value and draws the
        # options (a model choice field asks twice), and a filter left empty is not checked at all.
        locations = cache(lambda: _location_choices(selectors.visible_locations(user=user, organisation=organisation)))
        owners = cache(lambda: _person_choices(selectors.owners_of_visible_plans(user=user, organisation=organisation)))
        statements = cache(lambda: list(selectors.quality_statements_for_picker()))
        self.filters["location"].extra["choices"] = locations
        self.filters["owner"].extra["choices"] = owners
        self.filters["key_question"].extra["choices"] = lambda: selectors.key_question_choices(statements())
        self.filters["quality_statement"].extra["choices"] = lambda: selectors.grouped_statement_choices(statements())

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(problem_statement__icontains=value)
        )

    def at_location(self, queryset, name, location_pk):
        links = Plan.locations.through.objects.filter(location_id=int(location_pk))
        return queryset.filter(pk__in=links.values("plan_id"))

    def under_key_question(self, queryset, name, key_question_pk):
        links = Plan.quality_statements.through.objects.filter(qualitystatement__key_question_id=int(key_question_pk))
        return queryset.filter(pk__in=links.values("plan_id"))

    def linked_to_statement(self, queryset, name, statement_pk):
        links = Plan.quality_statements.through.objects.filter(qualitystatement_id=int(statement_pk))
        return queryset.filter(pk__in=links.values("plan_id"))

    def at_risk(self, queryset, name, level):
        low, high = selectors.RISK_RANGES[level]
        return queryset.filter(risk_rating__gte=low, risk_rating__lte=high)

    def only_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=True) if value else queryset

    def only_stalled(self, queryset, name, value):
        return queryset.filter(is_stalled=True) if value else queryset

    @property
    def sort(self):
        """The current sort, e.g. "title" or "-risk"."""
        if self.form.is_valid():
            chosen = [param for param in self.form.cleaned_data.get("o") or [] if param]
            if chosen:
                return chosen[0]
        return DEFAULT_SORT

    @property
    def active(self):
        """True when any filter or search (not the sort) narrows the list."""
        if not self.form.is_valid():
            return False
        return any(value not in (None, "", False, []) for name, value in self.form.cleaned_data.items() if name != "o")
