"""Reads for the sign-off inbox and the decision page. Each starts from `for_user()`.

The inbox is the dashboard's "awaiting my sign-off" list (governance.selectors_dashboard.awaiting_my_signoff:
role, named reviewer and independence already checked), so the two screens never disagree.
"""

from django.db.models import Prefetch, Q
from django.db.models.query import prefetch_related_objects
from django.shortcuts import get_object_or_404

from actions import selectors as action_selectors
from actions.models import Action, Step
from evidence import selectors as evidence_selectors
from governance import audit_wording
from governance import gate as closure_gate
from governance.models import ClosureRequest, SignOff
from governance.selectors_dashboard import awaiting_my_signoff
from qip.models import Plan


def inbox(*, user, organisation):
    """Pending closure requests (actions and plans) the user may decide, oldest first.

    A fixed number of queries whatever the number of requests: the dashboard's list, then one query
    for the locations of the plan requests.
    """
    requests = awaiting_my_signoff(user=user, organisation=organisation)
    plan_requests = [request for request in requests if request.plan_id]
    if plan_requests:
        prefetch_related_objects(plan_requests, "plan__locations")
    return requests


def closure_request_for_user(*, user, organisation, pk):
    """One closure request whose action or plan the user can see (else 404), with what the page shows."""
    visible = ClosureRequest.objects.for_user(user, organisation).filter(
        Q(action__in=Action.objects.for_user(user, organisation))
        | Q(plan__in=Plan.objects.for_user(user, organisation))
    )
    return get_object_or_404(
        visible.select_related(
            "requested_by",
            "plan",
            "action__plan",
            "action__location",
            "action__owner",
            "action__criteria",
            "action__criteria__named_reviewer",
            "action__measure",
        ).prefetch_related(
            Prefetch("action__steps", queryset=Step.objects.select_related("who", "done_by").order_by("order", "pk")),
            "action__concerns",
            "plan__actions__location",
        ),
        pk=pk,
    )


def gate_for(*, user, closure_request):
    """The gate as it stands for this request, judged with the user as the would-be signer."""
    if closure_request.action_id:
        return closure_gate.evaluate_action_closure(closure_request.action, actor=user, request=closure_request)
    return closure_gate.evaluate_plan_closure(closure_request.plan, actor=user, request=closure_request)


def refusal(gate_result):
    """Why the user may not decide this request (the gate's signer sentences), or [] when they may."""
    lines = [gate_result.get(code) for code in (closure_gate.SIGNER_ROLE, closure_gate.SIGNER_INDEPENDENT)]
    return [line.sentence for line in lines if not line.passed]


def evidence_by_category(*, user, organisation, closure_request):
    """[(category, [items])] in the framework's category order; withdrawn items are kept (shown as such)."""
    if closure_request.action_id:
        items = evidence_selectors.evidence_for_action(user, organisation, closure_request.action)
    else:
        items = evidence_selectors.evidence_for_plan(user, organisation, closure_request.plan, include_actions=True)
    groups = {}
    for item in items:
        groups.setdefault(item.category_id, (item.category, []))[1].append(item)
    return sorted(groups.values(), key=lambda group: (group[0].order, group[0].pk))


def criteria_changes(*, closure_request):
    """Changes to the action's closure criteria after it started, oldest first, in words."""
    if not closure_request.action_id:
        return []
    return [
        {"event": event, "changes": audit_wording.change_list(event.data.get("changes"))}
        for event in action_selectors.criteria_history(criteria=closure_request.action.criteria)
    ]


def plan_actions(*, user, organisation, closure_request):
    """A plan request's actions (with their measures and locations), for the plan's decision page."""
    if not closure_request.plan_id:
        return []
    return list(
        Action.objects.for_user(user, organisation)
        .filter(plan_id=closure_request.plan_id)
        .select_related("location", "measure")
        .order_by("pk")
    )


def signoffs_of_request(*, user, organisation, closure_request):
    return list(
        SignOff.objects.for_user(user, organisation)
        .filter(closure_request=closure_request)
        .select_related("closure_request")
        .order_by("-signed_at", "-pk")
    )


def signoffs_for(*, user, organisation, subject):
    """Every decision on the closure requests of an action or a plan, newest first."""
    field = "closure_request__plan" if isinstance(subject, Plan) else "closure_request__action"
    return list(
        SignOff.objects.for_user(user, organisation)
        .filter(**{field: subject})
        .select_related("closure_request")
        .order_by("-signed_at", "-pk")
    )
