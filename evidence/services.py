"""Writes for evidence, measures, readings and concerns. Each audits itself.

Evidence is never deleted: it is withdrawn with a reason. Readings are never
overwritten. A concern records its effect on closure; governance reads it.
"""

import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.models import Action, ActionStatus, Step
from evidence.files import CheckedFile, check_count, check_upload
from evidence.models import (
    Concern,
    ConcernEffect,
    ConcernKind,
    Direction,
    EvidenceFile,
    EvidenceItem,
    EvidenceKind,
    Frequency,
    Measure,
    MeasureReading,
    Purpose,
)
from evidence.signals import concern_logged
from qip import audit, permissions
from qip.models import EvidenceCategory, Plan, PlanStatus
from qip.plan_services import date_problem, first_messages, person_problem, uk_date

MEASURE_FIELDS = (
    "name",
    "unit",
    "direction",
    "baseline_value",
    "baseline_date",
    "target",
    "frequency",
    "data_source",
)
# After the action has started, changing these moves the goalposts: a reason is required.
MEASURE_GOALPOSTS = ("target", "direction")
PERIOD_WORDS = {Frequency.WEEKLY: "week", Frequency.FORTNIGHTLY: "fortnight", Frequency.MONTHLY: "month"}
# The action is being worked on or monitored: a concern restarts the stability window.
WINDOW_STATUSES = {
    ActionStatus.IN_PROGRESS,
    ActionStatus.COMPLETED,
    ActionStatus.ASSURANCE,
    ActionStatus.AWAITING_SIGNOFF,
    ActionStatus.REOPENED,
}


