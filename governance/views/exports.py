"""Downloads of the plan and action lists: the rows the current filters show, on every page, as CSV or XLSX."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from governance import exports
from governance import selectors_plans as plan_selectors
from governance.filters import PlanFilter
from governance.filters_actions import ActionFilter
from governance.selectors_action_list import actions_for_list
from qip.decorators import member_required


def _download(request, *, fmt, what, filterset, rows_for):
    # The same FilterSet the list uses, so the file holds the list's rows in the list's order.
    headers, rows = rows_for(filterset.qs)
    exports.record_export(
        what=what,
        fmt=fmt,
        rows=rows,
        filterset=filterset,
        actor=request.user,
        organisation=request.organisation,
    )
    response = HttpResponse(
        exports.render(fmt, headers, rows, title=what.capitalize()), content_type=exports.FORMATS[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(what, fmt)}"'
    return response


@member_required
@require_GET
def plan_export(request, fmt):
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    plans = plan_selectors.plans_for_list(user=request.user, organisation=request.organisation)
    plan_filter = PlanFilter(request.GET, queryset=plans, request=request)
    return _download(request, fmt=fmt, what="plans", filterset=plan_filter, rows_for=exports.plan_rows)


@member_required
@require_GET
def action_export(request, fmt):
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    actions = actions_for_list(user=request.user, organisation=request.organisation)
    action_filter = ActionFilter(request.GET, queryset=actions, request=request)
    return _download(request, fmt=fmt, what="actions", filterset=action_filter, rows_for=exports.action_rows)
