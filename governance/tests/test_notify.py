"""Notifications and their e-mails: made once per person and key, e-mailed once, retried after a failure."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from governance import notify, sweeps
from governance.models import Channel, DigestSend, Kind, Notification, NotificationPreference

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def make(person, org, kind=Kind.REVIEW_DUE, key="review_due:plan:1:2026-12-01", **extra):
    return notify.notify(
        recipient_id=person.pk, organisation_id=org.pk, kind=kind, key=key, title="Review of QIP-1 due", **extra
    )


def test_the_same_key_makes_one_notification_per_person(org, manager, quality):
    assert make(manager, org) is not None
    assert make(manager, org) is None
    assert make(quality, org) is not None
    assert Notification.objects.count() == 2


def test_an_immediate_kind_is_emailed_once_after_commit(org, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = make(manager, org, kind=Kind.SIGNOFF_REQUESTED, key="signoff:1", url="/signoff/1/")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [manager.email]
    assert "Review of QIP-1 due" in message.subject
    assert "http://127.0.0.1:8000/signoff/1/" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert notify.send_notification_email(notification.pk) is False  # already sent: not again
    assert len(mail.outbox) == 1


def test_a_failed_send_releases_its_claim_and_a_retry_sends_it_once(org, manager):
    notification = make(manager, org, kind=Kind.ACTION_REOPENED, key="reopened:1")
    failing = mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down"))
    with failing, pytest.raises(OSError):
        notify.send_notification_email(notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None and notification.email_claimed_at is None
    assert notification.email_attempts == 1
    assert notify.send_notification_email(notification.pk) is True
    assert notify.send_notification_email(notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_claimed_send_is_left_to_its_sender_until_the_lease_runs_out(org, manager):
    notification = make(manager, org, kind=Kind.CLOSURE_DECIDED, key="decided:1")
    now = datetime(2026, 11, 22, 10, tzinfo=LONDON)
    Notification.objects.filter(pk=notification.pk).update(email_claimed_at=now)
    assert notify.send_notification_email(notification.pk, now=now + timedelta(minutes=5)) is False
    assert notify.send_notification_email(notification.pk, now=now + timedelta(minutes=11)) is True
    assert len(mail.outbox) == 1


def test_choices_decide_the_channel_for_optional_kinds_only(org, manager):
    NotificationPreference.objects.create(user=manager, kind=Kind.REVIEW_DUE, channel=Channel.OFF)
    NotificationPreference.objects.create(user=manager, kind=Kind.SIGNOFF_REQUESTED, channel=Channel.OFF)
    assert make(manager, org).email_wanted == Channel.OFF
    assert make(manager, org, kind=Kind.SIGNOFF_REQUESTED, key="s:1").email_wanted == Channel.IMMEDIATE
    assert make(manager, org, kind=Kind.STEP_DUE, key="step:1").email_wanted == Channel.DIGEST


def test_the_digest_is_made_once_a_day_from_the_digest_hour_and_sent_once(
    org, manager, quality, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 11, 22, 5, tzinfo=LONDON), tick=False):
        make(manager, org, key="a")
        make(manager, org, kind=Kind.STEP_OVERDUE, key="b")
        make(manager, org, kind=Kind.SIGNOFF_REQUESTED, key="c")  # e-mailed at once, not in the digest
        make(quality, org, kind=Kind.REVIEW_DUE, key="d")
        NotificationPreference.objects.create(user=quality, kind=Kind.PLAN_STALLED, channel=Channel.OFF)
        make(quality, org, kind=Kind.PLAN_STALLED, key="e")  # off: in the app only
        mail.outbox.clear()
        assert sweeps.run("digest") == 0  # before 07:00
    with time_machine.travel(datetime(2026, 11, 22, 7, 20, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert sweeps.run("digest") == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert sweeps.run("digest") == 0
    assert sorted(message.to[0] for message in mail.outbox) == sorted([manager.email, quality.email])
    manager_mail = next(message for message in mail.outbox if message.to == [manager.email])
    assert "2 new items" in manager_mail.subject
    assert "Review due (1)" in manager_mail.body and "Step overdue (1)" in manager_mail.body
    assert DigestSend.objects.filter(sent_at__isnull=False).count() == 2


def test_pending_email_sends_what_lost_its_queueing_once(org, manager):
    # No on-commit callbacks run here: as if the worker died between commit and queueing.
    with time_machine.travel(datetime(2026, 11, 22, 9, tzinfo=LONDON), tick=False):
        make(manager, org, kind=Kind.SIGNOFF_REQUESTED, key="s:9")
    with time_machine.travel(datetime(2026, 11, 22, 9, 2, tzinfo=LONDON), tick=False):
        assert sweeps.run("pending_email") == 0  # younger than five minutes: its task may still be coming
    with time_machine.travel(datetime(2026, 11, 22, 9, 10, tzinfo=LONDON), tick=False):
        assert sweeps.run("pending_email") == 1
        assert sweeps.run("pending_email") == 0
    assert len(mail.outbox) == 1


def test_a_broken_audit_chain_tells_admins_and_nominated_individuals_once_a_day(org, admin, ni, quality, manager):
    from qip import audit
    from qip.models import AuditEvent

    audit.record(action="test.one", organisation=org)
    audit.record(action="test.two", organisation=org)
    with mock.patch("governance.sweeps.verify_all") as verify:
        verify.return_value = [audit.ChainReport(chain=f"org:{org.pk}", events=2, seq=2, problem="hash mismatch")]
        assert sweeps.run("audit_chain") == 2
        assert sweeps.run("audit_chain") == 0
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {admin.pk, ni.pk}
    assert AuditEvent.objects.count() == 2
