"""Making notifications and sending their e-mails (DESIGN §6).

`notify()` inserts one notification per recipient and key in its own savepoint: the unique
(recipient, key) row is the claim, so a sweep run twice, or by two workers at once, makes each
reminder once. An e-mail wanted at once is queued after the transaction commits; if that never
happens (the worker died in between), the `pending_email` sweep finds the row and sends it. Each
send claims its row with a conditional UPDATE first, so two senders never both send.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from governance.models import Channel, DigestSend, Kind, Notification, NotificationPreference
from governance.models_notifications import ALWAYS_IMMEDIATE

logger = logging.getLogger(__name__)


def claim_lease():
    """A claim older than this belongs to a sender that died; another may take it."""
    return timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)


def channel_for(user_id, kind, preferences=None):
    """digest, immediate or off for this person and kind (`preferences`: {(user_id, kind): channel}, preloaded)."""
    if kind in ALWAYS_IMMEDIATE:
        return Channel.IMMEDIATE
    if preferences is not None:
        return preferences.get((user_id, kind), Channel.DIGEST)
    chosen = NotificationPreference.objects.filter(user_id=user_id, kind=kind).values_list("channel", flat=True)
    return chosen.first() or Channel.DIGEST


def load_preferences(user_ids):
    rows = NotificationPreference.objects.filter(user_id__in=set(user_ids)).values_list("user_id", "kind", "channel")
    return {(user_id, kind): channel for user_id, kind, channel in rows}


def notify(*, recipient_id, organisation_id, kind, key, title, body="", url="", level=0, preferences=None, at=None):
    """Make the notification unless this person already has one with this key. Returns it, or None."""
    wanted = channel_for(recipient_id, kind, preferences)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                organisation_id=organisation_id,
                recipient_id=recipient_id,
                kind=kind,
                key=key[:200],
                level=level,
                title=title[:300],
                body=body,
                url=url,
                created_at=at or timezone.now(),
                email_wanted=wanted,
            )
    except IntegrityError:
        return None
    if wanted == Channel.IMMEDIATE:
        transaction.on_commit(lambda: _queue_email(notification.pk))
    return notification


BATCH = 500


def notify_many(reminders, *, preferences, at=None):
    """Make many notifications nobody has yet (checked with already_sent), a batch per transaction.

    Each reminder has recipient_id, organisation_id, kind, key, title, body, url and level. A batch that
    meets a row another sweep made since the check falls back to one savepoint per row, so the claim
    still holds; a crash loses at most the uncommitted batch, which the next run makes again.
    """
    made = 0
    for start in range(0, len(reminders), BATCH):
        made += _insert_batch(reminders[start : start + BATCH], preferences, at or timezone.now())
    return made


def _insert_batch(batch, preferences, at):
    rows = [
        Notification(
            organisation_id=reminder.organisation_id,
            recipient_id=reminder.recipient_id,
            kind=reminder.kind,
            key=reminder.key[:200],
            level=reminder.level,
            title=reminder.title[:300],
            body=reminder.body,
            url=reminder.url,
            created_at=at,
            email_wanted=channel_for(reminder.recipient_id, reminder.kind, preferences),
        )
        for reminder in batch
    ]
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows)
    except IntegrityError:
        return sum(
            notify(
                recipient_id=row.recipient_id,
                organisation_id=row.organisation_id,
                kind=row.kind,
                key=row.key,
                title=row.title,
                body=row.body,
                url=row.url,
                level=row.level,
                preferences=preferences,
                at=at,
            )
            is not None
            for row in rows
        )
    for notification in created:
        if notification.email_wanted == Channel.IMMEDIATE:
            transaction.on_commit(partial(_queue_email, notification.pk))
    return len(created)


def already_sent(keys_by_recipient):
    """{(recipient_id, key)} of those that exist, to skip them without a savepoint each."""
    pairs = set()
    recipients = {recipient for recipient, _key in keys_by_recipient}
    keys = {key for _recipient, key in keys_by_recipient}
    if not keys:
        return pairs
    rows = Notification.objects.filter(recipient_id__in=recipients, key__in=keys).values_list("recipient_id", "key")
    return set(rows)


def _queue_email(notification_id):
    from governance import tasks

    try:
        tasks.send_notification_email.delay(notification_id)
    except Exception:  # the broker is down: the pending_email sweep sends it later
        logger.exception("Could not queue the e-mail for notification %s", notification_id)


def _claim(queryset, now):
    stale = now - claim_lease()
    return queryset.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale)).update(claimed_at=now)


def _absolute(url):
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url else settings.SITE_URL


def send_notification_email(notification_id, *, now=None):
    """Send one notification's e-mail, once. True when sent now; False when not wanted or already sent/claimed."""
    now = now or timezone.now()
    stale = now - claim_lease()
    claimed = (
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True, email_wanted=Channel.IMMEDIATE)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale))
        .update(email_claimed_at=now)
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient", "organisation").get(pk=notification_id)
    context = {"notification": notification, "link": _absolute(notification.url), "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"{notification.title} · {notification.organisation.name}",
        body=render_to_string("emails/notification.txt", context),
        to=[notification.recipient.email],
        headers={"Message-ID": f"<notification-{notification.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"},
    )
    message.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
    try:
        message.send()
    except Exception:
        Notification.objects.filter(pk=notification_id).update(
            email_claimed_at=None, email_attempts=notification.email_attempts + 1
        )
        raise
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return True


