"""The closure workflow's immediate notices (DESIGN §6): who is told, and what they are told.

governance.services calls these inside its transactions, one line each, so a notice commits or rolls
back with the decision it reports; notify() queues each e-mail only after the commit. Every key names
the event (a request, a sign-off, a reopening): one event tells each person once, however often it is
reported. Nobody is told about their own act, and only active members who can sign in are told.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from governance import gate, notify
from governance.models import Decision, Kind
from qip.models import Membership, Plan, Role

DECIDED = {
    Decision.APPROVED: "approved",
    Decision.CHALLENGED: "challenged",
    Decision.REJECTED: "rejected",
}
ACTION_NEXT = {
    Decision.APPROVED: "The action is closed; its post-closure checks are now scheduled.",
    Decision.CHALLENGED: "The action is back in assurance monitoring.",
    Decision.REJECTED: "The action is back in progress.",
}
PLAN_NEXT = {
    Decision.APPROVED: "The plan is closed.",
    Decision.CHALLENGED: "The plan is open again.",
    Decision.REJECTED: "The plan is open again.",
}


# Who


def _memberships(organisation_id):
    """Active memberships of people who can sign in, with their listed locations (none listed: all)."""
    return (
        Membership.objects.filter(organisation_id=organisation_id, is_active=True, user__is_active=True)
        .select_related("user")
        .prefetch_related("locations")
    )


def _sees(membership, location_ids):
    # permissions.can_see_location's rule, read from a membership already loaded with its locations.
    listed = set(membership.location_ids)
    return not listed or bool(listed & set(location_ids))


def _active(organisation_id, user_ids):
    """Those of `user_ids` who are still active members (an owner may have left since)."""
    members = Membership.objects.filter(
        organisation_id=organisation_id, is_active=True, user__is_active=True, user_id__in=set(user_ids)
    )
    return set(members.values_list("user_id", flat=True))


def action_deciders(closure_request):
    """Who may decide this action's request: the rule of selectors_dashboard._may_decide_action.

    Senior enough for the action (a nominated individual for high-risk), the named reviewer when the
    criteria name one, independent (not the owner, the requester or anyone who did a step), and able to
    see the action's location.
    """
    action = closure_request.action
    needed = gate.required_role(action)
    roles = [role for role in gate.ROLE_RANK if gate.role_allows(role, needed)]
    conflicted = gate.conflicted_people(action, list(action.steps.all()), closure_request)
    members = _memberships(closure_request.organisation_id).filter(role__in=roles)
    if named := action.criteria.named_reviewer_id:
        members = members.filter(user_id=named)
    return [m.user_id for m in members if m.user_id not in conflicted and _sees(m, [action.location_id])]


def plan_deciders(closure_request):
    """Nominated individuals who can see the plan and whom the plan's gate accepts as independent signers."""
    plan = Plan.objects.prefetch_related("actions__location", "locations").get(pk=closure_request.plan_id)
    location_ids = [location.pk for location in plan.locations.all()]
    members = _memberships(closure_request.organisation_id).filter(role=Role.NOMINATED_INDIVIDUAL)
    deciders = []
    for membership in members:
        if not _sees(membership, location_ids):
            continue
        # The gate's own signer rules (as the sign-off inbox applies them), so the two never disagree.
        result = gate.evaluate_plan_closure(plan, actor=membership.user, request=closure_request)
        if result.get(gate.SIGNER_ROLE).passed and result.get(gate.SIGNER_INDEPENDENT).passed:
            deciders.append(membership.user_id)
    return deciders


def _send(user_ids, *, organisation_id, kind, key, title, body, url):
    for user_id in sorted(set(user_ids)):
        notify.notify(
            recipient_id=user_id, organisation_id=organisation_id, kind=kind, key=key, title=title, body=body, url=url
        )


def _name(user):
    return user.get_full_name() or user.email


def _uk_time(moment):
    return f"{date_format(timezone.localtime(moment), 'j M Y H:i')} (UK time)"


# What


def signoff_requested(closure_request):
    """Tell everyone who may decide the request that it waits for them."""
    requester = _name(closure_request.requested_by)
    if closure_request.action_id:
        action = closure_request.action
        recipients = action_deciders(closure_request)
        title = f"Sign-off requested: {action.title}"
        risk = " It is a high-risk action: a nominated individual signs it off." if action.high_risk else ""
        body = (
            f"{requester} asked for closure of this action at {action.location.name} ({action.plan.reference})."
            f"{risk} Review the evidence and decide: approve, challenge or reject."
        )
    else:
        plan = closure_request.plan
        recipients = plan_deciders(closure_request)
        title = f"Sign-off requested: {plan.reference} {plan.title}"
        body = f"{requester} asked for closure of the whole plan; all its actions are closed. Review it and decide."
    _send(
        recipients,
        organisation_id=closure_request.organisation_id,
        kind=Kind.SIGNOFF_REQUESTED,
        key=f"signoff_requested:request:{closure_request.pk}",
        title=title,
        body=body,
        url=reverse("signoff_decide", args=[closure_request.pk]),
    )


def closure_decided(signoff):
    """Tell the requester and the owner of the action (or plan) what was decided, by whom, and why."""
    request = signoff.closure_request
    decision = Decision(signoff.decision)
    if request.action_id:
        subject, subject_name, what_next = request.action, request.action.title, ACTION_NEXT[decision]
        url = reverse("action_detail", args=[request.action_id]) + "#closure-decisions"
    else:
        plan = request.plan
        subject, subject_name, what_next = plan, f"{plan.reference} {plan.title}", PLAN_NEXT[decision]
        url = reverse("plan_detail", args=[request.plan_id])
    signer = signoff.printed_name or _name(signoff.signer)
    role = f" ({signoff.role})" if signoff.role else ""
    lines = [f"{signer}{role} {DECIDED[decision]} closure on {_uk_time(signoff.signed_at)}. {what_next}"]
    if signoff.reason:
        lines.append(f"Reason: {signoff.reason}")
    recipients = _active(request.organisation_id, {request.requested_by_id, subject.owner_id})
    _send(
        recipients - {signoff.signer_id},
        organisation_id=request.organisation_id,
        kind=Kind.CLOSURE_DECIDED,
        key=f"closure_decided:signoff:{signoff.pk}",
        title=f"Closure {DECIDED[decision]} by {signer}: {subject_name}",
        body="\n\n".join(lines),
        url=url,
    )


def action_reopened(reopening):
    """Tell the action's owner, the registered managers of its location and whoever signed the closure that no
    longer holds (not the person who reopened it)."""
    action = reopening.action
    organisation_id = action.plan.organisation_id
    managers = _memberships(organisation_id).filter(role=Role.REGISTERED_MANAGER)
    recipients = {m.user_id for m in managers if _sees(m, [action.location_id])}
    recipients |= _active(organisation_id, {action.owner_id, reopening.previous_signoff.signer_id})
    reopener = _name(reopening.reopened_by)
    body = (
        f"Reason: {reopening.reason}\n\nWhat led to it: {reopening.get_trigger_display().lower()}. "
        "The earlier closure and its signature stay on the record; closing it again needs a new request and sign-off."
    )
    _send(
        recipients - {reopening.reopened_by_id},
        organisation_id=organisation_id,
        kind=Kind.ACTION_REOPENED,
        key=f"reopened:reopening:{reopening.pk}",
        title=f"Reopened by {reopener}: {action.title}",
        body=body,
        url=reverse("action_detail", args=[action.pk]),
    )