def _require(allowed, message):
    """Refuse with PermissionDenied (a plain-English message) unless qip.permissions allowed it."""
    if not allowed:
        raise PermissionDenied(message)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value, unit=""):
    """91.0 with "%" → "91%"; 3 with "errors" → "3 errors"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


# Evidence


@transaction.atomic
def add_evidence(
    *,
    actor,
    category,
    kind,
    purpose,
    title,
    collected_on,
    action=None,
    plan=None,
    summary="",
    recorded_where="",
    people_named="",
    assures_step=None,
    location=None,
    files=(),
    collected_by=None,
):
    """Evidence for an action (or for a whole plan), with any files.

    Files (uploads, or CheckedFiles from the form) are checked before anything is written:
    count, size, type from the content; images are re-encoded. Each is stored under a server-made
    name with its original name, type, size and SHA-256 (of the bytes stored) recorded.
    A closed plan takes no new plan-level evidence, but its actions still take evidence for
    their post-closure checks, which run after the plan has closed.
    """
    if (action is None) == (plan is None):
        raise ValidationError({"__all__": "Add evidence to an action or to a plan (one of the two)."})
    _require(
        permissions.can_add_evidence(actor, action if action is not None else plan, location=location),
        f"You cannot add evidence to this {'action' if action is not None else 'plan'}.",
    )
    if action is not None:
        action = Action.objects.select_related("plan", "location").get(pk=action.pk)
        plan = action.plan
    else:
        plan = Plan.objects.get(pk=plan.pk)
    if plan.status == PlanStatus.CLOSED and action is None:
        raise ValidationError(
            {"__all__": f"{plan.reference} is closed; add evidence to one of its actions for a post-closure check."}
        )
    collected_by = collected_by or actor
    errors = {}
    if action is not None:
        if location is not None and location.pk != action.location_id:
            errors["location"] = f"This action is at {action.location}; evidence for it is from there."
        location = action.location
    elif location is not None and not plan.locations.filter(pk=location.pk).exists():
        errors["location"] = "Choose one of the plan's locations."
    item = EvidenceItem(
        organisation_id=plan.organisation_id,
        plan=plan,
        action=action,
        assures_step=assures_step,
        location=location,
        category=category,
        kind=kind,
        purpose=purpose,
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        collected_on=collected_on,
        collected_by=collected_by,
        recorded_where=(recorded_where or "").strip(),
        people_named=(people_named or "").strip(),
        added_by=actor,
    )
    try:
        item.full_clean(
            exclude=["organisation", "plan", "action", "assures_step", "location", "collected_by", "added_by"],
            validate_constraints=False,
        )
    except ValidationError as error:
        errors = {**first_messages(error), **errors}
    if (
        not isinstance(category, EvidenceCategory)
        or not EvidenceCategory.objects.filter(pk=category.pk, framework__is_current=True).exists()
    ):
        errors["category"] = "Choose one of the CQC evidence categories."
    if kind not in EvidenceKind.values:
        errors["kind"] = "Choose what kind of evidence this is."
    if purpose not in Purpose.values:
        errors["purpose"] = "Say whether this shows a task happened (activity) or that practice changed (assurance)."
    if "collected_on" not in errors:
        if item.collected_on is None:
            errors["collected_on"] = "Give the date it was collected."
        elif problem := date_problem(item.collected_on, what="The date collected"):
            errors["collected_on"] = problem
    if assures_step is not None and (
        action is None or not isinstance(assures_step, Step) or assures_step.action_id != action.pk
    ):
        errors["assures_step"] = "Choose one of this action's steps."
    if collected_by != actor and (
        problem := person_problem(collected_by, plan.organisation_id, role_words="collector")
    ):
        errors["collected_by"] = problem
    files = list(files)
    checked = []
    try:
        check_count(files)
        for upload in files:
            # A CheckedFile was made by check_upload (the form's clean_files): checking it again would
            # decode its images a second time, inside this transaction.
            checked.append(upload if isinstance(upload, CheckedFile) else check_upload(upload))
    except ValidationError as error:
        errors["files"] = error.messages[0]
    if errors:
        raise ValidationError(errors)

    item.save()
    stored = []
    try:
        for file in checked:
            record = EvidenceFile(
                evidence=item,
                original_name=file.original_name,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
                uploaded_by=actor,
            )
            record.file.save(file.original_name, file.upload, save=False)
            stored.append(record.file.name)
            record.save()
        audit.record(
            action="evidence.added",
            organisation=plan.organisation_id,
            actor=actor,
            obj=item,
            data={
                "title": item.title,
                "category": category.slug,
                "purpose": purpose,
                "kind": kind,
                "collected_on": item.collected_on,
                "plan": plan.reference,
                "action": action.pk if action else None,
                "location": str(location) if location else None,
                "assures_step": assures_step.pk if assures_step else None,
                "files": [
                    {"name": f.original_name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256}
                    for f in checked
                ],
            },
        )
    except BaseException:
        # The rows roll back with the transaction; the stored files would not.
        for name in stored:
            EvidenceFile._meta.get_field("file").storage.delete(name)
        raise
    return item


@transaction.atomic
def withdraw_evidence(*, actor, evidence, reason):
    """Withdraw evidence with a reason. The row and its files are kept."""
    _require(permissions.can_withdraw_evidence(actor, evidence), "You cannot withdraw this evidence.")
    evidence = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    if evidence.is_withdrawn:
        raise ValidationError(
            {"__all__": f"This evidence was already withdrawn on {uk_date(timezone.localdate(evidence.withdrawn_at))}."}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this evidence is being withdrawn; the evidence itself is kept."})
    evidence.withdrawn_at = timezone.now()
    evidence.withdrawn_by = actor
    evidence.withdrawn_reason = reason
    evidence.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    audit.record(
        action="evidence.withdrawn",
        organisation=evidence.organisation_id,
        actor=actor,
        obj=evidence,
        data={"title": evidence.title, "reason": reason},
    )
    return evidence


# Measures and readings


def _measure_problems(measure):
    errors = {}
    try:
        measure.full_clean(exclude=["action"], validate_constraints=False, validate_unique=False)
    except ValidationError as error:
        errors.update(first_messages(error))
    if not _is_number(measure.target):
        errors["target"] = "Give the target as a number, for example 95."
    if measure.baseline_value is not None and not _is_number(measure.baseline_value):
        errors["baseline_value"] = "Give the baseline as a number, or leave it empty."
    if measure.direction not in Direction.values:
        errors["direction"] = "Say whether higher or lower is better."
    if measure.frequency not in Frequency.values:
        errors["frequency"] = "Choose how often it is measured."
    if problem := date_problem(measure.baseline_date, what="The baseline date"):
        errors["baseline_date"] = problem
    if measure.baseline_value is not None and measure.baseline_date is None and "baseline_date" not in errors:
        errors["baseline_date"] = "Give the date of the baseline value."
    return errors


def _measure_data(measure):
    return {field: getattr(measure, field) for field in MEASURE_FIELDS}


@transaction.atomic
def create_measure(
    *,
    actor,
    action,
    name,
    target,
    unit="",
    direction="higher",
    baseline_value=None,
    baseline_date=None,
    frequency="weekly",
    data_source="",
):
    """The action's measure (one per action)."""
    _require(permissions.can_manage_measure(actor, action), "You cannot set this action's measure.")
    action = Action.objects.select_for_update().select_related("plan").get(pk=action.pk)
    if action.is_closed:
        raise ValidationError({"__all__": "This action is closed, so its measure cannot be set. Reopen it first."})
    if Measure.objects.filter(action=action).exists():
        raise ValidationError({"__all__": "This action already has a measure; change that one instead."})
    measure = Measure(
        action=action,
        name=(name or "").strip(),
        unit=(unit or "").strip(),
        direction=direction,
        baseline_value=baseline_value,
        baseline_date=baseline_date,
        target=target,
        frequency=frequency,
        data_source=(data_source or "").strip(),
    )
    errors = _measure_problems(measure)
    if errors:
        raise ValidationError(errors)
    measure.save()
    audit.record(
        action="measure.created",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=measure,
        data=_measure_data(measure),
    )
    return measure