# The daily digest


def digest_candidates(*, before):
    """Notifications waiting for a digest, made before `before`, grouped by recipient id."""
    pending = Notification.objects.filter(
        email_wanted=Channel.DIGEST, digest__isnull=True, emailed_at__isnull=True, created_at__lt=before
    ).values_list("recipient_id", "pk")
    grouped = {}
    for recipient_id, pk in pending:
        grouped.setdefault(recipient_id, []).append(pk)
    return grouped


def make_digest(*, recipient_id, notification_ids, day):
    """Claim today's digest for this person and put the waiting notifications in it. None if already made."""
    try:
        with transaction.atomic():
            digest = DigestSend.objects.create(recipient_id=recipient_id, day=day)
            Notification.objects.filter(pk__in=notification_ids, digest__isnull=True).update(digest=digest)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _queue_digest(digest.pk))
    return digest


def _queue_digest(digest_id):
    from governance import tasks

    try:
        tasks.send_digest_email.delay(digest_id)
    except Exception:
        logger.exception("Could not queue digest %s", digest_id)


def send_digest_email(digest_id, *, now=None):
    """Send one digest, once: claimed by a conditional UPDATE, marked sent after the send."""
    now = now or timezone.now()
    if not _claim(DigestSend.objects.filter(pk=digest_id, sent_at__isnull=True), now):
        return False
    digest = DigestSend.objects.select_related("recipient").get(pk=digest_id)
    items = list(digest.items.select_related("organisation").order_by("organisation__name", "kind", "-created_at"))
    if not items:
        DigestSend.objects.filter(pk=digest_id).update(sent_at=timezone.now())
        return False
    groups = {}
    for item in items:
        item.link = _absolute(item.url)
        groups.setdefault((item.organisation.name, item.get_kind_display()), []).append(item)
    context = {
        "digest": digest,
        "groups": [(org, kind, rows) for (org, kind), rows in groups.items()],
        "count": len(items),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"Your daily summary: {len(items)} new item{'s' if len(items) != 1 else ''}",
        body=render_to_string("emails/digest.txt", context),
        to=[digest.recipient.email],
        headers={"Message-ID": f"<digest-{digest.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"},
    )
    message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
    try:
        message.send()
    except Exception:
        DigestSend.objects.filter(pk=digest_id).update(claimed_at=None, attempts=digest.attempts + 1)
        raise
    DigestSend.objects.filter(pk=digest_id).update(sent_at=timezone.now())
    return True


def unsent(*, older_than):
    """E-mails that should have gone and have not (their queueing was lost): ids of notifications and digests."""
    notifications = Notification.objects.filter(
        email_wanted=Channel.IMMEDIATE, emailed_at__isnull=True, created_at__lt=older_than
    ).values_list("pk", flat=True)
    digests = DigestSend.objects.filter(sent_at__isnull=True, created_at__lt=older_than).values_list("pk", flat=True)
    return list(notifications), list(digests)


__all__ = ["Kind", "notify", "send_notification_email", "send_digest_email"]
