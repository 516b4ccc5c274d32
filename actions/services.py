"""Writes for actions, their steps and closure criteria. Each audits itself.

Status moves (starting, step completion, adding a step, closure, reopening)
belong to governance; these services create and edit. Weak wording (actions.lint) is
refused unless the person gives a reason to keep it; the reason and the
finding codes are kept in the audit event.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from actions.lint import lint_wording
from actions.models import Action, ActionStatus, ApprovalLevel, ClosureCriteria, StabilityRule, Step
from qip import audit, permissions
from qip.models import Plan, PlanStatus, Role
from qip.plan_services import first_messages, person_problem, uk_date

UNCHANGED = object()  # update_step(): "leave this field as it is"

ACTION_FIELDS = (
    "title",
    "owner",
    "due_date",
    "baseline_issue",
    "measurable_improvement",
    "high_risk",
    "high_risk_reason",
    "what_can_go_wrong",
    "early_warning_signs",
    "escalation",
    "monitoring",
    "reopen_triggers",
)
STEP_FIELDS = ("what", "who", "who_role", "due_date", "recorded_where")
CRITERIA_FIELDS = (
    "min_evidence_categories",
    "stability_rule",
    "window_days",
    "min_readings",
    "spc_baseline_points",
    "spc_shift_run",
    "spc_trend_run",
    "approval_level",
    "named_reviewer",
    "post_closure_offsets",
)
HIGH_RISK_FLOOR_MESSAGE = "High-risk actions are signed off by a nominated individual; this cannot be lowered."
KEEP_WORDING = "Give a reason to keep this wording."
APPROVERS = {
    ApprovalLevel.QUALITY_LEAD: {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL},
    ApprovalLevel.NOMINATED_INDIVIDUAL: {Role.NOMINATED_INDIVIDUAL},
}
# (lowest, highest, message) for the whole-number criteria.
CRITERIA_RANGES = {
    "min_evidence_categories": (1, 6, "Choose from 1 to 6 evidence categories (CQC names six)."),
    "window_days": (7, 365, "Choose a stability window from 7 to 365 days."),
    "min_readings": (1, 52, "Choose from 1 to 52 readings."),
    "spc_baseline_points": (2, 100, "Choose a baseline of 2 to 100 points (12 or more gives firm limits)."),
    "spc_shift_run": (5, 12, "Choose a shift run of 5 to 12 points (Making Data Count uses 7)."),
    "spc_trend_run": (5, 12, "Choose a trend run of 5 to 12 points (Making Data Count uses 7)."),
}
OFFSETS_MESSAGE = (
    "Give 1 to 4 post-closure checks as days after closure, each from 1 to 730, in ascending order "
    "(for example 30, 90)."
)


# Helpers


def _require(allowed, message):
    """Refuse with PermissionDenied (a plain-English message) unless qip.permissions allowed it."""
    if not allowed:
        raise PermissionDenied(message)


def _refuse_if_closed(action, doing="edited"):
    if action.status == ActionStatus.CLOSED:
        raise ValidationError(
            {"__all__": f"This action is closed, so it cannot be {doing}. Reopen it first to change it."}
        )


def _label(value):
    """How a value goes into an audit event: people by name, everything else as it is."""
    if hasattr(value, "get_full_name"):
        return value.get_full_name()
    return value


def _changes(obj, fields, values):
    """{field: [old, new]} for the fields whose value changes (people as names)."""
    changes = {}
    for field in fields:
        if field not in values:
            continue
        old, new = getattr(obj, field), values[field]
        if old != new:
            changes[field] = [_label(old), _label(new)]
    return changes


def _is_whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def wording_problem(findings, wording_reason):
    """The message for the first finding when no reason is given, else ""."""
    if findings and not (wording_reason or "").strip():
        return f"{findings[0].message} {KEEP_WORDING}"
    return ""


def wording_kept(findings, wording_reason):
    codes = list(dict.fromkeys(finding.code for finding in findings))
    return {"reason": wording_reason.strip(), "findings": codes}


def derive_high_risk(plan):
    """(high_risk, reason) from the plan: a high-risk quality area or a risk score of 15 or more."""
    if plan.is_high_risk_area:
        return True, f"{plan.get_quality_area_display()} is a high-risk area."
    if plan.risk_score >= 15:
        return True, f"The plan's risk score is {plan.risk_score} ({plan.risk_likelihood} × {plan.risk_impact})."
    return False, ""


def criteria_values(criteria):
    """The criteria as they go into audit events and packs."""
    return {field: _label(getattr(criteria, field)) for field in CRITERIA_FIELDS}


def _reviewer_problem(reviewer, *, action, approval_level):
    if reviewer is None:
        return ""
    problem = person_problem(reviewer, action.plan.organisation_id, role_words="named reviewer")
    if problem:
        return problem
    if reviewer.pk == action.owner_id:
        return f"{reviewer} owns this action, so cannot be its named reviewer."
    membership = reviewer.memberships.get(organisation_id=action.plan.organisation_id)
    if membership.role not in APPROVERS.get(approval_level, set()):
        needed = (
            "a nominated individual"
            if approval_level == ApprovalLevel.NOMINATED_INDIVIDUAL
            else ("a quality lead or nominated individual")
        )
        return f"{reviewer} cannot approve this closure; choose {needed}."
    return ""


def _criteria_problems(values, *, action):
    """Every problem with a complete set of criteria values, as {field: message}."""
    errors = {}
    for field, (lowest, highest, message) in CRITERIA_RANGES.items():
        value = values[field]
        if not _is_whole_number(value) or not lowest <= value <= highest:
            errors[field] = message
    if values["stability_rule"] not in StabilityRule.values:
        errors["stability_rule"] = "Choose target held or SPC."
    level = values["approval_level"]
    if level not in ApprovalLevel.values:
        errors["approval_level"] = "Choose who approves closure."
    elif action.high_risk and level != ApprovalLevel.NOMINATED_INDIVIDUAL:
        errors["approval_level"] = HIGH_RISK_FLOOR_MESSAGE
    offsets = values["post_closure_offsets"]
    if (
        not isinstance(offsets, list | tuple)
        or not 1 <= len(offsets) <= 4
        or not all(_is_whole_number(days) and 1 <= days <= 730 for days in offsets)
        or any(later <= earlier for earlier, later in zip(offsets, offsets[1:], strict=False))
    ):
        errors["post_closure_offsets"] = OFFSETS_MESSAGE
    if "approval_level" not in errors and (
        problem := _reviewer_problem(values["named_reviewer"], action=action, approval_level=level)
    ):
        errors["named_reviewer"] = problem
    return errors


def step_problems(step, *, action):
    """Problems with one step (a dict of STEP_FIELDS), as a list of (field, message)."""
    problems = []
    if not (step.get("what") or "").strip():
        problems.append(("what", "Say what is done."))
    who = step.get("who")
    if who is not None and (
        problem := person_problem(who, action.plan.organisation_id, location=action.location, role_words="person")
    ):
        problems.append(("who", problem))
    if len(step.get("who_role") or "") > 100:
        problems.append(("who_role", "Keep the role words to 100 characters."))
    if len(step.get("recorded_where") or "") > 200:
        problems.append(("recorded_where", "Keep where it is recorded to 200 characters."))
    due = step.get("due_date")
    if due and action.due_date and due > action.due_date:
        problems.append(("due_date", f"This step would be due after the action itself ({uk_date(action.due_date)})."))
    return problems


def lint_step(step):
    return lint_wording(
        step.get("what") or "",
        kind="step",
        who=step.get("who") or step.get("who_role") or "",
        due_date=step.get("due_date"),
    )


# Actions


@transaction.atomic
def create_action(
    *,
    actor,
    plan,
    location,
    title,
    owner,
    steps=(),
    due_date=None,
    baseline_issue="",
    measurable_improvement="",
    high_risk=None,
    high_risk_reason="",
    what_can_go_wrong="",
    early_warning_signs="",
    escalation="",
    monitoring="",
    reopen_triggers="",
    criteria=None,
    wording_reason="",
):
    """A new open action with its steps and closure criteria.

    high_risk=None derives it from the plan (quality area or risk score ≥ 15). Criteria
    default to the model's defaults, with a nominated individual approving high-risk
    actions; `criteria` (a dict of CRITERIA_FIELDS) overrides them.
    """
    _require(permissions.can_create_action(actor, plan, location), "You cannot add an action at this location.")
    steps = [dict(step) for step in steps]
    for step in steps:
        unknown = set(step) - set(STEP_FIELDS)
        if unknown:
            raise TypeError(f"a step cannot have {', '.join(sorted(unknown))}")
    criteria = dict(criteria or {})
    unknown = set(criteria) - set(CRITERIA_FIELDS)
    if unknown:
        raise TypeError(f"criteria cannot have {', '.join(sorted(unknown))}")

    errors = {}
    plan = Plan.objects.select_for_update().get(pk=plan.pk)  # the plan's status, as it is now
    if plan.status == PlanStatus.CLOSED:
        raise ValidationError({"__all__": f"{plan.reference} is closed, so no actions can be added to it."})
    derived_reason = ""
    if high_risk is None:
        high_risk, derived_reason = derive_high_risk(plan)
    action = Action(
        plan=plan,
        location=location,
        title=(title or "").strip(),
        owner=owner,
        due_date=due_date,
        baseline_issue=baseline_issue or "",
        measurable_improvement=measurable_improvement or "",
        high_risk=bool(high_risk),
        high_risk_reason=(high_risk_reason or "").strip() or derived_reason,
        what_can_go_wrong=what_can_go_wrong or "",
        early_warning_signs=early_warning_signs or "",
        escalation=escalation or "",
        monitoring=monitoring or "",
        reopen_triggers=reopen_triggers or "",
        status=ActionStatus.OPEN,
        created_by=actor,
    )
    try:
        action.full_clean(exclude=["plan", "created_by", "closing_signoff"], validate_constraints=False)
    except ValidationError as error:
        errors.update(first_messages(error))
    if location is None or not plan.locations.filter(pk=location.pk).exists():
        errors["location"] = "Choose one of the plan's locations."
    elif location.is_archived:
        errors["location"] = f"{location} is archived; choose a current location."
    if owner is None:
        errors["owner"] = "Choose the action owner: one person accountable for it."
    elif problem := person_problem(owner, plan.organisation_id, location=location, role_words="action owner"):
        errors["owner"] = problem
    for number, step in enumerate(steps, 1):
        if problems := step_problems(step, action=action):
            errors["steps"] = f"Step {number}: {problems[0][1]}"
            break

    criteria_defaults = {field: ClosureCriteria._meta.get_field(field).get_default() for field in CRITERIA_FIELDS}
    criteria_defaults["named_reviewer"] = None
    criteria_defaults["approval_level"] = (
        ApprovalLevel.NOMINATED_INDIVIDUAL if action.high_risk else ApprovalLevel.QUALITY_LEAD
    )
    criteria_values_ = {**criteria_defaults, **criteria}
    errors.update(_criteria_problems(criteria_values_, action=action))

    # Wording: the title, then each step's text.
    title_findings = lint_wording(action.title, kind="action", owner=owner, due_date=due_date)
    step_findings = [(number, lint_step(step)) for number, step in enumerate(steps, 1)]
    if "title" not in errors and (problem := wording_problem(title_findings, wording_reason)):
        errors["title"] = problem
    if "steps" not in errors:
        for number, findings in step_findings:
            if problem := wording_problem(findings, wording_reason):
                errors["steps"] = f"Step {number}: {problem}"
                break
    if errors:
        raise ValidationError(errors)

    action.save()
    for order, step in enumerate(steps):
        Step.objects.create(
            action=action,
            order=order,
            what=step["what"].strip(),
            who=step.get("who"),
            who_role=(step.get("who_role") or "").strip(),
            due_date=step.get("due_date"),
            recorded_where=(step.get("recorded_where") or "").strip(),
        )
    closure_criteria = ClosureCriteria.objects.create(
        action=action,
        **{**criteria_values_, "post_closure_offsets": list(criteria_values_["post_closure_offsets"])},
    )
    data = {
        "title": action.title,
        "plan": plan.reference,
        "location": str(location),
        "owner": _label(owner),
        "due_date": due_date,
        "high_risk": action.high_risk,
        "high_risk_reason": action.high_risk_reason,
        "steps": len(steps),
        "criteria": criteria_values(closure_criteria),
    }
    all_findings = title_findings + [finding for _, findings in step_findings for finding in findings]
    if all_findings:
        data["wording_kept"] = wording_kept(all_findings, wording_reason)
    organisation = plan.organisation_id
    audit.record(action="action.created", organisation=organisation, actor=actor, obj=action, data=data)
    audit.record(
        action="criteria.agreed",
        organisation=organisation,
        actor=actor,
        obj=closure_criteria,
        data=criteria_values(closure_criteria),
    )
    return action


def _raise_approval_floor(*, actor, action):
    """A high-risk action is approved by a nominated individual: lift the criteria if they are lower."""
    criteria = ClosureCriteria.objects.select_for_update().filter(action=action).first()
    if criteria is None or criteria.approval_level == ApprovalLevel.NOMINATED_INDIVIDUAL:
        return
    changes = {"approval_level": [criteria.approval_level, ApprovalLevel.NOMINATED_INDIVIDUAL.value]}
    criteria.approval_level = ApprovalLevel.NOMINATED_INDIVIDUAL
    after_start = action.started_at is not None
    if after_start:
        criteria.changed_after_start = True
    if criteria.named_reviewer_id and _reviewer_problem(
        criteria.named_reviewer, action=action, approval_level=criteria.approval_level
    ):
        # A quality lead named to review can no longer approve; the gate will ask for a nominated individual.
        changes["named_reviewer"] = [_label(criteria.named_reviewer), None]
        criteria.named_reviewer = None
    criteria.save()
    audit.record(
        action="criteria.changed",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=criteria,
        data={"changes": changes, "reason": "action marked high-risk", "after_start": after_start},
    )


@transaction.atomic
def update_action(*, actor, action, wording_reason="", **fields):
    """Edit an action (not its status). Returns the updated action (a fresh instance)."""
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"update_action() cannot change {', '.join(sorted(unknown))}")
    _require(permissions.can_manage_action(actor, action), "You cannot change this action.")
    action = Action.objects.select_for_update().select_related("plan").get(pk=action.pk)
    _refuse_if_closed(action)
    for field in ("title", "high_risk_reason"):
        if field in fields:
            fields[field] = (fields[field] or "").strip()
    for field in (
        "baseline_issue",
        "measurable_improvement",
        "what_can_go_wrong",
        "early_warning_signs",
        "escalation",
        "monitoring",
        "reopen_triggers",
    ):
        if field in fields:
            fields[field] = fields[field] or ""
    if "high_risk" in fields:
        fields["high_risk"] = bool(fields["high_risk"])
    changes = _changes(action, ACTION_FIELDS, fields)
    if not changes:
        return action
    was_high_risk = action.high_risk
    for field in changes:
        setattr(action, field, fields[field])

    errors = {}
    try:
        action.full_clean(exclude=["plan", "location", "created_by", "closing_signoff"], validate_constraints=False)
    except ValidationError as error:
        errors.update(first_messages(error))
    if "owner" in changes:
        if action.owner is None:
            errors["owner"] = "Choose the action owner: one person accountable for it."
        elif problem := person_problem(
            action.owner, action.plan.organisation_id, location=action.location, role_words="action owner"
        ):
            errors["owner"] = problem
        elif ClosureCriteria.objects.filter(action=action, named_reviewer=action.owner).exists():
            errors["owner"] = f"{action.owner} is the named reviewer, so cannot also own this action."
    findings = []
    if "title" in changes and "title" not in errors:
        findings = lint_wording(action.title, kind="action", owner=action.owner, due_date=action.due_date)
        if problem := wording_problem(findings, wording_reason):
            errors["title"] = problem
    if errors:
        raise ValidationError(errors)

    action.save()
    data = dict(changes)
    if findings:
        data["wording_kept"] = wording_kept(findings, wording_reason)
    audit.record(action="action.changed", organisation=action.plan.organisation_id, actor=actor, obj=action, data=data)
    if action.high_risk and not was_high_risk:
        _raise_approval_floor(actor=actor, action=action)
    return action


# Steps


@transaction.atomic
def update_step(
    *,
    actor,
    step,
    what=UNCHANGED,
    who=UNCHANGED,
    who_role=UNCHANGED,
    due_date=UNCHANGED,
    recorded_where=UNCHANGED,
    wording_reason="",
):
    """Edit a step's words (marking it done or undone is governance's). Returns the step (a fresh instance)."""
    _require(permissions.can_edit_step(actor, step), "You cannot change this action's steps.")
    step = Step.objects.select_for_update().select_related("action__plan", "action__location").get(pk=step.pk)
    action = step.action
    _refuse_if_closed(action)
    if step.is_done:
        raise ValidationError({"__all__": "This step is done, so it cannot be edited."})
    given = {"what": what, "who": who, "who_role": who_role, "due_date": due_date, "recorded_where": recorded_where}
    values = {field: value for field, value in given.items() if value is not UNCHANGED}
    for field in ("what", "who_role", "recorded_where"):
        if field in values:
            values[field] = (values[field] or "").strip()
    changes = _changes(step, STEP_FIELDS, values)
    if not changes:
        return step
    for field in changes:
        setattr(step, field, values[field])

    errors = {}
    values = {field: getattr(step, field) for field in STEP_FIELDS}
    for field, problem in step_problems(values, action=action):
        if field != "who" or "who" in changes:
            errors.setdefault(field, problem)
    try:
        step.full_clean(exclude=["action", "who", "done_by"], validate_constraints=False)
    except ValidationError as error:
        errors = {**first_messages(error), **errors}
    findings = []
    if {"what", "who", "who_role", "due_date"} & set(changes) and "what" not in errors:
        findings = lint_step(values)
        if problem := wording_problem(findings, wording_reason):
            errors["what"] = problem
    if errors:
        raise ValidationError(errors)

    step.save()
    data = dict(changes)
    if findings:
        data["wording_kept"] = wording_kept(findings, wording_reason)
    audit.record(action="step.changed", organisation=action.plan.organisation_id, actor=actor, obj=step, data=data)
    return step


# Closure criteria


@transaction.atomic
def change_criteria(*, actor, criteria, reason="", **fields):
    """Change the closure criteria. After the action has started a reason is required, and the
    change is flagged (changed_after_start) and reported wherever the criteria are shown.

    Returns the criteria (a fresh instance).
    """
    unknown = set(fields) - set(CRITERIA_FIELDS)
    if unknown:
        raise TypeError(f"change_criteria() cannot change {', '.join(sorted(unknown))}")
    _require(permissions.can_change_criteria(actor, criteria), "You cannot change this action's closure criteria.")
    criteria = ClosureCriteria.objects.select_for_update().select_related("action__plan").get(pk=criteria.pk)
    action = Action.objects.select_for_update().select_related("plan").get(pk=criteria.action_id)
    criteria.action = action
    _refuse_if_closed(action, doing="given new closure criteria")
    if "post_closure_offsets" in fields and isinstance(fields["post_closure_offsets"], tuple):
        fields["post_closure_offsets"] = list(fields["post_closure_offsets"])
    changes = _changes(criteria, CRITERIA_FIELDS, fields)
    if not changes:
        return criteria
    values = {field: fields.get(field, getattr(criteria, field)) for field in CRITERIA_FIELDS}
    errors = _criteria_problems(values, action=action)
    reason = (reason or "").strip()
    after_start = action.started_at is not None
    if after_start and not reason:
        errors["reason"] = (
            "This action has started, so say why the closure criteria are changing; the reason is shown "
            "wherever the criteria are."
        )
    if errors:
        raise ValidationError(errors)
    for field in changes:
        setattr(criteria, field, values[field])
    if after_start:
        criteria.changed_after_start = True
    criteria.save()
    audit.record(
        action="criteria.changed",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=criteria,
        data={"changes": changes, "reason": reason, "after_start": after_start},
    )
    return criteria
