"""The action list's filters, search and sort (django-filter), all kept in the URL.

The queryset handed in comes from governance.selectors_action_list.actions_for_list(), so it
is already limited to what the user may see and carries is_overdue and status_rank.
"""

import django_filters
from django import forms
from django.db.models import F, Q
from django.db.models.functions import Lower

from actions.models import Action, ActionStatus
from governance import selectors_action_list as selectors
from governance.filters import CheckboxFilter
from governance.selectors_plans import visible_locations

# (value of `o`, column heading); "-" before a value sorts descending.
SORTS = [
    ("due", "Due"),
    ("status", "Status"),
    ("location", "Location"),
    ("plan", "Plan"),
]
DEFAULT_SORT = "due"
SORT_EXPRESSIONS = {
    "due": F("due_date"),
    "status": F("status_rank"),
    "location": Lower("location__name"),
    "plan": F("plan__reference"),
}


class ActionSortFilter(django_filters.OrderingFilter):
    """Sorts by one column; empty due dates sort last either way; due date, then pk, break ties."""

    def filter(self, qs, value):
        key = next((param for param in value or [] if param), DEFAULT_SORT)
        descending = key.startswith("-")
        expression = SORT_EXPRESSIONS[key.removeprefix("-")]
        ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
        return qs.order_by(ordered, F("due_date").asc(nulls_last=True), "pk")


class ActionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Plan reference or title, or action"}),
        help_text="Searches the plan's reference and title, and the action's title.",
    )
    location = django_filters.ModelChoiceFilter(label="Location", queryset=None, empty_label="Any location")
    status = django_filters.ChoiceFilter(label="Status", choices=ActionStatus.choices, empty_label="Any status")
    owner = django_filters.ModelChoiceFilter(label="Owner", queryset=None, empty_label="Anyone")
    high_risk = CheckboxFilter(label="High risk only", method="only_high_risk")
    overdue = CheckboxFilter(label="Overdue only", method="only_overdue", help_text="Live and past its due date.")
    o = ActionSortFilter(label="Sort by", fields=[(key, key) for key, _label in SORTS])

    class Meta:
        model = Action
        fields = []

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user, organisation = request.user, request.organisation
        self.filters["location"].queryset = visible_locations(user=user, organisation=organisation)
        self.filters["owner"].queryset = selectors.owners_of_visible_actions(user=user, organisation=organisation)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(plan__reference__icontains=value) | Q(plan__title__icontains=value) | Q(title__icontains=value)
        )

    def only_high_risk(self, queryset, name, value):
        return queryset.filter(high_risk=True) if value else queryset

    def only_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=True) if value else queryset

    @property
    def sort(self):
        """The current sort, e.g. "due" or "-status"."""
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