@transaction.atomic
def update_measure(*, actor, measure, reason="", **fields):
    """Change a measure. After the action started, changing the target or direction needs a reason.

    Audits {"changes": {field: [old, new]}, "reason": ..., "after_start": bool}. Returns a fresh instance.
    """
    unknown = set(fields) - set(MEASURE_FIELDS)
    if unknown:
        raise TypeError(f"update_measure() cannot change {', '.join(sorted(unknown))}")
    _require(permissions.can_manage_measure(actor, measure.action), "You cannot change this measure.")
    measure = Measure.objects.select_for_update().select_related("action__plan").get(pk=measure.pk)
    action = measure.action
    if action.is_closed:
        raise ValidationError({"__all__": "This action is closed, so its measure cannot be changed. Reopen it first."})
    for field in ("name", "unit", "data_source"):
        if field in fields:
            fields[field] = (fields[field] or "").strip()
    changes = {
        field: [getattr(measure, field), value] for field, value in fields.items() if getattr(measure, field) != value
    }
    if not changes:
        return measure
    for field in changes:
        setattr(measure, field, fields[field])
    errors = _measure_problems(measure)
    reason = (reason or "").strip()
    after_start = action.started_at is not None
    if after_start and not reason and set(changes) & set(MEASURE_GOALPOSTS):
        errors["reason"] = (
            "This action has started, so say why the target or direction is changing; the change and the reason "
            "are shown with the measure."
        )
    if errors:
        raise ValidationError(errors)
    measure.save()
    audit.record(
        action="measure.changed",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=measure,
        data={"changes": changes, "reason": reason, "after_start": after_start},
    )
    return measure


def _existing_reading(measure, location, period_end):
    return MeasureReading.objects.filter(measure=measure, location=location, period_end=period_end).first()


def _already_recorded(measure, existing):
    period = PERIOD_WORDS.get(measure.frequency, "period")
    return (
        f"A reading for the {period} ending {uk_date(existing.period_end)} is already recorded "
        f"({format_value(existing.value, measure.unit)}). Readings are never overwritten: check the date, "
        "or if that reading was wrong, say so in the note of the next one."
    )


