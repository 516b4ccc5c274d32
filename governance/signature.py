"""The canonical snapshot a sign-off signs, and its SHA-256."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder


def _canonical(data):
    return json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def action_snapshot(action):
    criteria = action.criteria
    measure = getattr(action, "measure", None)
    return {
        "action": {
            "id": action.pk,
            "plan": action.plan.reference,
            "title": action.title,
            "location": action.location.name,
            "owner": action.owner.get_full_name(),
            "high_risk": action.high_risk,
            "status": action.status,
        },
        "criteria": {
            "min_evidence_categories": criteria.min_evidence_categories,
            "stability_rule": criteria.stability_rule,
            "stability_params": criteria.stability_params,
            "approval_level": criteria.approval_level,
            "post_closure_offsets": criteria.post_closure_offsets,
            "changed_after_start": criteria.changed_after_start,
        },
        "measure": None
        if measure is None
        else {"name": measure.name, "target": measure.target, "direction": measure.direction, "unit": measure.unit},
        "steps": [
            {"what": step.what, "done_at": step.done_at, "done_by": step.done_by_id}
            for step in action.steps.order_by("order", "pk")
        ],
        "evidence": [
            {
                "id": item.pk,
                "title": item.title,
                "category": item.category.slug,
                "kind": item.kind,
                "purpose": item.purpose,
                "collected_on": item.collected_on,
                "withdrawn": item.withdrawn_at is not None,
                "files": sorted(f.sha256 for f in item.files.all()),
            }
            for item in action.evidence.select_related("category").prefetch_related("files").order_by("pk")
        ],
    }


def plan_snapshot(plan):
    return {
        "plan": {"id": plan.pk, "reference": plan.reference, "title": plan.title, "owner": plan.owner.get_full_name()},
        "actions": [
            {"id": a.pk, "title": a.title, "status": a.status, "closing_signoff": a.closing_signoff_id}
            for a in plan.actions.order_by("pk")
        ],
    }


def snapshot_hash(snapshot):
    return hashlib.sha256(_canonical(snapshot).encode("utf-8")).hexdigest()


def normalised(snapshot):
    """The snapshot as JSON will store it, so the stored copy re-hashes to the same value."""
    return json.loads(_canonical(snapshot))
