"""The closure gate: every criterion, with its figures and a sentence a registered manager understands.

`evaluate_action_closure` and `evaluate_plan_closure` never write. The screen shows
the result before anyone asks; the transitions re-run it inside their transaction.
"""

from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.formats import date_format

from actions.models import ActionStatus, ApprovalLevel, StabilityRule
from evidence import stability
from evidence.models import Purpose
from qip import permissions
from qip.models import EvidenceCategory, Role

# Codes are stable: tests, stored decisions and screens name them.
STEPS_COMPLETE = "steps_complete"
EVIDENCE_SOURCES = "evidence_sources"
MEASURE_TARGET = "measure_target"
STABILITY = "stability"
NO_RECENT_CONCERNS = "no_recent_concerns"
BAU_PLAN = "bau_plan"
CLOSURE_LEARNING = "closure_learning"
SIGNER_ROLE = "signer_role"
SIGNER_INDEPENDENT = "signer_independent"
ALL_ACTIONS_CLOSED = "all_actions_closed"

# Written at the request or checked at the decision: not needed to ask for closure.
DECISION_CODES = {BAU_PLAN, CLOSURE_LEARNING, SIGNER_ROLE, SIGNER_INDEPENDENT}

ROLE_RANK = {Role.QUALITY_LEAD: 1, Role.NOMINATED_INDIVIDUAL: 2}


@dataclass
class Criterion:
    code: str
    label: str
    passed: bool
    sentence: str
    figures: dict = field(default_factory=dict)


@dataclass
class GateResult:
    criteria: list
    evaluated_at: object
    stability_rule: str = ""
    stability_params: dict = field(default_factory=dict)

    @property
    def passed(self):
        return all(criterion.passed for criterion in self.criteria)

    @property
    def ready_to_request(self):
        """Everything the work and evidence must show; the request and the signer come after."""
        return all(c.passed for c in self.criteria if c.code not in DECISION_CODES)

    @property
    def failing(self):
        return [criterion for criterion in self.criteria if not criterion.passed]

    @property
    def failing_before_request(self):
        """What stops a closure request: the work and evidence, not the signer still to come."""
        return [c for c in self.failing if c.code not in DECISION_CODES]

    def get(self, code):
        return next(criterion for criterion in self.criteria if criterion.code == code)

    def as_json(self):
        return [asdict(criterion) for criterion in self.criteria]


def _day(value):
    return date_format(value, "j M Y")


def _number(value, unit=""):
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text}{unit}" if unit in ("%", "") else f"{text} {unit}"


# Action


def evaluate_action_closure(action, actor=None, at=None, request=None):
    """Every criterion of DESIGN §4 for one action, as of `at` (default now).

    `request` is the closure request whose BAU plan and learning are judged; by
    default the action's pending request. `actor` is the would-be signer.
    """
    at = at or timezone.now()
    today = timezone.localdate(at)
    criteria = action.criteria
    steps = list(action.steps.all())
    if request is None:
        request = _pending_request(action)
    measure = getattr(action, "measure", None)
    readings = []
    if measure is not None:
        readings = [r for r in _readings_at_location(action, measure) if r.period_end <= today]
    concerns = [c for c in action.concerns.all() if c.occurred_on <= today]
    last_concern = max((c.occurred_on for c in concerns), default=None)

    stability_result = judge_stability(criteria, measure, readings, last_concern, today)
    result = GateResult(
        criteria=[
            _steps_complete(steps),
            _evidence_sources(action, criteria, steps),
            _measure_target(measure, readings),
            _stability_criterion(stability_result, measure),
            _no_recent_concerns(criteria, concerns, today),
            _written(BAU_PLAN, "business-as-usual monitoring plan", request and request.bau_monitoring_plan),
            _written(CLOSURE_LEARNING, "closure learning", request and request.closure_learning),
            _signer_role(action, criteria, actor),
            _signer_independent(action, steps, actor, request),
        ],
        evaluated_at=at,
        stability_rule=criteria.stability_rule,
        stability_params=stability_result.params if stability_result else criteria.stability_params,
    )
    return result


