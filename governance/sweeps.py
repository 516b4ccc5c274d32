"""Sweeps: each scans for due work and claims it by inserting notifications (DESIGN §6).

Each sweep is a function `(today, now) -> int` (how many notifications or e-mails it made) in
SWEEPS. Beat runs them on a static schedule; `python manage.py run_sweeps [--only NAME]` runs
them once for people who prefer cron. Running any sweep twice, or on two workers at once, sends
nothing twice: the unique (recipient, key) notification row is the claim, and e-mails are claimed
by a conditional UPDATE before they are sent.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from governance import notify
from governance.models import Kind
from qip.audit import verify_all
from qip.models import Membership, Role

logger = logging.getLogger(__name__)

SWEEPS = {}
# The sweeps that look for due and overdue work, run hourly together (the rest have their own schedule).
REMINDER_SWEEPS = ["reviews", "steps_and_actions", "checks", "stability", "stalled"]


def sweep(name):
    def register(function):
        SWEEPS[name] = function
        return function

    return register


def run(name, *, now=None):
    now = now or timezone.now()
    made = SWEEPS[name](today=timezone.localdate(now), now=now)
    logger.info("sweep %s made %s", name, made)
    return made


# E-mail


@sweep("digest")
def daily_digest(*, today, now):
    """One digest per person per day, from DIGEST_HOUR (UK time), of what is waiting for it."""
    if timezone.localtime(now).hour < settings.DIGEST_HOUR:
        return 0
    cutoff = timezone.make_aware(datetime.combine(today, time(settings.DIGEST_HOUR)))
    made = 0
    for recipient_id, ids in notify.digest_candidates(before=min(now, cutoff)).items():
        made += notify.make_digest(recipient_id=recipient_id, notification_ids=ids, day=today) is not None
    return made


@sweep("pending_email")
def pending_email(*, today, now):
    """Send e-mails whose queueing was lost (a worker killed between commit and queue)."""
    notification_ids, digest_ids = notify.unsent(older_than=now - timedelta(minutes=5))
    sent = 0
    for pk in notification_ids:
        sent += _send_quietly(notify.send_notification_email, pk, now)
    for pk in digest_ids:
        sent += _send_quietly(notify.send_digest_email, pk, now)
    return sent


def _send_quietly(send, pk, now):
    try:
        return bool(send(pk, now=now))
    except Exception:  # left unclaimed for the next run; one bad address must not stop the rest
        logger.exception("E-mail %s %s failed; it will be tried again", send.__name__, pk)
        return False


# The audit log


@sweep("audit_chain")
def audit_chain(*, today, now):
    """Verify every organisation's audit chain; on a break, tell its admins and nominated individuals."""
    made = 0
    for report in verify_all():
        if report.intact:
            continue
        logger.error("Audit chain %s broken at event %s: %s", report.chain, report.seq, report.problem)
        if not report.chain.startswith("org:"):
            continue  # the system chain belongs to no organisation: the log line is its alarm
        organisation_id = int(report.chain.removeprefix("org:"))
        members = Membership.objects.filter(organisation_id=organisation_id, is_active=True)
        people = members.filter(Q(is_org_admin=True) | Q(role=Role.NOMINATED_INDIVIDUAL))
        for user_id in set(people.values_list("user_id", flat=True)):
            made += (
                notify.notify(
                    recipient_id=user_id,
                    organisation_id=organisation_id,
                    kind=Kind.AUDIT_CHAIN_BROKEN,
                    key=f"audit_chain:{organisation_id}:{today.isoformat()}",
                    title="The audit log check found a problem",
                    body=f"Event {report.seq}: {report.problem}. Open the audit log, run the check again and tell "
                    "your system administrator.",
                    url=reverse("audit_log"),
                    at=now,
                )
                is not None
            )
    return made
