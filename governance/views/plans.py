"""Plan screens: the list (filters, search, sort, pages), create, edit and the plan page."""

import importlib.util

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from governance import selectors_plans as selectors
from governance import selectors_reviews
from governance.filters import SORTS, PlanFilter
from governance.forms_plans import PlanForm
from governance.paging import page_with_total
from governance.views.plan_closure import closure_panel
from qip import permissions, plan_services
from qip.decorators import member_required
from qip.forms_admin import add_service_errors
from qip.models import PlanStatus

PER_PAGE = 25


def _partial(request):
    """An htmx request for part of the page (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _sort_columns(current):
    """For each sortable column: its key, the `o` its link sets, and aria-sort when it is the current sort."""
    columns = {}
    for key, _field, label in SORTS:
        if current == key:
            columns[key] = {"label": label, "next": f"-{key}", "aria_sort": "ascending"}
        elif current == f"-{key}":
            columns[key] = {"label": label, "next": key, "aria_sort": "descending"}
        else:
            columns[key] = {"label": label, "next": key, "aria_sort": ""}
    return columns


@member_required
@require_GET
def plan_list(request):
    plans = selectors.plans_for_list(user=request.user, organisation=request.organisation)
    plan_filter = PlanFilter(request.GET, queryset=plans, request=request)
    page = page_with_total(plan_filter.qs, page=request.GET.get("page"), per_page=PER_PAGE)
    for plan in page.object_list:
        plan.risk_level = selectors.risk_level(plan.risk_rating)
    context = {
        "filter": plan_filter,
        "page": page,
        "columns": _sort_columns(plan_filter.sort),
        "can_create": permissions.can_create_plan(request.user, request.organisation, []),
    }
    template = "governance/_plan_results.html" if _partial(request) else "governance/plan_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required
def plan_create(request):
    if not permissions.can_create_plan(request.user, request.organisation, []):
        raise PermissionDenied
    form = PlanForm(request.POST or None, user=request.user, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_services.create_plan(
                actor=request.user, organisation=request.organisation, **form.service_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{plan.reference} created.")
            return redirect("plan_detail", pk=plan.pk)
    return render(request, "governance/plan_form.html", {"form": form, "plan": None})


@member_required
def plan_edit(request, pk):
    plan = get_object_or_404(selectors.plan_for_detail(user=request.user, organisation=request.organisation), pk=pk)
    if not permissions.can_edit_plan(request.user, plan):
        raise PermissionDenied
    if plan.status == PlanStatus.CLOSED:
        messages.error(request, f"{plan.reference} is closed, so it cannot be edited. Reopen an action to work on it.")
        return redirect("plan_detail", pk=plan.pk)
    form = PlanForm(request.POST or None, user=request.user, organisation=request.organisation, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan_services.update_plan(actor=request.user, plan=plan, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{plan.reference} saved.")
            return redirect("plan_detail", pk=plan.pk)
    return render(request, "governance/plan_form.html", {"form": form, "plan": plan})


def charts_available():
    """True once the measure screens' {% measure_chart %} tag exists (evidence/templatetags/charts.py)."""
    try:
        return importlib.util.find_spec("evidence.templatetags.charts") is not None
    except ModuleNotFoundError:
        return False


@member_required
@require_GET
def plan_detail(request, pk):
    user, organisation = request.user, request.organisation
    plan = selectors.plan_for_page(user=user, organisation=organisation, pk=pk)
    actions, all_actions = selectors.plan_actions_and_all(user=user, organisation=organisation, plan=plan)
    history, history_total = selectors.plan_history(user=user, organisation=organisation, plan=plan, actions=actions)
    statements_by_key_question, regulations = selectors.plan_references(plan)
    today = selectors.uk_today()
    is_open = plan.status != PlanStatus.CLOSED
    groups = selectors.actions_by_location(user=user, plan=plan, actions=actions)
    context = {
        "plan": plan,
        "risk_level": selectors.risk_level(plan.risk_score),
        "statements_by_key_question": statements_by_key_question,
        "regulations": regulations,
        "groups": groups,
        "actions_total": len(actions),
        "actions_closed": sum(action.is_closed for action in actions),
        "measured": selectors.measured_actions(actions),
        "charts_available": charts_available(),
        "evidence_items": selectors.plan_evidence(user=user, organisation=organisation, plan=plan),
        "history": history,
        "history_total": history_total,
        "review_overdue": is_open and plan.next_review_date is not None and plan.next_review_date < today,
        "review_timeline": selectors_reviews.timeline(
            user=user,
            organisation=organisation,
            plan=plan,
            with_reviews=plan.has_reviews,
            with_changes=plan.has_cadence_changes,
        ),
        "can_record_review": is_open and permissions.can_record_review(user, plan),
        "target_passed": is_open and plan.target_date is not None and plan.target_date < today,
        "can_edit": is_open and permissions.can_edit_plan(user, plan),
        "can_add_action": is_open and permissions.can_create_action(user, plan, None),
        "can_add_evidence": permissions.can_add_evidence(user, plan),
        "can_make_pack": permissions.can_make_packs(user, organisation),
        "closure": closure_panel(
            user=user,
            organisation=organisation,
            plan=plan,
            groups=groups,
            all_actions=all_actions,
        ),
    }
    return render(request, "governance/plan_detail.html", context)
