from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qip.tenancy import TenantQuerySet


class Purpose(models.TextChoices):
    ACTIVITY = "activity", "Activity (shows a task happened)"
    ASSURANCE = "assurance", "Assurance (shows practice changed)"


class EvidenceKind(models.TextChoices):
    AUDIT = "audit", "Audit"
    OBSERVATION = "observation", "Observation of practice"
    FEEDBACK = "feedback", "Feedback"
    RECORD_SAMPLE = "record_sample", "Record sample"
    TREND_DATA = "trend_data", "Trend data"
    GOVERNANCE_MINUTES = "governance_minutes", "Governance minutes"
    SUPERVISION = "supervision", "Supervision record"
    TRAINING_RECORD = "training_record", "Training record"
    POLICY_UPDATE = "policy_update", "Policy update"
    COMPETENCY = "competency", "Competency assessment"
    OTHER = "other", "Other"


class EvidenceQuerySet(TenantQuerySet):
    location_path = "location"

    def for_user(self, user, organisation=None):
        # Plan-level evidence may have no location: whoever can see the plan sees it.
        from qip.models import Plan

        visible_plans = Plan.objects.for_user(user, organisation).values("pk")
        located = super().for_user(user, organisation)
        return self.filter(Q(pk__in=located.values("pk")) | Q(location__isnull=True, plan__in=visible_plans))

    def current(self):
        return self.filter(withdrawn_at__isnull=True)


class EvidenceItem(models.Model):
    """A piece of evidence for an action (or a whole plan). Never deleted; withdrawn with a reason."""

    organisation = models.ForeignKey("qip.Organisation", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("qip.Plan", on_delete=models.PROTECT, related_name="evidence")
    action = models.ForeignKey(
        "actions.Action", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    assures_step = models.ForeignKey(
        "actions.Step",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assurance_evidence",
        help_text="The step whose work this evidence tests, if it tests one step.",
    )
    location = models.ForeignKey("qip.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("qip.EvidenceCategory", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=EvidenceKind.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    collected_on = models.DateField()
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_where = models.CharField(max_length=200, blank=True, help_text="Where the original is kept.")
    people_named = models.CharField(
        max_length=300, blank=True, help_text="Names of people who use the service; left out of redacted packs."
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawn_reason=""),
                name="evidence_withdrawn_has_reason",
            )
        ]
        indexes = [models.Index(fields=["action", "purpose"], name="evidence_action_purpose")]

    def __str__(self):
        return self.title

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None


def evidence_upload_to(instance, filename):
    # Server-made names: the person's file name is kept only as metadata.
    return f"evidence/{instance.evidence.organisation_id}/{timezone.now():%Y/%m}/{instance.sha256}"


class EvidenceFileQuerySet(TenantQuerySet):
    organisation_path = "evidence__organisation"
    location_path = "evidence__location"


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = EvidenceFileQuerySet.as_manager()

    def __str__(self):
        return self.original_name


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"


class MeasureQuerySet(TenantQuerySet):
    organisation_path = "action__plan__organisation"
    location_path = "action__location"


class Measure(models.Model):
    action = models.OneToOneField("actions.Action", on_delete=models.PROTECT, related_name="measure")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=20, blank=True, help_text="For example % or 'errors'.")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    baseline_value = models.FloatField(null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    target = models.FloatField()
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.WEEKLY)
    data_source = models.CharField(max_length=200, blank=True)

    objects = MeasureQuerySet.as_manager()

    def __str__(self):
        return self.name

    def meets_target(self, value):
        return value >= self.target if self.direction == Direction.HIGHER else value <= self.target


class ReadingQuerySet(TenantQuerySet):
    organisation_path = "measure__action__plan__organisation"
    location_path = "location"


class MeasureReading(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="readings")
    location = models.ForeignKey("qip.Location", on_delete=models.PROTECT, related_name="+")
    period_end = models.DateField()
    value = models.FloatField()
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "location", "period_end"], name="reading_unique_period"),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0), name="reading_denominator_positive"
            ),
        ]

    def __str__(self):
        return f"{self.measure}: {self.value} ({self.period_end})"


class ConcernKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    COMPLAINT = "complaint", "Complaint"
    SAFEGUARDING = "safeguarding", "Safeguarding concern"
    AUDIT_FINDING = "audit_finding", "Audit finding"
    FEEDBACK = "feedback", "Feedback"
    INSPECTION_FINDING = "inspection_finding", "Inspection or visit finding"


class ConcernEffect(models.TextChoices):
    NONE = "none", "No effect on closure"
    WINDOW_RESTARTED = "window_restarted", "Stability window restarted"
    REOPEN_PROPOSED = "reopen_proposed", "Reopening proposed"


class ConcernQuerySet(TenantQuerySet):
    organisation_path = "action__plan__organisation"
    location_path = "action__location"


class Concern(models.Model):
    """An incident, complaint or finding that matches an action's reopen triggers."""

    action = models.ForeignKey("actions.Action", on_delete=models.PROTECT, related_name="concerns")
    kind = models.CharField(max_length=30, choices=ConcernKind.choices)
    occurred_on = models.DateField()
    summary = models.TextField()
    people_named = models.CharField(max_length=300, blank=True)
    effect = models.CharField(max_length=20, choices=ConcernEffect.choices, default=ConcernEffect.NONE)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.occurred_on}"
