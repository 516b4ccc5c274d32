"""Reads for the sign-off inbox and the decision page. Each starts from `for_user()`.

The inbox offers the pending closure requests the user may decide: the gate's signer criteria (role, named
reviewer, independence; governance.gate) asked of the database, so the inbox pages through thousands of
requests without judging each in Python. The dashboard's "awaiting my sign-off" list
(governance.selectors_dashboard.awaiting_my_signoff) asks the gate itself; a test holds the two to the
same answers.
"""

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from actions import selectors as action_selectors
from actions.models import Action, ApprovalLevel, ClosureCriteria, Step
from evidence import selectors as evidence_selectors
from governance import audit_wording
from governance import gate as closure_gate
from governance.models import ClosureRequest, SignOff
from qip import permissions
from qip.models import Plan, Role


def sees_every_location(user, organisation):
    """True for a member with no listed locations: for_user() limits what they see to the organisation only."""
    membership = permissions.membership_in(user, organisation)
    return membership is not None and not membership.location_ids


def visible_requests(*, user, organisation):
    """Closure requests whose action or plan the user can see.

    A request carries its subject's organisation (governance.services sets it), so for a member who sees
    every location the organisation is the whole test; only a member limited to some locations needs the
    check of every action and plan they can see, which costs a scan of them all.
    """
    requests = ClosureRequest.objects.for_user(user, organisation)
    if sees_every_location(user, organisation):
        return requests
    return requests.filter(
        Q(action__in=Action.objects.for_user(user, organisation))
        | Q(plan__in=Plan.objects.for_user(user, organisation))
    )


def visible_signoffs(*, user, organisation):
    """Decisions on the requests the user can see (visible_requests); SignOff.for_user limits them to the
    organisation, which is all a member who sees every location needs."""
    signoffs = SignOff.objects.for_user(user, organisation)
    if sees_every_location(user, organisation):
        return signoffs
    return signoffs.filter(closure_request__in=visible_requests(user=user, organisation=organisation))


def _may_decide_action(user, role):
    """The gate's signer criteria for an action's request (gate.required_role, the named reviewer and
    gate.conflicted_people) as a condition on ClosureRequest.

    Each is "the action is not among these", a subquery read once, not a join per request: the inbox
    walks the pending requests in age order and stops at the end of the page.
    """
    if not closure_gate.role_allows(role, Role.QUALITY_LEAD):
        return Q(pk__in=[])
    owned = Action.objects.filter(owner=user).values("pk")
    stepped = Step.objects.filter(Q(who=user) | Q(done_by=user)).values("action_id")
    named_someone_else = (
        ClosureCriteria.objects.filter(named_reviewer__isnull=False).exclude(named_reviewer=user).values("action_id")
    )
    rule = Q(action__isnull=False) & ~Q(action__in=owned) & ~Q(action__in=stepped) & ~Q(action__in=named_someone_else)
    if not closure_gate.role_allows(role, Role.NOMINATED_INDIVIDUAL):
        rule &= Q(action__high_risk=False) & ~Q(action__criteria__approval_level=ApprovalLevel.NOMINATED_INDIVIDUAL)
    return rule


def _may_decide_plan(user, role):
    """The plan gate's signer criteria: a nominated individual who owns neither the plan nor any of its actions."""
    if role != Role.NOMINATED_INDIVIDUAL:
        return Q(pk__in=[])
    owned = Plan.objects.filter(owner=user).values("pk")
    with_an_action_owned = Action.objects.filter(owner=user).values("plan_id")
    return Q(plan__isnull=False) & ~Q(plan__in=owned) & ~Q(plan__in=with_an_action_owned)


def inbox(*, user, organisation):
    """Pending closure requests (actions and plans) the user may decide, oldest first: a queryset to page.

    Each row comes with what the inbox shows; a page's plan requests bring their locations in one more query.
    """
    membership = permissions.membership_in(user, organisation)
    if membership is None:
        return ClosureRequest.objects.none()
    may_decide = _may_decide_action(user, membership.role) | _may_decide_plan(user, membership.role)
    return (
        visible_requests(user=user, organisation=organisation)
        .pending()
        .filter(may_decide)
        .exclude(requested_by=user)
        .select_related("requested_by", "action__plan", "action__location", "plan")
        .prefetch_related("plan__locations")
        .order_by("requested_at", "pk")
    )


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
