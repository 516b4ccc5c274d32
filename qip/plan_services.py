"""Writes for plans (the QIP itself). Each audits itself.

Status moves (closure, reopening) belong to governance; these services create
a plan and edit what a registered manager may edit while it is open.
"""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qip import audit, permissions
from qip.models import CADENCE_DAYS, Membership, Organisation, Plan, PlanStatus, QualityStatement, Regulation, Role

# Fields update_plan() accepts; the M2M ones are compared as sorted name lists.
PLAN_FIELDS = (
    "title",
    "problem_statement",
    "source",
    "source_reference",
    "source_date",
    "root_causes",
    "priority_rationale",
    "quality_area",
    "risk_likelihood",
    "risk_impact",
    "owner",
    "review_cadence",
    "target_date",
)
PLAN_M2M_FIELDS = ("locations", "quality_statements", "regulations")
EDITABLE_PLAN_FIELDS = PLAN_FIELDS + PLAN_M2M_FIELDS

RISK_MESSAGES = {
    "risk_likelihood": "Choose a likelihood from 1 (rare) to 5 (almost certain).",
    "risk_impact": "Choose an impact from 1 (negligible) to 5 (catastrophic).",
}


# Helpers shared with actions.services and evidence.services (they may import qip).


def _require(allowed, message):
    """Refuse with PermissionDenied (a plain-English message) unless qip.permissions allowed it."""
    if not allowed:
        raise PermissionDenied(message)


def uk_today():
    """Today's date in UK time (TIME_ZONE is Europe/London)."""
    return timezone.localdate()


def first_messages(error):
    """{field: first message} from a model ValidationError."""
    return {field: messages[0] for field, messages in error.message_dict.items()}


def person_problem(user, organisation, *, location=None, role_words="owner"):
    """Why user cannot be given work in organisation (at location), or "" when they can.

    They need an active membership that is not read-only, covering the location when one is given.
    """
    if user is None:
        return f"Choose the {role_words}."
    if not getattr(user, "is_active", False):
        return f"{user} cannot sign in any more, so cannot be the {role_words}."
    organisation_id = getattr(organisation, "pk", organisation)
    membership = (
        Membership.objects.filter(user=user, organisation_id=organisation_id, is_active=True)
        .prefetch_related("locations")
        .first()
    )
    if membership is None:
        return f"{user} is not an active member of this organisation, so cannot be the {role_words}."
    if membership.role == Role.VIEWER:
        return f"{user} has read-only access, so cannot be the {role_words}."
    if location is not None and membership.location_ids and location.pk not in membership.location_ids:
        return f"{user} does not work at {location}, so cannot be the {role_words} here."
    return ""


def uk_date(value):
    """A date as people in the UK write it: 3 Nov 2026."""
    return f"{value.day} {value:%b %Y}"


def date_problem(value, *, what="This date"):
    """A message when a date is in the future (UK time), else ""."""
    if value is not None and value > uk_today():
        return f"{what} cannot be in the future."
    return ""


def names(objects):
    return sorted(str(obj) for obj in objects)


# References


def next_reference(organisation, *, year=None):
    """The next QIP-<year>-<NNN> for the organisation: one after the highest used that year."""
    year = year or uk_today().year
    prefix = f"QIP-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    used = Plan.objects.filter(organisation=organisation, reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    highest = max((int(match[1]) for ref in used if (match := pattern.match(ref))), default=0)
    return f"{prefix}{highest + 1:03d}"


# Validation


def _location_problems(organisation, locations, *, keep=()):
    """Locations must be the organisation's, current (unless already on the plan), and at least one."""
    if not locations:
        return "Choose at least one location."
    organisation_id = getattr(organisation, "pk", organisation)
    if any(location.organisation_id != organisation_id for location in locations):
        return "Choose locations of this organisation."
    archived = [location.name for location in locations if location.is_archived and location.pk not in keep]
    if archived:
        return f"{', '.join(sorted(archived))} is archived; choose a current location."
    return ""


