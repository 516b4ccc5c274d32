from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qip.tenancy import TenantQuerySet


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Awaiting sign-off"
    APPROVED = "approved", "Approved"
    CHALLENGED = "challenged", "Challenged"
    REJECTED = "rejected", "Rejected"


class ClosureRequestQuerySet(TenantQuerySet):
    organisation_path = "organisation"
    location_path = None

    def pending(self):
        return self.filter(status=RequestStatus.PENDING)


class ClosureRequest(models.Model):
    """A request to close an action, or a whole plan (exactly one of the two)."""

    organisation = models.ForeignKey("qip.Organisation", on_delete=models.PROTECT, related_name="+")
    action = models.ForeignKey(
        "actions.Action", null=True, blank=True, on_delete=models.PROTECT, related_name="closure_requests"
    )
    plan = models.ForeignKey(
        "qip.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="closure_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    bau_monitoring_plan = models.TextField("business-as-usual monitoring plan")
    closure_learning = models.TextField("closure learning")
    residual_risks = models.TextField(blank=True)
    gate_at_request = models.JSONField(default=list, help_text="The gate as it stood when closure was requested.")
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ClosureRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__isnull=False, plan__isnull=True) | Q(action__isnull=True, plan__isnull=False),
                name="closure_request_action_or_plan",
            ),
            models.UniqueConstraint(
                fields=["action"], condition=Q(status="pending"), name="closure_request_one_pending_per_action"
            ),
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status="pending"), name="closure_request_one_pending_per_plan"
            ),
        ]
        indexes = [
            # The sign-off inbox: an organisation's pending requests, oldest first, a page at a time.
            models.Index(
                fields=["organisation", "requested_at", "id"],
                condition=Q(status="pending"),
                name="closure_request_pending_age",
            ),
        ]

    def __str__(self):
        return f"Closure request for {self.action or self.plan}"

    @property
    def subject(self):
        return self.action or self.plan


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved for closure"
    CHALLENGED = "challenged", "Challenged: returned to assurance"
    REJECTED = "rejected", "Rejected: returned to in progress"


class SignOffQuerySet(TenantQuerySet):
    organisation_path = "closure_request__organisation"


class SignOff(models.Model):
    """An electronic signature on a closure decision. Written once; never changed."""

    closure_request = models.ForeignKey(ClosureRequest, on_delete=models.PROTECT, related_name="signoffs")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=150)
    role = models.CharField(max_length=60)
    signed_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    meaning = models.CharField(max_length=100)
    statement = models.TextField()
    reason = models.TextField(blank=True)
    snapshot = models.JSONField(help_text="Canonical snapshot of what was signed.")
    snapshot_hash = models.CharField(max_length=64)
    gate = models.JSONField(default=list, help_text="Every gate criterion as it stood at the decision.")
    stability_rule = models.CharField(max_length=20, blank=True)
    stability_params = models.JSONField(default=dict, blank=True)

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["closure_request"], condition=Q(decision="approved"), name="signoff_one_approval_per_request"
            ),
            models.CheckConstraint(
                condition=Q(decision="approved") | ~Q(reason=""), name="signoff_challenge_or_reject_has_reason"
            ),
        ]
        indexes = [
            # Oversight: the newest closures of a period.
            models.Index(fields=["signed_at"], condition=Q(decision="approved"), name="signoff_approved_signed_at"),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.printed_name}"


class CheckResult(models.TextChoices):
    DUE = "due", "Due"
    HOLDING = "holding", "Holding"
    DETERIORATED = "deteriorated", "Deteriorated"
    SUPERSEDED = "superseded", "Not needed: action reopened"


class PostClosureCheckQuerySet(TenantQuerySet):
    organisation_path = "action__plan__organisation"
    location_path = "action__location"

    def due_by(self, day):
        return self.filter(result=CheckResult.DUE, due_on__lte=day)


class PostClosureCheck(models.Model):
    """Created at closure for each offset; holding or deteriorated (which reopens the action)."""

    action = models.ForeignKey("actions.Action", on_delete=models.PROTECT, related_name="post_closure_checks")
    signoff = models.ForeignKey(SignOff, on_delete=models.PROTECT, related_name="post_closure_checks")
    offset_days = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    result = models.CharField(max_length=20, choices=CheckResult.choices, default=CheckResult.DUE)
    note = models.TextField(blank=True)
    evidence = models.ForeignKey(
        "evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    objects = PostClosureCheckQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["signoff", "offset_days"], name="check_unique_offset_per_closure"),
            models.CheckConstraint(
                condition=Q(result="due") | Q(recorded_at__isnull=False, recorded_by__isnull=False),
                name="check_result_has_who_and_when",
            ),
        ]
        indexes = [models.Index(fields=["result", "due_on"], name="check_result_due")]

    def __str__(self):
        return f"{self.offset_days}-day check of {self.action}"


class ReopenTrigger(models.TextChoices):
    CONCERN = "concern", "A concern matching the reopen triggers"
    FAILED_CHECK = "failed_check", "A failed post-closure check"
    JUDGEMENT = "judgement", "The reviewer's judgement"


class ReopeningQuerySet(TenantQuerySet):
    organisation_path = "action__plan__organisation"
    location_path = "action__location"


class Reopening(models.Model):
    """Why a closed action was reopened. The earlier closure and its sign-off stay on the record."""

    action = models.ForeignKey("actions.Action", on_delete=models.PROTECT, related_name="reopenings")
    previous_signoff = models.ForeignKey(SignOff, on_delete=models.PROTECT, related_name="reopenings")
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    trigger = models.CharField(max_length=20, choices=ReopenTrigger.choices)
    concern = models.ForeignKey("evidence.Concern", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    failed_check = models.ForeignKey(
        PostClosureCheck, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ReopeningQuerySet.as_manager()

    class Meta:
        ordering = ["-reopened_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="reopening_has_reason")]
        # Oversight: the reopenings of a period, newest first.
        indexes = [models.Index(fields=["reopened_at"], name="reopening_reopened_at")]

    def __str__(self):
        return f"{self.action} reopened {self.reopened_at:%Y-%m-%d}"


from governance.models_notifications import (  # noqa: E402
    Channel,
    DigestSend,
    Kind,
    Notification,
    NotificationPreference,
)
from governance.models_packs import Pack, PackScope, PackStatus  # noqa: E402
from governance.models_reviews import CadenceChange, CadenceTrigger, Rag, Review, ReviewDecision, ReviewLine  # noqa: E402

__all__ = [
    "CadenceChange",
    "Channel",
    "DigestSend",
    "Kind",
    "Notification",
    "NotificationPreference",
    "Pack",
    "PackScope",
    "PackStatus",
    "CadenceTrigger",
    "CheckResult",
    "ClosureRequest",
    "Decision",
    "PostClosureCheck",
    "Rag",
    "Reopening",
    "ReopenTrigger",
    "RequestStatus",
    "Review",
    "ReviewDecision",
    "ReviewLine",
    "SignOff",
]