def _prefetched(instance, name):
    """The rows a page prefetched for `instance`'s relation `name`, or None when it did not."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else None


def _pending_request(subject):
    """The action's or plan's pending closure request: a page may have joined it on as `pending_closure`."""
    if hasattr(subject, "pending_closure"):
        return subject.pending_closure
    return subject.closure_requests.filter(status="pending").first()


def _readings_at_location(action, measure):
    prefetched = _prefetched(measure, "readings")
    if prefetched is None:
        return measure.readings.filter(location_id=action.location_id)
    return [reading for reading in prefetched if reading.location_id == action.location_id]


def _evidence(action):
    prefetched = _prefetched(action, "evidence")
    return action.evidence.select_related("category") if prefetched is None else prefetched


def _steps_complete(steps):
    done = [step for step in steps if step.is_done]
    figures = {"done": len(done), "total": len(steps)}
    if not steps:
        return Criterion(STEPS_COMPLETE, "Steps complete", False, "No steps are recorded yet.", figures)
    if len(done) == len(steps):
        return Criterion(STEPS_COMPLETE, "Steps complete", True, f"{len(done)} of {len(steps)} steps done.", figures)
    next_step = next(step for step in steps if not step.is_done)
    due = f" (due {_day(next_step.due_date)})" if next_step.due_date else ""
    sentence = f"{len(done)} of {len(steps)} steps done; next: {next_step.what[:80]}{due}."
    return Criterion(STEPS_COMPLETE, "Steps complete", False, sentence, figures)


def work_done_on(steps):
    """The local date the last step was done, or None while any step is open."""
    if not steps or any(not step.is_done for step in steps):
        return None
    return max(timezone.localdate(step.done_at) for step in steps)


def counting_evidence(action, steps):
    """(counted, listed_only) evidence: assurance collected after the work it assures; activity never counts."""
    finished = work_done_on(steps)
    step_done = {step.pk: timezone.localdate(step.done_at) for step in steps if step.is_done}
    counted, listed = [], []
    for item in _evidence(action):
        if item.withdrawn_at is not None:
            continue
        if item.purpose != Purpose.ASSURANCE:
            listed.append((item, "activity evidence shows a task happened, not that practice changed"))
            continue
        work_date = step_done.get(item.assures_step_id) if item.assures_step_id else finished
        if work_date is None:
            listed.append((item, "collected before the work it assures was finished"))
        elif item.collected_on < work_date:
            listed.append((item, f"collected on {_day(item.collected_on)}, before the work was done"))
        else:
            counted.append(item)
    return counted, listed


def _evidence_sources(action, criteria, steps):
    counted, listed = counting_evidence(action, steps)
    categories = {item.category_id: item.category for item in counted}
    have = sorted(categories.values(), key=lambda category: category.order)
    needed = criteria.min_evidence_categories
    figures = {
        "categories": [category.name for category in have],
        "needed": needed,
        "counted_items": len(counted),
        "not_counted": [{"title": item.title, "why": why} for item, why in listed],
    }
    label = "Assurance evidence"
    names = ", ".join(category.name for category in have) or "none"
    if len(have) >= needed:
        return Criterion(EVIDENCE_SOURCES, label, True, f"{len(have)} of {needed} categories ({names}).", figures)
    framework_id = have[0].framework_id if have else None
    missing = (
        EvidenceCategory.objects.filter(framework__is_current=True)
        if framework_id is None
        else (EvidenceCategory.objects.filter(framework_id=framework_id))
    )
    suggestions = [c.name for c in missing.exclude(pk__in=categories).order_by("order")[:2]]
    sentence = (
        f"{len(have)} of {needed} categories ({names}); add assurance evidence such as {' or '.join(suggestions)}"
    )
    if listed:
        sentence += f" ({len(listed)} more item{'s' if len(listed) != 1 else ''} listed but not counted)"
    return Criterion(EVIDENCE_SOURCES, label, False, sentence + ".", figures)


def _measure_target(measure, readings):
    label = "Measure at target"
    if measure is None:
        return Criterion(MEASURE_TARGET, label, False, "No measure is set for this action.", {})
    figures = {"target": measure.target, "direction": measure.direction, "unit": measure.unit}
    if not readings:
        return Criterion(MEASURE_TARGET, label, False, "No readings are recorded yet.", figures)
    latest = max(readings, key=lambda reading: reading.period_end)
    figures.update(latest_value=latest.value, latest_period=latest.period_end.isoformat())
    target = _number(measure.target, measure.unit)
    value = _number(latest.value, measure.unit)
    period = _day(latest.period_end)
    if measure.meets_target(latest.value):
        return Criterion(
            MEASURE_TARGET, label, True, f"Latest reading {value} ({period}) meets the target {target}.", figures
        )
    return Criterion(
        MEASURE_TARGET, label, False, f"Latest reading {value} ({period}) is short of the target {target}.", figures
    )


def judge_stability(criteria, measure, readings, last_concern, today):
    """The stability verdict on the readings (None without a measure or readings): the gate's, and the dashboard's
    ready list asks it too, so the two never judge differently."""
    if measure is None or not readings:
        return None
    series = [stability.Reading(r.period_end, r.value) for r in readings]
    params = dict(criteria.stability_params)
    if criteria.stability_rule == StabilityRule.SPC:
        # The baseline stays locked; a concern restarts the window, so later points count from it on.
        ordered = sorted(series, key=lambda r: r.period_end)
        baseline, after = ordered[: params["baseline_count"]], ordered[params["baseline_count"] :]
        if last_concern is not None:
            after = [r for r in after if r.period_end > last_concern]
        return stability.spc_sustained(
            baseline + after,
            baseline_count=params["baseline_count"],
            direction=measure.direction,
            target=measure.target,
            shift_run=params["shift_run"],
            trend_run=params["trend_run"],
            unit=measure.unit,
            at=today,
        )
    if last_concern is not None:
        series = [r for r in series if r.period_end > last_concern]
    return stability.target_held(
        series,
        target=measure.target,
        direction=measure.direction,
        at=today,
        window_days=params["window_days"],
        min_readings=params["min_readings"],
        unit=measure.unit,
    )


def _stability_criterion(result, measure):
    label = "Improvement held"
    if result is None:
        why = "No measure is set for this action." if measure is None else "No readings are recorded yet."
        return Criterion(STABILITY, label, False, why, {})
    return Criterion(STABILITY, label, result.passed, result.sentence, {**result.figures, "rule": result.rule})


def _no_recent_concerns(criteria, concerns, today):
    since = today - timedelta(days=criteria.window_days)
    recent = sorted((c for c in concerns if c.occurred_on > since), key=lambda c: c.occurred_on)
    label = "No recent concerns"
    figures = {"window_starts": since.isoformat(), "concerns": len(recent)}
    if not recent:
        return Criterion(NO_RECENT_CONCERNS, label, True, "No concerns logged in the stability window.", figures)
    last = recent[-1]
    sentence = (
        f"{len(recent)} concern{'s' if len(recent) != 1 else ''} in the stability window "
        f"({last.get_kind_display().lower()} on {_day(last.occurred_on)}); the window restarts from that date."
    )
    return Criterion(NO_RECENT_CONCERNS, label, False, sentence, figures)


def _written(code, name, text):
    label = name[0].upper() + name[1:]
    if text and text.strip():
        return Criterion(code, label, True, f"The {name} is written.", {"characters": len(text.strip())})
    return Criterion(code, label, False, f"The {name} is written when closure is requested.", {})


def required_role(action):
    """The least senior role that may approve this action's closure (high-risk: nominated individual)."""
    if action.high_risk or action.criteria.approval_level == ApprovalLevel.NOMINATED_INDIVIDUAL:
        return Role.NOMINATED_INDIVIDUAL
    return Role.QUALITY_LEAD


