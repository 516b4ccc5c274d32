"""Commissioner packs (DESIGN.md §8): one row per PDF asked for, built by a task, kept.

The row records what was asked (scope, period, options), who asked, how the build is going and,
once built, the stored file with its page count, size and SHA-256. A built pack's file is never
replaced or deleted: it is what was sent to a commissioner.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qip.tenancy import TenantQuerySet, active_memberships


class PackStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be built"
    BUILDING = "building", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be built"


class PackScope(models.TextChoices):
    ORGANISATION = "organisation", "The whole organisation"
    LOCATIONS = "locations", "Chosen locations"
    PLANS = "plans", "Chosen plans"


class PackQuerySet(TenantQuerySet):
    organisation_path = "organisation"
    location_path = None

    def for_user(self, user, organisation=None):
        """Packs of the user's organisations that hold nothing from a location they cannot see.

        A pack covers `locations` (every location its plans and actions may come from); a member
        limited to some locations sees only packs that stay within them.
        """
        allowed = Q(pk__in=[])
        for membership in active_memberships(user):
            if organisation is not None and membership.organisation_id != getattr(organisation, "pk", organisation):
                continue
            scope = Q(organisation_id=membership.organisation_id)
            if membership.location_ids:
                outside = Pack.locations.through.objects.exclude(location_id__in=membership.location_ids)
                scope &= ~Q(pk__in=outside.values("pack_id"))
            allowed |= scope
        return self.filter(allowed)


def pack_upload_to(instance, filename):
    # Server-made names only.
    return f"packs/{instance.organisation_id}/{instance.reference}-{instance.pk}.pdf"


class Pack(models.Model):
    organisation = models.ForeignKey("qip.Organisation", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)

    scope = models.CharField(max_length=20, choices=PackScope.choices)
    scope_text = models.CharField(max_length=500, help_text="The scope in words, as printed on the cover.")
    chosen_locations = models.ManyToManyField("qip.Location", blank=True, related_name="+")
    plans = models.ManyToManyField("qip.Plan", related_name="+", help_text="The plans found in scope when asked.")
    locations = models.ManyToManyField(
        "qip.Location", related_name="packs", help_text="Every location the pack may hold records of."
    )
    date_from = models.DateField()
    date_to = models.DateField()
    include_closed = models.BooleanField()
    redact = models.BooleanField("leave out names of people who use the service")

    status = models.CharField(max_length=20, choices=PackStatus.choices, default=PackStatus.QUEUED)
    stage = models.CharField(max_length=200, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    file = models.FileField(upload_to=pack_upload_to, max_length=300, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    objects = PackQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="pack_reference_unique"),
            models.CheckConstraint(condition=Q(date_from__lte=models.F("date_to")), name="pack_period_in_order"),
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(page_count__isnull=False) & ~Q(sha256="") & ~Q(file="")),
                name="pack_ready_has_file",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-requested_at"], name="pack_org_requested")]

    def __str__(self):
        return self.reference

    @property
    def is_finished(self):
        return self.status in (PackStatus.READY, PackStatus.FAILED)

    def filename(self):
        return f"{self.reference}.pdf"