def _current_framework_problem(items, *, keep=(), kind):
    """Newly linked quality statements or regulations must come from the current CQC framework."""
    stale = [str(item) for item in items if item.pk not in keep and not _is_current(item)]
    if stale:
        return f"Choose {kind} from the current CQC framework ({'; '.join(sorted(stale))} is not)."
    return ""


def _is_current(item):
    if isinstance(item, QualityStatement):
        return QualityStatement.objects.filter(pk=item.pk, key_question__framework__is_current=True).exists()
    return Regulation.objects.filter(pk=item.pk, framework__is_current=True).exists()


def _check_plan(plan, *, locations, quality_statements, regulations, existing=None):
    """Every problem with the plan's values, as {field: message}; existing = the links it already has."""
    existing = existing or {}
    errors = {}
    try:
        plan.full_clean(exclude=["organisation", "created_by", "next_review_date"], validate_unique=False)
    except ValidationError as error:
        errors.update(first_messages(error))
    for field, message in RISK_MESSAGES.items():
        value = getattr(plan, field)
        if field in errors or not isinstance(value, int) or not 1 <= value <= 5:
            errors[field] = message
    if "owner" not in errors and plan.owner_id is not None:
        problem = person_problem(plan.owner, plan.organisation_id, role_words="plan owner")
        if problem:
            errors["owner"] = problem
    elif plan.owner_id is None:
        errors["owner"] = "Choose the plan owner: one person accountable for the plan."
    if problem := date_problem(plan.source_date, what="The source date"):
        errors["source_date"] = problem
    if plan.target_date and plan.source_date and plan.target_date < plan.source_date:
        errors["target_date"] = "The target date cannot be before the source date."
    if problem := _location_problems(plan.organisation_id, locations, keep=existing.get("locations", ())):
        errors["locations"] = problem
    if problem := _current_framework_problem(
        quality_statements, keep=existing.get("quality_statements", ()), kind="quality statements"
    ):
        errors["quality_statements"] = problem
    if problem := _current_framework_problem(regulations, keep=existing.get("regulations", ()), kind="regulations"):
        errors["regulations"] = problem
    return errors


# Services


@transaction.atomic
def create_plan(
    *,
    actor,
    organisation,
    title,
    problem_statement,
    source,
    quality_area,
    risk_likelihood,
    risk_impact,
    owner,
    locations,
    reference=None,
    source_reference="",
    source_date=None,
    root_causes="",
    priority_rationale="",
    quality_statements=(),
    regulations=(),
    review_cadence="monthly",
    target_date=None,
):
    """A new open plan. The reference defaults to the organisation's next QIP-<year>-<NNN>."""
    locations = list(locations)
    _require(
        permissions.can_create_plan(actor, organisation, locations),
        "You cannot create a plan for these locations: only a registered manager, quality lead or nominated "
        "individual can, at locations they work at.",
    )
    # Serialise numbering per organisation (PostgreSQL; SQLite already writes one at a time).
    organisation = Organisation.objects.select_for_update().get(pk=getattr(organisation, "pk", organisation))
    locations, quality_statements, regulations = list(locations), list(quality_statements), list(regulations)
    errors = {}
    if reference is None or not str(reference).strip():
        reference = next_reference(organisation)
    else:
        reference = str(reference).strip()
        if Plan.objects.filter(organisation=organisation, reference__iexact=reference).exists():
            errors["reference"] = f"{reference} is already used by another plan; choose another reference."
    plan = Plan(
        organisation=organisation,
        reference=reference,
        title=(title or "").strip(),
        problem_statement=(problem_statement or "").strip(),
        source=source,
        source_reference=(source_reference or "").strip(),
        source_date=source_date,
        root_causes=root_causes or "",
        priority_rationale=priority_rationale or "",
        quality_area=quality_area,
        risk_likelihood=risk_likelihood,
        risk_impact=risk_impact,
        owner=owner,
        review_cadence=review_cadence,
        target_date=target_date,
        created_by=actor,
    )
    errors = {
        **_check_plan(plan, locations=locations, quality_statements=quality_statements, regulations=regulations),
        **errors,
    }
    if errors:
        raise ValidationError(errors)
    plan.next_review_date = uk_today() + timedelta(days=CADENCE_DAYS[review_cadence])
    plan.save()
    plan.locations.set(locations)
    plan.quality_statements.set(quality_statements)
    plan.regulations.set(regulations)
    audit.record(
        action="plan.created",
        organisation=organisation,
        actor=actor,
        obj=plan,
        data={
            "reference": plan.reference,
            "title": plan.title,
            "source": plan.source,
            "source_reference": plan.source_reference,
            "source_date": plan.source_date,
            "quality_area": plan.quality_area,
            "risk_likelihood": plan.risk_likelihood,
            "risk_impact": plan.risk_impact,
            "risk_score": plan.risk_score,
            "owner": str(plan.owner),
            "locations": names(locations),
            "quality_statements": names(quality_statements),
            "regulations": names(regulations),
            "review_cadence": plan.review_cadence,
            "next_review_date": plan.next_review_date,
            "target_date": plan.target_date,
        },
    )
    return plan


