"""The audit log: one record() helper writes, verify_chain() checks.

hash = sha256(prev_hash + canonical JSON of the event). Events are chained per
organisation ("org:<id>"); events that belong to no organisation (a failed
sign-in for an unknown address) go on the "system" chain.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from qip.models import AuditChainHead, AuditEvent
from qip.models.audit import GENESIS_HASH

SYSTEM_CHAIN = "system"


def chain_key(organisation):
    if organisation is None:
        return SYSTEM_CHAIN
    return f"org:{getattr(organisation, 'pk', organisation)}"


def _as_jsonb_returns(value):
    """PostgreSQL keeps jsonb numbers as numeric: -0.0 reads back as 0.0 and 1e+16 as 10000000000000000.

    Floats are given that form before hashing, so an honest event still verifies after a round trip.
    """
    if isinstance(value, float):
        if value == 0:
            return 0.0
        text = repr(value)
        return int(Decimal(text)) if "e+" in text else value
    if isinstance(value, dict):
        return {key: _as_jsonb_returns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_jsonb_returns(item) for item in value]
    return value


def normalise(data):
    """JSON-safe copy of data, as it will read back from the database (SQLite or PostgreSQL)."""
    return _as_jsonb_returns(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder, allow_nan=False)))


def canonical(event):
    payload = {
        "chain": event.chain,
        "seq": event.seq,
        "organisation": event.organisation_id,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "data": event.data,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(event):
    return hashlib.sha256((event.prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def record(*, action, organisation=None, actor=None, obj=None, data=None, object_label=None):
    """Append one event to the organisation's chain, inside the caller's transaction."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    key = chain_key(organisation)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=key)
        event = AuditEvent(
            chain=key,
            seq=head.seq + 1,
            organisation_id=getattr(organisation, "pk", organisation),
            at=timezone.now(),
            actor=actor,
            actor_label=f"{actor.get_full_name()} <{actor.email}>" if actor else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_label=(object_label if object_label is not None else str(obj) if obj is not None else "")[:300],
            data=normalise(data),
            prev_hash=head.hash,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class ChainReport:
    chain: str
    events: int
    problem: str = ""
    seq: int | None = None

    @property
    def intact(self):
        return not self.problem


def _head(key):
    return AuditChainHead.objects.filter(chain=key).first()


def verify_chain(key):
    """Walk one chain from the start to its head as it stood when the walk began; report the first broken link.

    The head is read first: events written while the walk goes on (people keep working during the
    nightly check) lie beyond it and are checked on the next run, instead of reading as a break.
    """
    head = _head(key)
    events = AuditEvent.objects.filter(chain=key)
    if head is not None:
        events = events.filter(seq__lte=head.seq)
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for event in events.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(key, count, f"event {expected_seq} is missing (next found is {event.seq})", expected_seq)
        if event.prev_hash != expected_prev:
            return ChainReport(key, count, f"event {event.seq} does not link to the event before it", event.seq)
        if compute_hash(event) != event.hash:
            return ChainReport(
                key, count, f"event {event.seq} ({event.action}) was changed after it was written", event.seq
            )
        expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    if head and (head.seq != count or head.hash != expected_prev):
        return ChainReport(key, count, f"the chain should end at event {head.seq} but ends at {count}", count + 1)
    return ChainReport(key, count)


def verify_all():
    keys = set(AuditChainHead.objects.values_list("chain", flat=True))
    keys |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    return [verify_chain(key) for key in sorted(keys)]
