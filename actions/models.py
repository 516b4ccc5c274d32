from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qip.tenancy import TenantQuerySet


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    ASSURANCE = "assurance", "In assurance"
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


class ApprovalLevel(models.TextChoices):
    QUALITY_LEAD = "quality_lead", "Quality lead or nominated individual"
    NOMINATED_INDIVIDUAL = "nominated_individual", "Nominated individual"


class StabilityRule(models.TextChoices):
    TARGET_HELD = "target_held", "Target held"
    SPC = "spc", "SPC (Making Data Count)"


class ActionQuerySet(TenantQuerySet):
    organisation_path = "plan__organisation"
    location_path = "location"


class Action(models.Model):
    """An improvement action: the unit that is closed. One location each (DESIGN §3)."""

    plan = models.ForeignKey("qip.Plan", on_delete=models.PROTECT, related_name="actions")
    location = models.ForeignKey("qip.Location", on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(max_length=300)
    baseline_issue = models.TextField(blank=True)
    measurable_improvement = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_actions")
    due_date = models.DateField(null=True, blank=True)
    high_risk = models.BooleanField(default=False)
    high_risk_reason = models.CharField(max_length=200, blank=True)
    what_can_go_wrong = models.TextField(blank=True)
    early_warning_signs = models.TextField(blank=True)
    escalation = models.TextField(blank=True)
    monitoring = models.TextField(blank=True, help_text="What is audited, by whom, how often.")
    reopen_triggers = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The approved sign-off behind the current closure; a DB constraint makes it required for "closed".
    closing_signoff = models.OneToOneField(
        "governance.SignOff", null=True, blank=True, on_delete=models.PROTECT, related_name="closed_action"
    )
    reopen_proposed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "location__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closing_signoff__isnull=False) & Q(closed_at__isnull=False)),
                name="action_closed_has_signoff",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="action_status"),
            # Lists count each plan's actions by status (closed of total); without it PostgreSQL may
            # walk every closed action of every plan for each row.
            models.Index(fields=["plan", "status"], name="action_plan_status"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_closed(self):
        return self.status == ActionStatus.CLOSED


class StepQuerySet(TenantQuerySet):
    organisation_path = "action__plan__organisation"
    location_path = "action__location"


class Step(models.Model):
    """Who does what, by when, and where it is recorded."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    what = models.TextField()
    who = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    who_role = models.CharField("role words", max_length=100, blank=True, help_text="For example 'senior carer'.")
    due_date = models.DateField(null=True, blank=True)
    recorded_where = models.CharField(max_length=200, blank=True, help_text="For example 'practice competency log'.")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.TextField(blank=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["action", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="step_done_has_who_and_when",
            )
        ]

    def __str__(self):
        return self.what[:80]

    @property
    def is_done(self):
        return self.done_at is not None


DEFAULT_POST_CLOSURE_OFFSETS = [30, 90]


def default_offsets():
    return list(DEFAULT_POST_CLOSURE_OFFSETS)


class ClosureCriteriaQuerySet(TenantQuerySet):
    organisation_path = "action__plan__organisation"
    location_path = "action__location"


class ClosureCriteria(models.Model):
    """Agreed when the action starts; later changes need a reason and are audited (DESIGN §3)."""

    action = models.OneToOneField(Action, on_delete=models.PROTECT, related_name="criteria")
    min_evidence_categories = models.PositiveSmallIntegerField(default=2)
    stability_rule = models.CharField(max_length=20, choices=StabilityRule.choices, default=StabilityRule.TARGET_HELD)
    window_days = models.PositiveSmallIntegerField(default=56)
    min_readings = models.PositiveSmallIntegerField(default=4)
    spc_baseline_points = models.PositiveSmallIntegerField(default=12)
    spc_shift_run = models.PositiveSmallIntegerField(default=7)
    spc_trend_run = models.PositiveSmallIntegerField(default=7)
    approval_level = models.CharField(max_length=30, choices=ApprovalLevel.choices, default=ApprovalLevel.QUALITY_LEAD)
    named_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    post_closure_offsets = models.JSONField(default=default_offsets, help_text="Days after closure, e.g. [30, 90].")
    agreed_at = models.DateTimeField(default=timezone.now)
    changed_after_start = models.BooleanField(default=False)

    objects = ClosureCriteriaQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "closure criteria"
        constraints = [
            models.CheckConstraint(condition=Q(min_evidence_categories__gte=1), name="criteria_min_categories"),
            models.CheckConstraint(condition=Q(min_readings__gte=1), name="criteria_min_readings"),
        ]

    def __str__(self):
        return f"Closure criteria for {self.action}"

    @property
    def stability_params(self):
        """The parameters handed to evidence.stability for this rule; stored with every decision."""
        if self.stability_rule == StabilityRule.SPC:
            return {
                "baseline_count": self.spc_baseline_points,
                "shift_run": self.spc_shift_run,
                "trend_run": self.spc_trend_run,
            }
        return {"window_days": self.window_days, "min_readings": self.min_readings}
