"""The organisation's audit chain, written in bulk.

qip.audit.record() locks the chain head and inserts one event per call, which would take hours
for a million events. Here seq, prev_hash and hash are worked out in Python, exactly as record()
would, and the events go in by bulk_create, so `verify_audit_chain` accepts the result.
"""

from qip.audit import chain_key, compute_hash, normalise
from qip.models import AuditChainHead, AuditEvent
from qip.models.audit import GENESIS_HASH

from .common import BATCH


class Chain:
    def __init__(self, organisation):
        self.organisation_id = organisation.pk
        self.key = chain_key(organisation)
        self.seq = 0
        self.hash = GENESIS_HASH
        self.pending = []
        self.labels = {}

    def know(self, users):
        """Remember actors' labels so events never look a user up."""
        for user in users:
            self.labels[user.pk] = f"{user.get_full_name()} <{user.email}>"

    def add(self, action, obj, *, at, actor_id=None, label="", data=None):
        self.seq += 1
        event = AuditEvent(
            chain=self.key,
            seq=self.seq,
            organisation_id=self.organisation_id,
            at=at,
            actor_id=actor_id,
            actor_label=self.labels.get(actor_id, ""),
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_label=label[:300],
            data=normalise(data),
            prev_hash=self.hash,
        )
        event.hash = self.hash = compute_hash(event)
        self.pending.append(event)
        if len(self.pending) >= BATCH * 5:
            self.flush()

    def flush(self):
        AuditEvent.objects.bulk_create(self.pending, batch_size=BATCH)
        self.pending = []

    def close(self):
        """Write what is left and move the head, which verify_audit_chain compares with the last event."""
        self.flush()
        AuditChainHead.objects.update_or_create(chain=self.key, defaults={"seq": self.seq, "hash": self.hash})
