"""Plan closure: the plan page's Closure section and the page that puts a whole plan forward for sign-off.

A plan closes when every action is closed and an independent nominated individual signs it off
(DESIGN §4). The request goes through governance.services.request_plan_closure, which re-runs the
gate and refuses with every failing line; the decision is the sign-off screens' (views/signoff.py).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from governance import gate as closure_gate
from governance import selectors_plan_closure as selectors
from governance import selectors_plans, selectors_signoff, services
from governance.forms_plan_closure import PlanClosureRequestForm
from governance.gate import Criterion
from governance.transitions import ClosureRefused
from qip import permissions
from qip.decorators import member_required
from qip.forms_admin import add_service_errors
from qip.models import PlanStatus

REQUESTED = "Plan closure requested. The plan is awaiting sign-off by an independent nominated individual."


def closure_panel(*, user, organisation, plan, groups, all_actions=None):
    """What the Closure section shows: the locations, the gate, the pending request, every decision, and
    whether the user may put the plan forward now (or why it cannot be yet). A fixed number of queries.

    `all_actions`: every action of the plan, when the caller has them (the gate judges them all)."""
    pending, signoffs = _request_and_decisions(user, organisation, plan)
    is_open = plan.status == PlanStatus.OPEN
    if plan.status == PlanStatus.CLOSED:
        # The live gate would ask again for texts already written; what the signer saw is the record.
        closing = selectors.closing_signoff(signoffs)
        lines = [Criterion(**line) for line in closing.gate] if closing else []
        all_closed = None
    else:
        gate = closure_gate.evaluate_plan_closure(plan, request=pending, actions=all_actions)
        lines = gate.criteria
        all_closed = gate.get(closure_gate.ALL_ACTIONS_CLOSED)
    ready = bool(is_open and all_closed and all_closed.passed)
    return {
        "location_summary": selectors.location_summary(groups, plan_locations=len(plan.locations.all())),
        "gate_lines": lines,
        "pending": pending,
        "signoffs": signoffs,
        "is_open": is_open,
        "ready": ready,
        "not_ready_because": all_closed.sentence if is_open and all_closed and not all_closed.passed else "",
        "can_request": ready and permissions.can_request_plan_closure(user, plan),
        "can_decide": pending is not None and permissions.can_decide_closures(user, organisation),
    }


def _request_and_decisions(user, organisation, plan):
    """(pending request, sign-offs newest first). The plan page loaded the first with the plan and knows
    whether there are any of the second (selectors_plans.plan_for_page), sparing two queries."""
    if hasattr(plan, "pending_closure"):
        pending = plan.pending_closure
    else:
        pending = selectors.pending_request(user=user, organisation=organisation, plan=plan)
    if not getattr(plan, "has_decisions", True):
        return pending, []
    return pending, selectors_signoff.signoffs_for(user=user, organisation=organisation, subject=plan)


@member_required
@require_http_methods(["GET", "POST"])
def plan_request_closure(request, pk):
    user, organisation = request.user, request.organisation
    plan = get_object_or_404(selectors_plans.plan_for_detail(user=user, organisation=organisation), pk=pk)
    if not permissions.can_request_plan_closure(user, plan):
        raise PermissionDenied
    form = PlanClosureRequestForm(request.POST if request.method == "POST" else None)
    refused = []
    if request.method == "POST" and form.is_valid():
        try:
            services.request_plan_closure(actor=user, plan=plan, **form.cleaned_data)
        except ClosureRefused as error:  # a ValidationError: caught first
            refused = error.failing
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, REQUESTED)
            return redirect(reverse("plan_detail", args=[plan.pk]) + "#closure")
    actions = selectors_plans.plan_actions(user=user, organisation=organisation, plan=plan)
    groups = selectors_plans.actions_by_location(user=user, plan=plan, actions=actions)
    context = {
        "plan": plan,
        "form": form,
        "refused": refused,
        "groups": groups,
        "closure": closure_panel(user=user, organisation=organisation, plan=plan, groups=groups),
    }
    return render(request, "governance/plan_request_closure.html", context)
