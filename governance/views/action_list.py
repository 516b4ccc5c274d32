"""The action list: every action the user may see, across plans, with filters, sort and pages in the URL."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance.filters_actions import SORTS, ActionFilter
from governance.selectors_action_list import actions_for_list
from qip.decorators import member_required

PER_PAGE = 25
# Columns in table order: (heading, the sort key its link sets, or None when it does not sort).
COLUMNS = [
    ("Action", None),
    ("Plan", "plan"),
    ("Location", "location"),
    ("Owner", None),
    ("Status", "status"),
    ("Due", "due"),
    ("High risk", None),
]
SORT_KEYS = {key for key, _label in SORTS}


def _columns(current):
    """Each column's heading, the `o` its link sets (None: not sortable) and aria-sort when it is the current sort."""
    columns = []
    for label, key in COLUMNS:
        column = {"label": label, "next": key if key in SORT_KEYS else None, "aria_sort": ""}
        if key and current == key:
            column.update(next=f"-{key}", aria_sort="ascending")
        elif key and current == f"-{key}":
            column["aria_sort"] = "descending"
        columns.append(column)
    return columns


@member_required
@require_GET
def action_list(request):
    actions = actions_for_list(user=request.user, organisation=request.organisation)
    action_filter = ActionFilter(request.GET, queryset=actions, request=request)
    page = Paginator(action_filter.qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {"filter": action_filter, "page": page, "columns": _columns(action_filter.sort)}
    return render(request, "governance/action_list.html", context)
