"""Reads for the post-closure check and reopening screens; each starts from for_user()."""

from datetime import timedelta

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from actions.models import Action
from evidence.models import Concern, ConcernEffect, EvidenceItem
from governance.models import CheckResult, PostClosureCheck
from governance.selectors import proposed_reopenings

SOON_DAYS = 14


def due_checks(*, user, organisation):
    """Checks still to record, soonest first, with what the list shows."""
    return (
        PostClosureCheck.objects.for_user(user, organisation)
        .filter(result=CheckResult.DUE)
        .select_related("action__plan", "action__location", "signoff")
        .order_by("due_on", "pk")
    )


def grouped_due_checks(*, user, organisation, today):
    """{"overdue": [...], "soon": [...], "later": [...]} of due checks (soon: the next SOON_DAYS days)."""
    groups = {"overdue": [], "soon": [], "later": []}
    soon_until = today + timedelta(days=SOON_DAYS)
    for check in due_checks(user=user, organisation=organisation):
        if check.due_on < today:
            groups["overdue"].append(check)
        elif check.due_on <= soon_until:
            groups["soon"].append(check)
        else:
            groups["later"].append(check)
    return groups


def _reopen_concerns():
    return Prefetch(
        "concerns",
        queryset=Concern.objects.filter(effect=ConcernEffect.REOPEN_PROPOSED).order_by("-logged_at", "-pk"),
        to_attr="reopen_concerns",
    )


def reopenings_proposed(*, user, organisation):
    """Closed actions a concern proposes reopening, each with `proposing_concern` (the latest such concern)."""
    actions = list(
        proposed_reopenings(user=user, organisation=organisation)
        .select_related("plan", "location")
        .prefetch_related(_reopen_concerns())
        .order_by("reopen_proposed_at", "pk")
    )
    for action in actions:
        action.proposing_concern = action.reopen_concerns[0] if action.reopen_concerns else None
    return actions


def check_for_user(*, user, organisation, pk):
    return get_object_or_404(
        PostClosureCheck.objects.for_user(user, organisation).select_related(
            "action__plan", "action__location", "signoff"
        ),
        pk=pk,
    )


def action_for_user(*, user, organisation, pk):
    return get_object_or_404(
        Action.objects.for_user(user, organisation).select_related("plan", "location", "closing_signoff"), pk=pk
    )


def current_evidence(*, user, organisation, action):
    """The action's evidence that is not withdrawn, newest first."""
    return (
        EvidenceItem.objects.for_user(user, organisation)
        .current()
        .filter(action=action)
        .select_related("category")
        .order_by("-collected_on", "-pk")
    )


def proposing_concern(*, user, organisation, action):
    """The latest concern logged after closure that proposes reopening this action, or None."""
    if action.reopen_proposed_at is None:
        return None
    return (
        Concern.objects.for_user(user, organisation)
        .filter(action=action, effect=ConcernEffect.REOPEN_PROPOSED)
        .order_by("-logged_at", "-pk")
        .first()
    )
