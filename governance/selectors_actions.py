"""Reads for the action screens (create, detail, edit, steps, closure request, concerns).

Each starts from `Model.objects.for_user(user, organisation)`, so another organisation's
objects (or a location the user does not work at) are never found: the views turn that into a 404.
"""

from datetime import date

from django.db.models import CharField, Prefetch, Q
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from actions.models import Action, ActionStatus, ClosureCriteria, Step
from evidence.models import Concern, ConcernEffect, ConcernKind, EvidenceItem, Measure, MeasureReading
from qip import permissions
from qip.audit_text import describe
from qip.models import AuditEvent, Membership, Plan, Role, User
from qip.plan_services import uk_date

# Objects


def plan_for_user(*, user, organisation, pk):
    return get_object_or_404(Plan.objects.for_user(user, organisation).prefetch_related("locations"), pk=pk)


def action_for_user(*, user, organisation, pk):
    """The action with what its forms and permission checks read (plan, location, owner, criteria)."""
    return get_object_or_404(
        Action.objects.for_user(user, organisation).select_related("plan", "location", "owner", "criteria"), pk=pk
    )


def step_for_user(*, user, organisation, pk):
    return get_object_or_404(
        Step.objects.for_user(user, organisation).select_related("action__plan", "action__location"), pk=pk
    )


def action_for_detail(*, user, organisation, pk):
    """Everything the action page shows, loaded in a fixed number of queries whatever the number of rows.

    `steps` and `concerns` are prefetched (the closure gate reads them from the prefetch too);
    `evidence_items` holds every evidence item (withdrawn ones included) with category and files.
    """
    evidence = EvidenceItem.objects.select_related(
        "category", "collected_by", "added_by", "withdrawn_by", "assures_step", "location"
    ).prefetch_related("files")
    return get_object_or_404(
        Action.objects.for_user(user, organisation)
        .select_related("plan", "location", "owner", "created_by", "criteria", "criteria__named_reviewer", "measure")
        .prefetch_related(
            Prefetch("steps", queryset=Step.objects.select_related("who", "done_by").order_by("order", "pk")),
            Prefetch("concerns", queryset=Concern.objects.select_related("logged_by")),
            Prefetch("evidence", queryset=evidence, to_attr="evidence_items"),
        ),
        pk=pk,
    )


def pending_closure_request(*, action):
    """The action's closure request awaiting a decision, or None."""
    return action.closure_requests.filter(status="pending").select_related("requested_by").first()


# Choices on the forms


def manageable_locations(*, user, plan):
    """The plan's current locations where the user may add an action."""
    return [
        location
        for location in plan.locations.all()
        if not location.is_archived and permissions.can_create_action(user, plan, location)
    ]


def assignable_people(*, user, organisation, locations, include=()):
    """Active people who can be given work (owner, step) at one of `locations`: not viewers.

    A membership with no listed locations covers every location; the service checks the exact
    location. `include` adds people already chosen (a current owner), so an edit form shows them.
    """
    location_ids = [location.pk for location in locations]
    memberships = (
        Membership.objects.for_user(user, organisation)
        .active()
        .exclude(role=Role.VIEWER)
        .filter(Q(locations__isnull=True) | Q(locations__in=location_ids))
        .values("user_id")
    )
    chosen = [person.pk for person in include if person is not None]
    return User.objects.filter(Q(pk__in=memberships, is_active=True) | Q(pk__in=chosen)).order_by("full_name", "pk")


# History


def _ids_as_text(queryset):
    return queryset.annotate(text_id=Cast("pk", output_field=CharField())).values("text_id")


def action_events(*, user, organisation, action):
    """Audit events about the action and everything on it (steps, criteria, measure, readings, evidence,
    concerns), newest first: one query whatever the number of rows."""
    related = {
        "actions.step": Step.objects.filter(action=action),
        "actions.closurecriteria": ClosureCriteria.objects.filter(action=action),
        "evidence.measure": Measure.objects.filter(action=action),
        "evidence.measurereading": MeasureReading.objects.filter(measure__action=action),
        "evidence.evidenceitem": EvidenceItem.objects.filter(action=action),
        "evidence.concern": Concern.objects.filter(action=action),
    }
    about = Q(object_type="actions.action", object_id=str(action.pk))
    for object_type, queryset in related.items():
        about |= Q(object_type=object_type, object_id__in=_ids_as_text(queryset))
    return AuditEvent.objects.for_user(user, organisation).filter(about).select_related("actor").order_by("-at", "-seq")


# Plain English for the action's history (qip.audit_text.describe for everything else).

STATUS_LABELS = dict(ActionStatus.choices)
CONCERN_KINDS = dict(ConcernKind.choices)
CONCERN_EFFECTS = dict(ConcernEffect.choices)
FIELD_WORDS = {
    "title": "title",
    "owner": "owner",
    "due_date": "due date",
    "baseline_issue": "baseline issue",
    "measurable_improvement": "measurable improvement",
    "high_risk": "high risk",
    "high_risk_reason": "reason it is high risk",
    "what_can_go_wrong": "what can go wrong",
    "early_warning_signs": "early warning signs",
    "escalation": "escalation",
    "monitoring": "monitoring",
    "reopen_triggers": "reopen triggers",
    "what": "what is done",
    "who": "who",
    "who_role": "role",
    "recorded_where": "where it is recorded",
    "min_evidence_categories": "evidence categories needed",
    "stability_rule": "stability rule",
    "window_days": "stability window (days)",
    "min_readings": "readings needed",
    "spc_baseline_points": "SPC baseline points",
    "spc_shift_run": "SPC shift run",
    "spc_trend_run": "SPC trend run",
    "approval_level": "who approves closure",
    "named_reviewer": "named reviewer",
    "post_closure_offsets": "post-closure checks",
    "name": "name",
    "unit": "unit",
    "direction": "direction",
    "baseline_value": "baseline value",
    "baseline_date": "baseline date",
    "target": "target",
    "frequency": "frequency",
    "data_source": "data source",
}


