from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qip.tenancy import TenantQuerySet, active_memberships


class PlanSource(models.TextChoices):
    CQC_INSPECTION = "cqc_inspection", "CQC inspection"
    REQUIREMENT_NOTICE = "requirement_notice", "CQC requirement notice"
    WARNING_NOTICE = "warning_notice", "CQC warning notice"
    COMMISSIONER_VISIT = "commissioner_visit", "Commissioner visit"
    COMPLAINT = "complaint", "Complaint"
    INCIDENT = "incident", "Incident"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    INTERNAL_AUDIT = "internal_audit", "Internal audit"
    FEEDBACK = "feedback", "Feedback"
    SELF_IDENTIFIED = "self_identified", "Self-identified"


class QualityArea(models.TextChoices):
    MEDICINES = "medicines", "Medicines"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    STAFFING = "staffing", "Staffing"
    CARE_PLANNING = "care_planning", "Care planning"
    NUTRITION = "nutrition_hydration", "Nutrition and hydration"
    DIGNITY = "dignity", "Dignity and respect"
    COMMUNICATION = "communication", "Communication"
    RECORDS = "records", "Records"
    HEALTH_APPOINTMENTS = "health_appointments", "Health appointments"
    INFECTION_CONTROL = "infection_control", "Infection prevention and control"
    MOVING_HANDLING = "moving_handling", "Moving and handling"
    FALLS = "falls", "Falls"
    LEADERSHIP = "leadership_governance", "Leadership and governance"
    OTHER = "other", "Other"


# DESIGN §3: these areas make an action high-risk by default.
HIGH_RISK_AREAS = {
    QualityArea.MEDICINES,
    QualityArea.SAFEGUARDING,
    QualityArea.STAFFING,
    QualityArea.LEADERSHIP,
}


class ReviewCadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 30, "quarterly": 91}


class PlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    CLOSED = "closed", "Closed"


class PlanQuerySet(TenantQuerySet):
    def for_user(self, user, organisation=None):
        # A plan spans locations: a location-limited member sees it when it covers one of theirs.
        allowed = Q(pk__in=[])
        for membership in active_memberships(user):
            if organisation is not None and membership.organisation_id != getattr(organisation, "pk", organisation):
                continue
            scope = Q(organisation_id=membership.organisation_id)
            if membership.location_ids:
                covers = Plan.locations.through.objects.filter(
                    plan_id=OuterRef("pk"), location_id__in=membership.location_ids
                )
                scope &= Q(Exists(covers))
            allowed |= scope
        return self.filter(allowed)


class Plan(models.Model):
    organisation = models.ForeignKey("qip.Organisation", on_delete=models.PROTECT, related_name="plans")
    reference = models.CharField(max_length=30, help_text="For example QIP-2026-014.")
    title = models.CharField(max_length=200)
    problem_statement = models.TextField()
    source = models.CharField(max_length=30, choices=PlanSource.choices)
    source_reference = models.CharField(max_length=100, blank=True)
    source_date = models.DateField(null=True, blank=True)
    root_causes = models.TextField("root causes and contributory factors", blank=True)
    priority_rationale = models.TextField(blank=True)
    quality_area = models.CharField(max_length=30, choices=QualityArea.choices)
    risk_likelihood = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    risk_impact = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    quality_statements = models.ManyToManyField("qip.QualityStatement", blank=True, related_name="plans")
    regulations = models.ManyToManyField("qip.Regulation", blank=True, related_name="plans")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_plans")
    locations = models.ManyToManyField("qip.Location", related_name="plans")
    review_cadence = models.CharField(max_length=20, choices=ReviewCadence.choices, default=ReviewCadence.MONTHLY)
    next_review_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    # Written when the plan closes (DESIGN §3).
    bau_monitoring_plan = models.TextField("business-as-usual monitoring plan", blank=True)
    closure_learning = models.TextField("what worked", blank=True)
    barriers = models.TextField(blank=True)
    residual_risks = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="plan_unique_reference"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="plan_closed_has_closed_at"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="plan_org_status")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def risk_score(self):
        return self.risk_likelihood * self.risk_impact

    @property
    def is_high_risk_area(self):
        return self.quality_area in HIGH_RISK_AREAS