def role_allows(role, needed):
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[needed]


def _signer_role(action, criteria, actor):
    needed = required_role(action)
    wording = (
        "a nominated individual" if needed == Role.NOMINATED_INDIVIDUAL else "a quality lead or nominated individual"
    )
    reason = " (high-risk action)" if action.high_risk else ""
    figures = {"needed": str(needed)}
    label = "Signer's role"
    if actor is None:
        return Criterion(SIGNER_ROLE, label, False, f"Needs sign-off by {wording}{reason}.", figures)
    membership = permissions.membership_in(actor, action.plan.organisation_id)
    role = membership.role if membership else None
    figures["signer_role"] = role
    if not role_allows(role, needed):
        held = Role(role).label.lower() if role else "not a member"
        return Criterion(SIGNER_ROLE, label, False, f"Needs {wording}{reason}; {actor} is {held}.", figures)
    if criteria.named_reviewer_id and criteria.named_reviewer_id != actor.pk:
        name = criteria.named_reviewer
        return Criterion(SIGNER_ROLE, label, False, f"The closure criteria name {name} as the reviewer.", figures)
    return Criterion(SIGNER_ROLE, label, True, f"{actor} may sign off as {Role(role).label.lower()}.", figures)


def conflicted_people(action, steps, request):
    """Who did or asked for the work, and so may not sign it off: {user id: why}."""
    people = {action.owner_id: "the action's owner"}
    if request is not None:
        people.setdefault(request.requested_by_id, "the person who requested closure")
    for step in steps:
        for user_id in (step.who_id, step.done_by_id):
            if user_id:
                people.setdefault(user_id, "a step owner")
    return people


