"""The one table of legal status moves (DESIGN §5) and the primitive that makes a move.

Only the services in governance.services call `move`; each of them is the single
way into its target status, and the database refuses "closed" without an
approved sign-off of the action's own closure request (governance.db_guards).
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import ActionStatus as S
from qip import audit

ALLOWED = {
    S.OPEN: {S.IN_PROGRESS},
    S.IN_PROGRESS: {S.COMPLETED},
    S.COMPLETED: {S.ASSURANCE, S.IN_PROGRESS},
    S.ASSURANCE: {S.AWAITING_SIGNOFF, S.IN_PROGRESS},
    S.AWAITING_SIGNOFF: {S.CLOSED, S.ASSURANCE, S.IN_PROGRESS},
    S.CLOSED: {S.REOPENED},
    S.REOPENED: {S.IN_PROGRESS},
}


class TransitionNotAllowed(ValidationError):
    pass


class ClosureRefused(ValidationError):
    """The gate said no. Carries every failing criterion, not just the first."""

    def __init__(self, gate, failing=None):
        self.gate = gate
        self.failing = gate.failing if failing is None else failing
        super().__init__([criterion.sentence for criterion in self.failing])


def check_move(action, to):
    if to not in ALLOWED.get(action.status, set()):
        raise TransitionNotAllowed(
            f"An action that is {action.get_status_display().lower()} cannot become {S(to).label.lower()}."
        )


def move(action, to, *, actor, reason="", data=None, at=None, also_save=()):
    """Change the status (the caller holds the row lock and has checked the rules) and audit it.

    `also_save` names fields the caller set that must be written in the same UPDATE
    (closing needs its sign-off there, or the database refuses it).
    """
    check_move(action, to)
    before = action.status
    action.status = to
    fields = ["status", "updated_at", *also_save]
    now = at or timezone.now()
    if to == S.IN_PROGRESS and action.started_at is None:
        action.started_at = now
        fields.append("started_at")
    if to == S.COMPLETED:
        action.completed_at = now
        fields.append("completed_at")
    action.save(update_fields=fields)
    audit.record(
        action="action.status_changed",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=action,
        data={"from": before, "to": to, "reason": reason, **(data or {})},
    )
    return action
