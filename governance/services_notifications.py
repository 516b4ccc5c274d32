"""Writes of a person's own notification state: read marks and how optional kinds reach them.

Neither is written to the audit log: they change nothing about a plan, an action or a decision, only
what one person has seen and how they like to be told.
"""

from django.db import transaction
from django.utils import timezone

from governance.models import Notification, NotificationPreference
from governance.models_notifications import OPTIONAL_KINDS


def mark_read(*, user, notification, at=None):
    """Mark one of the user's notifications read (already read: left as it was). True when it changed."""
    mine = Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True)
    return bool(mine.update(read_at=at or timezone.now()))


def mark_all_read(*, user, organisation, at=None):
    """Mark every unread notification of the user in this organisation read; returns how many."""
    mine = Notification.objects.for_user(user, organisation).unread()
    return mine.update(read_at=at or timezone.now())


@transaction.atomic
def save_channels(*, user, channels):
    """Save {kind: channel} for the optional kinds as one row each; the always-immediate kinds are not choices."""
    rows = [
        NotificationPreference(user=user, kind=kind, channel=channel)
        for kind, channel in channels.items()
        if kind in OPTIONAL_KINDS
    ]
    NotificationPreference.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user", "kind"], update_fields=["channel"]
    )
    return rows