@transaction.atomic
def update_plan(*, actor, plan, **fields):
    """Edit an open plan. Audits {field: [old, new]} (owner as a name, links as sorted name lists).

    A cadence change never pushes the next review later: it becomes the sooner of the
    current date and today + the new cadence. Returns the updated plan (a fresh instance).
    """
    unknown = set(fields) - set(EDITABLE_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"update_plan() cannot change {', '.join(sorted(unknown))}")
    _require(permissions.can_edit_plan(actor, plan), "You cannot edit this plan.")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.CLOSED:
        raise ValidationError(
            {"__all__": f"{plan.reference} is closed, so it cannot be edited. Reopen an action to work on it again."}
        )
    old_links = {field: list(getattr(plan, field).all()) for field in PLAN_M2M_FIELDS}
    new_links = {field: list(fields.get(field, old_links[field])) for field in PLAN_M2M_FIELDS}

    changes = {}
    for field in PLAN_FIELDS:
        if field not in fields:
            continue
        new = fields[field]
        if field in ("title", "problem_statement", "source_reference"):
            new = (new or "").strip()
        old = getattr(plan, field)
        if old != new:
            changes[field] = [str(old) if field == "owner" else old, str(new) if field == "owner" else new]
            setattr(plan, field, new)
    for field in PLAN_M2M_FIELDS:
        old_names, new_names = names(old_links[field]), names(new_links[field])
        if old_names != new_names or {o.pk for o in old_links[field]} != {n.pk for n in new_links[field]}:
            changes[field] = [old_names, new_names]

    errors = _check_plan(
        plan,
        locations=new_links["locations"],
        quality_statements=new_links["quality_statements"],
        regulations=new_links["regulations"],
        existing={field: {obj.pk for obj in old_links[field]} for field in PLAN_M2M_FIELDS},
    )
    removed = {loc.pk for loc in old_links["locations"]} - {loc.pk for loc in new_links["locations"]}
    if removed and "locations" not in errors:
        busy = sorted(
            str(location)
            for location in old_links["locations"]
            if location.pk in removed and plan.actions.filter(location=location).exists()
        )
        if busy:
            errors["locations"] = (
                f"{', '.join(busy)} {'has actions' if len(busy) == 1 else 'have actions'} in this plan, "
                "so cannot be removed from it."
            )
    if errors:
        raise ValidationError(errors)
    if not changes:
        return plan

    if "review_cadence" in changes:
        sooner = uk_today() + timedelta(days=CADENCE_DAYS[plan.review_cadence])
        if plan.next_review_date is None or sooner < plan.next_review_date:
            changes["next_review_date"] = [plan.next_review_date, sooner]
            plan.next_review_date = sooner
    plan.save()
    for field in PLAN_M2M_FIELDS:
        if field in changes:
            getattr(plan, field).set(new_links[field])
    audit.record(action="plan.changed", organisation=plan.organisation_id, actor=actor, obj=plan, data=changes)
    return plan
