"""Notifications: the in-app list, and what is e-mailed (at once or in the daily digest).

A notification row is also the reminder's claim: (recipient, key) is unique, so a sweep that runs
twice, or on two workers at once, inserts each reminder once and sends nothing twice (DESIGN §6).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from qip.tenancy import TenantQuerySet


class Kind(models.TextChoices):
    # Always e-mailed at once: someone is waiting on the reader, or something they signed has changed.
    SIGNOFF_REQUESTED = "signoff_requested", "Your sign-off is requested"
    CLOSURE_DECIDED = "closure_decided", "Your closure request was decided"
    ACTION_REOPENED = "action_reopened", "Action reopened"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken", "Audit log check failed"
    # Each person chooses: in the daily digest (the default), at once, or off (in the app only).
    REVIEW_DUE = "review_due", "Review due"
    REVIEW_OVERDUE = "review_overdue", "Review overdue"
    STEP_DUE = "step_due", "Step due"
    STEP_OVERDUE = "step_overdue", "Step overdue"
    ACTION_DUE = "action_due", "Action due"
    ACTION_OVERDUE = "action_overdue", "Action overdue"
    CHECK_DUE = "check_due", "Post-closure check due"
    CHECK_OVERDUE = "check_overdue", "Post-closure check overdue"
    STABILITY_REACHED = "stability_reached", "Ready to request closure"
    PLAN_STALLED = "plan_stalled", "Plan stalled"
    ESCALATION = "escalation", "Escalated to you: overdue"


ALWAYS_IMMEDIATE = {Kind.SIGNOFF_REQUESTED, Kind.CLOSURE_DECIDED, Kind.ACTION_REOPENED, Kind.AUDIT_CHAIN_BROKEN}
OPTIONAL_KINDS = [kind for kind in Kind if kind not in ALWAYS_IMMEDIATE]


class Channel(models.TextChoices):
    DIGEST = "digest", "In the daily digest"
    IMMEDIATE = "immediate", "E-mail at once"
    OFF = "off", "Off: in the app only"


class NotificationQuerySet(TenantQuerySet):
    def for_user(self, user, organisation=None):
        # A person's notifications are their own, in the organisations they still belong to.
        return super().for_user(user, organisation).filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class DigestSend(models.Model):
    """One daily digest e-mail to one person; the unique (recipient, day) row claims it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="digest_one_per_person_per_day")]
        indexes = [models.Index(fields=["sent_at"], name="digest_sent")]

    def __str__(self):
        return f"Digest for {self.recipient} on {self.day}"


class Notification(models.Model):
    organisation = models.ForeignKey("qip.Organisation", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="What this reminder is about; one per person per key.")
    level = models.PositiveSmallIntegerField(default=0, help_text="Escalation level: 0 is the person responsible.")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # E-mail: `email_wanted` is fixed when the row is made from the person's choice for this kind.
    email_wanted = models.CharField(max_length=20, choices=Channel.choices, default=Channel.DIGEST)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    digest = models.ForeignKey(DigestSend, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_one_per_key")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # A person's list, newest first, and the header's unread count: senior people at a large
            # group hold tens of thousands, and without these both were scans of all of them.
            models.Index(
                "recipient", "organisation", F("created_at").desc(), F("id").desc(), name="notification_list_order"
            ),
            models.Index(
                fields=["recipient", "organisation"], condition=Q(read_at__isnull=True), name="notification_unread_here"
            ),
            models.Index(
                fields=["email_wanted", "emailed_at"],
                name="notification_email_pending",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}: {self.title}"


class NotificationPreference(models.Model):
    """How one person wants one optional kind: digest (the default when there is no row), immediate or off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_one_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.channel}"
