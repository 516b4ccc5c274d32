"""Reviews of a plan and the changes to its review cadence (DESIGN §5).

Both are records of decisions: written once, never changed (append-only triggers, see apps.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from actions.models import ActionStatus
from qip.models import ReviewCadence
from qip.tenancy import TenantQuerySet


class ReviewDecision(models.TextChoices):
    CONTINUE = "continue", "Continue"
    ESCALATE = "escalate", "Escalate"
    REVISE = "revise", "Revise the plan"
    STEP_DOWN = "step_down", "Step down"
    READY_TO_CLOSE = "ready_to_close", "Ready to close"


class Rag(models.TextChoices):
    RED = "red", "Red: off track"
    AMBER = "amber", "Amber: at risk"
    GREEN = "green", "Green: on track"


class PlanRecordQuerySet(TenantQuerySet):
    organisation_path = "plan__organisation"
    location_path = None

    def for_user(self, user, organisation=None):
        # A review belongs to its plan: whoever can see the plan sees its reviews and cadence changes.
        from qip.models import Plan

        return self.filter(plan__in=Plan.objects.for_user(user, organisation))


class Review(models.Model):
    plan = models.ForeignKey("qip.Plan", on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    summary = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    cadence_before = models.CharField(max_length=20, choices=ReviewCadence.choices)
    cadence_after = models.CharField(max_length=20, choices=ReviewCadence.choices)
    next_review_before = models.DateField(null=True, blank=True)
    next_review_on = models.DateField()
    meeting_date = models.DateField(null=True, blank=True, help_text="Set when recorded from a governance agenda.")
    evidence_seen = models.ManyToManyField("evidence.EvidenceItem", blank=True, related_name="+")

    objects = PlanRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["continue", "ready_to_close"]) | ~Q(reason=""),
                name="review_decision_needs_reason",
            ),
        ]
        indexes = [models.Index(fields=["plan", "-held_on"], name="review_plan_held")]

    def __str__(self):
        return f"Review of {self.plan.reference} on {self.held_on}"

    @property
    def cadence_changed(self):
        return self.cadence_before != self.cadence_after


class ReviewLine(models.Model):
    """One action's progress and RAG at a review, with the facts as they stood."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="lines")
    action = models.ForeignKey("actions.Action", on_delete=models.PROTECT, related_name="review_lines")
    rag = models.CharField(max_length=10, choices=Rag.choices)
    progress = models.TextField(blank=True)
    action_status = models.CharField(max_length=20)
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["review", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "action"], name="review_line_one_per_action")]

    def __str__(self):
        return f"{self.get_rag_display()} for {self.action}"

    @property
    def action_status_label(self):
        return dict(ActionStatus.choices).get(self.action_status, self.action_status)


class CadenceTrigger(models.TextChoices):
    STEP_DOWN = "step_down", "Stepped down at a review"
    ESCALATION = "escalation", "Escalated at a review"
    CONCERN = "concern", "A concern was logged"


class CadenceChange(models.Model):
    """A change to how often a plan is reviewed, and why."""

    plan = models.ForeignKey("qip.Plan", on_delete=models.PROTECT, related_name="cadence_changes")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=20, choices=CadenceTrigger.choices)
    from_cadence = models.CharField(max_length=20, choices=ReviewCadence.choices)
    to_cadence = models.CharField(max_length=20, choices=ReviewCadence.choices)
    next_review_before = models.DateField(null=True, blank=True)
    next_review_on = models.DateField()
    reason = models.TextField()
    review = models.ForeignKey(Review, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey("evidence.Concern", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = PlanRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="cadence_change_has_reason")]

    def __str__(self):
        return f"{self.plan.reference}: {self.from_cadence} → {self.to_cadence}"
