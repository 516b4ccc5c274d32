"""Reads for the notification pages and the header's unread count.

Each starts from `Notification.objects.for_user()`, which already limits the rows to the person's own
in the organisations they still belong to, so someone else's notification is simply not found (404).
"""

from django.shortcuts import get_object_or_404

from governance.models import Notification, NotificationPreference
from governance.models_notifications import OPTIONAL_KINDS

UNREAD = "unread"
ALL = "all"
SHOW_CHOICES = [(ALL, "All"), (UNREAD, "Unread")]


def notifications(*, user, organisation, show=ALL):
    """The person's notifications here, newest first (the model's ordering); only unread ones when show=unread."""
    mine = Notification.objects.for_user(user, organisation)
    if show == UNREAD:
        mine = mine.unread()
    # The list shows the row's own fields only: nothing to join, so one query a page whatever its length.
    return mine.only("pk", "kind", "title", "body", "url", "created_at", "read_at").order_by("-created_at", "-pk")


def notification_for_user(*, user, organisation, pk):
    return get_object_or_404(Notification.objects.for_user(user, organisation), pk=pk)


# The header shows "99+" beyond this: a senior person at a large group can have tens of thousands
# unread, and counting them all on every page cost 55 ms.
UNREAD_COUNTED_UP_TO = 99


def unread_count(*, user, organisation):
    """The unread count up to UNREAD_COUNTED_UP_TO + 1, in one query that stops there."""
    unread = Notification.objects.for_user(user, organisation).unread().order_by()
    return unread[: UNREAD_COUNTED_UP_TO + 1].count()


def unread_label(count):
    return f"{UNREAD_COUNTED_UP_TO}+" if count > UNREAD_COUNTED_UP_TO else str(count)


def channels(*, user):
    """{kind: channel} of the person's saved choices for the optional kinds (no row: the digest)."""
    rows = NotificationPreference.objects.filter(user=user, kind__in=OPTIONAL_KINDS).values_list("kind", "channel")
    return dict(rows)
