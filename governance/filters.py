"""The plan list's filters, search and sort (django-filter), all kept in the URL.

The queryset handed in comes from governance.selectors_plans.plans_for_list(), so it
is already limited to what the user may see and carries risk_score, is_overdue and
is_stalled. Filters on linked rows use subqueries, so a plan never appears twice.
"""

import django_filters
from django import forms
from django.db.models import F, Q

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
    location = django_filters.ModelChoiceFilter(
        label="Location", queryset=None, method="at_location", empty_label="Any location"
    )
    status = django_filters.ChoiceFilter(label="Status", choices=PlanStatus.choices, empty_label="Any status")
    quality_area = django_filters.ChoiceFilter(
        label="Quality area", choices=QualityArea.choices, empty_label="Any quality area"
    )
    key_question = django_filters.ModelChoiceFilter(
        label="Key question", queryset=None, method="under_key_question", empty_label="Any key question"
    )
    quality_statement = django_filters.ChoiceFilter(
        label="Quality statement",
        choices=[],
        method="linked_to_statement",
        empty_label="Any quality statement",
    )
    owner = django_filters.ModelChoiceFilter(label="Owner", queryset=None, empty_label="Anyone")
    risk = django_filters.ChoiceFilter(
        label="Risk", choices=selectors.RISK_LEVELS, method="at_risk", empty_label="Any risk"
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
        self.filters["location"].queryset = selectors.visible_locations(user=user, organisation=organisation)
        self.filters["key_question"].queryset = selectors.current_key_questions()
        self.filters["owner"].queryset = selectors.owners_of_visible_plans(user=user, organisation=organisation)
        self.filters["quality_statement"].extra["choices"] = selectors.grouped_statement_choices

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(problem_statement__icontains=value)
        )

    def at_location(self, queryset, name, location):
        return queryset.filter(pk__in=Plan.locations.through.objects.filter(location=location).values("plan_id"))

    def under_key_question(self, queryset, name, key_question):
        links = Plan.quality_statements.through.objects.filter(qualitystatement__key_question=key_question)
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