def _day(value):
    if not value:
        return "no date"
    try:
        return uk_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _number(value, unit=""):
    if value is None:
        return "none"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _value(field, value):
    if value in (None, "", []):
        return "none"
    if field.endswith("date"):
        return _day(value)
    if field == "post_closure_offsets" and isinstance(value, list):
        return ", ".join(str(days) for days in value) + " days"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def change_list(changes):
    """'title from "A" to "B"; due date from 3 Nov 2026 to 1 Dec 2026' for {field: [old, new]}."""
    parts = []
    for field, pair in (changes or {}).items():
        words = FIELD_WORDS.get(field, field.replace("_", " "))
        if isinstance(pair, list | tuple) and len(pair) == 2:
            parts.append(f"{words} from {_value(field, pair[0])} to {_value(field, pair[1])}")
        else:
            parts.append(words)
    return "; ".join(parts)


def _kept(data):
    kept = data.get("wording_kept")
    return f" Weak wording kept because: {kept['reason']}" if kept and kept.get("reason") else ""


def _with_reason(text, reason):
    return f"{text}: {reason}" if reason else text


def _what(data):
    what = data.get("what") or ""
    return what if len(what) <= 100 else what[:97] + "…"


def _status_changed(data):
    before = STATUS_LABELS.get(data.get("from"), data.get("from"))
    after = STATUS_LABELS.get(data.get("to"), data.get("to"))
    text = f"Status changed from {before} to {after}"
    return text + (f" ({data['reason']})" if data.get("reason") else "")


ACTION_EVENTS = {
    "action.created": lambda d: (
        f"Action created with {d.get('steps', 0)} step{'s' if d.get('steps') != 1 else ''}, "
        f"owned by {d.get('owner') or 'nobody'}." + _kept(d)
    ),
    "action.changed": lambda d: (
        f"Action changed: {change_list({k: v for k, v in d.items() if k != 'wording_kept'})}." + _kept(d)
    ),
    "action.status_changed": lambda d: _status_changed(d) + ".",
    "action.reopened": lambda d: _with_reason("Reopened", d.get("reason")) + ".",
    "step.added": lambda d: f"Step added: {_what(d)}." + _kept(d),
    "step.completed": lambda d: f"Step done: {_what(d)}." + (f" Note: {d['note']}" if d.get("note") else ""),
    "step.undone": lambda d: _with_reason("A step was marked not done", d.get("reason")) + ".",
    "step.changed": lambda d: (
        f"Step changed: {change_list({k: v for k, v in d.items() if k != 'wording_kept'})}." + _kept(d)
    ),
    "criteria.agreed": lambda d: "Closure criteria agreed.",
    "criteria.changed": lambda d: (
        f"Closure criteria changed: {change_list(d.get('changes'))}"
        + (f" (reason: {d['reason']})" if d.get("reason") else "")
        + "."
    ),
    "measure.created": lambda d: f"Measure set: {d.get('name')}, target {_number(d.get('target'), d.get('unit', ''))}.",
    "measure.changed": lambda d: (
        f"Measure changed: {change_list(d.get('changes'))}"
        + (f" (reason: {d['reason']})" if d.get("reason") else "")
        + "."
    ),
    "reading.recorded": lambda d: (
        f"Reading recorded: {_number(d.get('value'))} for the period ending "
        f"{_day(d.get('period_end'))}" + ("" if d.get("meets_target") else " (short of the target)") + "."
    ),
    "evidence.added": lambda d: f"Evidence added: {d.get('title')}.",
    "evidence.withdrawn": lambda d: f"Evidence withdrawn: {d.get('title')} (reason: {d.get('reason')}).",
    "concern.logged": lambda d: (
        f"Concern logged: {CONCERN_KINDS.get(d.get('kind'), d.get('kind'))} on "
        f"{_day(d.get('occurred_on'))}. {CONCERN_EFFECTS.get(d.get('effect'), '')}."
    ),
    "closure.requested": lambda d: "Closure requested.",
    "closure.approved": lambda d: "Closure approved and signed.",
    "closure.challenged": lambda d: _with_reason("Closure challenged", d.get("reason")) + ".",
    "closure.rejected": lambda d: _with_reason("Closure rejected", d.get("reason")) + ".",
    "check.recorded": lambda d: f"{d.get('offset_days')}-day post-closure check recorded: {d.get('result')}.",
}


def describe_event(event):
    """One plain-English sentence for an event in the action's history."""
    describer = ACTION_EVENTS.get(event.action)
    if describer is None:
        return describe(event)
    try:
        return describer(event.data or {})
    except (AttributeError, KeyError, TypeError, ValueError):
        return describe(event)
