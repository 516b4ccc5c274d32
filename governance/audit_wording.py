"""Plain English for the audit events of plans, actions, steps, criteria, measures and closures.

Registered with qip.audit_text when the governance app loads, so the audit log,
the plan page and the action page all say the same thing for the same event.
"""

from datetime import date

from actions.models import ActionStatus
from evidence.models import ConcernEffect, ConcernKind
from qip import audit_text
from qip.models import PlanSource, QualityArea, ReviewCadence
from qip.plan_services import uk_date

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


# Plans

PLAN_FIELD_NAMES = {
    "title": "title",
    "problem_statement": "problem statement",
    "source": "source",
    "source_reference": "source reference",
    "source_date": "source date",
    "root_causes": "root causes",
    "priority_rationale": "priority rationale",
    "quality_area": "quality area",
    "risk_likelihood": "risk likelihood",
    "risk_impact": "risk impact",
    "owner": "owner",
    "review_cadence": "review cadence",
    "next_review_date": "next review date",
    "target_date": "target date",
    "locations": "locations",
    "quality_statements": "quality statements",
    "regulations": "regulations",
    "due_date": "due date",
    "high_risk": "high-risk flag",
    "baseline_issue": "baseline issue",
    "measurable_improvement": "measurable improvement",
    "high_risk_reason": "high-risk reason",
    "what_can_go_wrong": "what can go wrong",
    "early_warning_signs": "early warning signs",
    "escalation": "escalation",
    "monitoring": "monitoring",
    "reopen_triggers": "reopen triggers",
}
LONG_TEXT = {
    "problem_statement",
    "root_causes",
    "priority_rationale",
    "baseline_issue",
    "measurable_improvement",
    "what_can_go_wrong",
    "early_warning_signs",
    "escalation",
    "monitoring",
    "reopen_triggers",
}
CHOICE_LABELS = {
    "source": dict(PlanSource.choices),
    "quality_area": dict(QualityArea.choices),
    "review_cadence": dict(ReviewCadence.choices),
}


def _plan_value(field, value):
    if value in (None, "", []):
        return "none"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in CHOICE_LABELS:
        return str(CHOICE_LABELS[field].get(value, value))
    if field.endswith("_date"):
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return f"{day.day} {day:%b %Y}"
    return str(value)


def _plan_changes(data):
    parts = []
    for field, pair in data.items():
        if field not in PLAN_FIELD_NAMES or not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        name = PLAN_FIELD_NAMES[field]
        if field in LONG_TEXT:
            parts.append(f"{name} rewritten")
        else:
            parts.append(f"{name} from {_plan_value(field, pair[0])} to {_plan_value(field, pair[1])}")
    return "Changed: " + "; ".join(parts) if parts else "Details changed"


PLAN_DESCRIBERS = {
    "plan.created": lambda data: (
        f"Plan created: {data.get('reference', '')} “{data.get('title', '')}”, owner {data.get('owner', 'not set')}, "
        f"risk {data.get('risk_likelihood', '?')} × {data.get('risk_impact', '?')} = {data.get('risk_score', '?')}"
    ),
    "plan.changed": _plan_changes,
    "plan.closure_requested": lambda data: "Closure of the plan requested",
    "plan.closed": lambda data: "Plan closed with a nominated individual's sign-off",
    "plan.reopened": lambda data: "Plan reopened because one of its actions was reopened",
    "review.recorded": lambda data: _review(data),
    "plans.exported": lambda data: (
        f"Plan list exported as {str(data.get('format', '')).upper()}: {data.get('rows')} rows"
    ),
    "actions.exported": lambda data: (
        f"Action list exported as {str(data.get('format', '')).upper()}: {data.get('rows')} rows"
    ),
    "plan.cadence_stepped_up": lambda data: (
        f"A concern stepped reviews up: {_cadence_move(data.get('cadence'))}; "
        f"next review {_day(data.get('next_review_on'))}"
    ),
}

PACK_DESCRIBERS = {
    "pack.requested": lambda data: (
        f"Commissioner pack asked for: {data.get('scope', '')}, {len(data.get('plans') or [])} plans, "
        f"{_day(data.get('date_from'))} to {_day(data.get('date_to'))}; "
        f"names of people who use the service {'left out' if data.get('redact') else 'included'}"
    ),
    "pack.built": lambda data: f"Commissioner pack built: {data.get('pages')} pages, SHA-256 {data.get('sha256', '')}",
    "pack.failed": lambda data: f"Commissioner pack could not be built: {data.get('error', '')}",
    "pack.retried": lambda data: "Commissioner pack queued to be built again",
    "pack.downloaded": lambda data: f"Commissioner pack downloaded (SHA-256 {data.get('sha256', '')})",
}

REVIEW_DECISIONS = {
    "continue": "continue",
    "escalate": "escalate",
    "revise": "revise the plan",
    "step_down": "step down",
    "ready_to_close": "ready to close",
}


def _cadence_move(pair):
    if not pair or pair[0] == pair[1]:
        return f"{_cadence(pair[0] if pair else '')} as before"
    return f"{_cadence(pair[0])} to {_cadence(pair[1])}"


def _cadence(value):
    return dict(ReviewCadence.choices).get(value, value or "not set").lower()


def _review(data):
    text = (
        f"Review held {_day(data.get('held_on'))}: {REVIEW_DECISIONS.get(data.get('decision'), data.get('decision'))}; "
        f"reviews {_cadence_move(data.get('cadence'))}; next review {_day(data.get('next_review_on'))}"
    )
    return _with_reason(text, data.get("reason"))


def register():
    # Evidence events are worded by the evidence app.
    audit_text.register({**ACTION_EVENTS, **PLAN_DESCRIBERS, **PACK_DESCRIBERS})