@transaction.atomic
def record_reading(*, actor, measure, period_end, value=None, numerator=None, denominator=None, note="", location=None):
    """One reading. The value may come from numerator/denominator (a percentage, 1 dp). Never overwrites."""
    _require(permissions.can_record_reading(actor, measure), "You cannot record readings for this measure.")
    measure = Measure.objects.select_related("action__plan", "action__location").get(pk=measure.pk)
    action = measure.action
    location = location or action.location
    errors = {}
    if location.pk != action.location_id:
        errors["location"] = f"This measure is for {action.location}; record readings for there."
    if period_end is None:
        errors["period_end"] = "Give the date the period ended."
    elif problem := date_problem(period_end, what="The period end"):
        errors["period_end"] = problem
    if (numerator is None) != (denominator is None):
        errors["denominator" if denominator is None else "numerator"] = (
            "Give both the number that met the standard and the number checked, or neither."
        )
    elif numerator is not None:
        if not isinstance(numerator, int) or isinstance(numerator, bool) or numerator < 0:
            errors["numerator"] = "Give the number that met the standard as a whole number, 0 or more."
        if not isinstance(denominator, int) or isinstance(denominator, bool) or denominator < 1:
            errors["denominator"] = "Give the number checked as a whole number, 1 or more."
        elif "numerator" not in errors and numerator > denominator:
            errors["numerator"] = (
                f"The number that met the standard ({numerator}) cannot be more than "
                f"the number checked ({denominator})."
            )
    if value is None and numerator is None:
        errors.setdefault("value", "Give the value, or the numerator and denominator.")
    elif value is not None and not _is_number(value):
        errors["value"] = "Give the value as a number."
    elif not errors and numerator is not None:
        percentage = round(numerator / denominator * 100, 1)
        if value is None:
            value = percentage
        elif abs(value - percentage) > 0.05:
            errors["value"] = (
                f"{numerator} of {denominator} is {format_value(percentage, '%')}, "
                f"not {format_value(value, measure.unit)}."
            )
    if len(note or "") > 300:
        errors["note"] = "Keep the note to 300 characters."
    if "period_end" not in errors and "location" not in errors:
        existing = _existing_reading(measure, location, period_end)
        if existing is not None:
            errors["period_end"] = _already_recorded(measure, existing)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            reading = MeasureReading.objects.create(
                measure=measure,
                location=location,
                period_end=period_end,
                value=float(value),
                numerator=numerator,
                denominator=denominator,
                note=(note or "").strip(),
                recorded_by=actor,
            )
    except IntegrityError:
        # Someone recorded the same period a moment ago: say so rather than fail.
        existing = _existing_reading(measure, location, period_end)
        if existing is None:
            raise
        raise ValidationError({"period_end": _already_recorded(measure, existing)}) from None
    audit.record(
        action="reading.recorded",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=reading,
        data={
            "measure": measure.name,
            "location": str(location),
            "period_end": period_end,
            "value": reading.value,
            "numerator": numerator,
            "denominator": denominator,
            "meets_target": measure.meets_target(reading.value),
            "note": reading.note,
        },
    )
    return reading


# Concerns


def concern_effect(status):
    """What a concern does to an action in this status (governance reads the concern's date)."""
    if status == ActionStatus.CLOSED:
        return ConcernEffect.REOPEN_PROPOSED
    if status in WINDOW_STATUSES:
        return ConcernEffect.WINDOW_RESTARTED
    return ConcernEffect.NONE


@transaction.atomic
def log_concern(*, actor, action, kind, occurred_on, summary, people_named="", at=None):
    """Log an incident, complaint or finding against an action and record its effect on closure.

    Closed → reopening proposed (action.reopen_proposed_at set); being worked on or monitored →
    the stability window restarts; open (not started) → no effect.
    """
    _require(permissions.can_log_concern(actor, action), "You cannot log a concern against this action.")
    action = Action.objects.select_for_update().select_related("plan").get(pk=action.pk)
    concern = Concern(
        action=action,
        kind=kind,
        occurred_on=occurred_on,
        summary=(summary or "").strip(),
        people_named=(people_named or "").strip(),
        effect=concern_effect(action.status),
        logged_by=actor,
        logged_at=at or timezone.now(),
    )
    errors = {}
    try:
        concern.full_clean(exclude=["action", "logged_by"])
    except ValidationError as error:
        errors.update(first_messages(error))
    if kind not in ConcernKind.values:
        errors["kind"] = "Choose what kind of concern this is."
    if occurred_on is None:
        errors["occurred_on"] = "Give the date it happened."
    elif problem := date_problem(occurred_on, what="The date it happened"):
        errors["occurred_on"] = problem
    if not concern.summary:
        errors["summary"] = "Say what happened."
    if errors:
        raise ValidationError(errors)
    concern.save()
    if concern.effect == ConcernEffect.REOPEN_PROPOSED and action.reopen_proposed_at is None:
        action.reopen_proposed_at = concern.logged_at
        action.save(update_fields=["reopen_proposed_at", "updated_at"])
    audit.record(
        action="concern.logged",
        organisation=action.plan.organisation_id,
        actor=actor,
        obj=concern,
        data={
            "action": action.pk,
            "kind": kind,
            "occurred_on": occurred_on,
            "effect": concern.effect,
            "action_status": action.status,
        },
    )
    concern_logged.send(sender=Concern, concern=concern, actor=actor)
    return concern