def _signer_independent(action, steps, actor, request):
    people = conflicted_people(action, steps, request)
    label = "Independent signer"
    figures = {"excluded": len(people)}
    if actor is None:
        sentence = f"The signer must not be {action.owner} (owner), the requester or anyone who did a step."
        return Criterion(SIGNER_INDEPENDENT, label, False, sentence, figures)
    if actor.pk in people:
        return Criterion(
            SIGNER_INDEPENDENT, label, False, f"{actor} is {people[actor.pk]}, so cannot sign off.", figures
        )
    return Criterion(SIGNER_INDEPENDENT, label, True, f"{actor} did not do or request the work.", figures)


# Plan


def evaluate_plan_closure(plan, actor=None, at=None, request=None, actions=None):
    """A plan closes when all its actions are closed and an independent nominated individual signs it off.

    `actions`, when given, must be every action of the plan (with its location): a page that already
    loaded them all saves the query.
    """
    at = at or timezone.now()
    actions = list(actions) if actions is not None else _plan_actions(plan)
    if request is None:
        request = _pending_request(plan)
    open_actions = [action for action in actions if action.status != ActionStatus.CLOSED]
    figures = {"closed": len(actions) - len(open_actions), "total": len(actions)}
    if not actions:
        closed = Criterion(ALL_ACTIONS_CLOSED, "All actions closed", False, "The plan has no actions yet.", figures)
    elif open_actions:
        # Locations, not titles: the sentence reaches managers who cannot see every location's actions.
        places = sorted({action.location.name for action in open_actions})
        sentence = f"{figures['closed']} of {len(actions)} actions closed; still open at {', '.join(places)}."
        closed = Criterion(ALL_ACTIONS_CLOSED, "All actions closed", False, sentence, figures)
    else:
        closed = Criterion(
            ALL_ACTIONS_CLOSED, "All actions closed", True, f"All {len(actions)} actions closed.", figures
        )
    return GateResult(
        criteria=[
            closed,
            _written(BAU_PLAN, "business-as-usual monitoring plan", request and request.bau_monitoring_plan),
            _written(CLOSURE_LEARNING, "closure learning", request and request.closure_learning),
            _plan_signer_role(plan, actor),
            _plan_signer_independent(plan, actions, actor, request),
        ],
        evaluated_at=at,
    )


def _plan_actions(plan):
    """Every action of the plan with its location: prefetched by lists that judge many plans, else one query."""
    cached = getattr(plan, "_prefetched_objects_cache", {}).get("actions")
    return list(cached) if cached is not None else list(plan.actions.select_related("location"))


def _plan_signer_role(plan, actor):
    label = "Signer's role"
    if actor is None:
        return Criterion(SIGNER_ROLE, label, False, "Needs sign-off by a nominated individual.", {})
    membership = permissions.membership_in(actor, plan.organisation_id)
    if membership is None or membership.role != Role.NOMINATED_INDIVIDUAL:
        return Criterion(SIGNER_ROLE, label, False, f"Needs a nominated individual; {actor} is not one.", {})
    return Criterion(SIGNER_ROLE, label, True, f"{actor} may sign off as nominated individual.", {})


def _plan_signer_independent(plan, actions, actor, request):
    people = {plan.owner_id: "the plan's owner"}
    if request is not None:
        people.setdefault(request.requested_by_id, "the person who requested closure")
    for action in actions:
        people.setdefault(action.owner_id, "an action owner")
    label = "Independent signer"
    if actor is None:
        sentence = f"The signer must not be {plan.owner} (owner), the requester or an action owner."
        return Criterion(SIGNER_INDEPENDENT, label, False, sentence, {})
    if actor.pk in people:
        return Criterion(SIGNER_INDEPENDENT, label, False, f"{actor} is {people[actor.pk]}, so cannot sign off.", {})
    return Criterion(SIGNER_INDEPENDENT, label, True, f"{actor} did not own or request the work.", {})
