"""Reads for actions that are more than a lookup."""

from qip.models import AuditEvent


def criteria_history(*, criteria):
    """The "criteria.changed" events made after the action started, oldest first.

    These are reported wherever the criteria are shown (the action page, packs). Each
    event's data is {"changes": {field: [old, new]}, "reason": ..., "after_start": True}.
    The criteria object comes from a tenant-scoped query (ClosureCriteria.objects.for_user).
    """
    events = AuditEvent.objects.filter(action="criteria.changed").for_object(criteria).order_by("at", "seq")
    return [event for event in events.select_related("actor") if event.data.get("after_start")]
