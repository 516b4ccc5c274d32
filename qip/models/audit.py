from django.conf import settings
from django.db import models

from qip.tenancy import TenantQuerySet

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(TenantQuerySet):
    def for_object(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    """One link in an organisation's append-only hash chain.

    Written only through qip.audit.record(); the database refuses UPDATE and
    DELETE on this table (see qip.audit_guard).
    """

    chain = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    organisation = models.ForeignKey(
        "qip.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_unique_seq")]
        indexes = [
            models.Index(fields=["organisation", "-seq"], name="audit_org_seq"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            # A page's history lists the objects it is about within one organisation: with the
            # organisation first the lookup never intersects the organisation's million events.
            models.Index(fields=["organisation", "object_type", "object_id"], name="audit_org_object"),
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The last link of each chain: the row writers lock, and the check that no tail went missing."""

    chain = models.CharField(max_length=40, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"{self.chain} at {self.seq}"
