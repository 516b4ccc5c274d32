"""Reads for governance screens; each starts from for_user()."""

from actions.models import Action, ActionStatus


def proposed_reopenings(*, user, organisation):
    """Closed actions with a concern proposing that they be reopened (for NIs and quality leads)."""
    return Action.objects.for_user(user, organisation).filter(
        status=ActionStatus.CLOSED, reopen_proposed_at__isnull=False
    )
