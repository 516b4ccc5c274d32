"""Reads for the plan screens (list, form choices, detail). Each starts from `for_user()`.

Flags a manager filters by, worked out in the database so the list costs the same
number of queries whatever its length:

- risk score = likelihood × impact; high ≥ 15, medium 8–14, low ≤ 7;
- overdue = not closed and past its target date;
- stalled (the one rule: the plan list, the dashboard and the oversight page all read is_stalled) =
  not closed and either
  - overdue and inactive: nothing new (evidence added or a measure reading recorded) in the last
    two review cycles (CADENCE_DAYS of the plan's cadence), or
  - no measurable movement: the plan is at least two review cycles old, some action not yet closed
    has a measure with a baseline and readings at its location for periods ending in those two
    cycles, and no such reading of any such action is better than its measure's baseline in the
    measure's direction (higher or lower is better). Measures without a baseline are not judged.
  The reasons are annotated too (is_overdue, has_recent_activity, no_movement) so a screen can say why.
"""

from datetime import datetime, time, timedelta

from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, JSONObject, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from actions.models import Action, ActionStatus
from evidence.models import Direction, EvidenceItem, MeasureReading
from evidence.services import format_value
from governance.models import CadenceChange, RequestStatus, Review, SignOff
from qip import audit_text
from qip.models import (
    CADENCE_DAYS,
    AuditEvent,
    Location,
    Membership,
    Plan,
    PlanStatus,
    QualityStatement,
    Regulation,
    User,
)
from qip.permissions import PLAN_MANAGERS, can_see_location

STALLED_CYCLES = 2
HIGH_RISK_FROM, MEDIUM_RISK_FROM = 15, 8
RISK_LEVELS = [("high", "High (15–25)"), ("medium", "Medium (8–14)"), ("low", "Low (1–7)")]
RISK_RANGES = {"high": (HIGH_RISK_FROM, 25), "medium": (MEDIUM_RISK_FROM, HIGH_RISK_FROM - 1), "low": (1, 7)}
HISTORY_LIMIT = 50


def uk_today():
    return timezone.localdate()


def risk_level(score):
    """high, medium or low for a likelihood × impact score."""
    if score >= HIGH_RISK_FROM:
        return "high"
    return "medium" if score >= MEDIUM_RISK_FROM else "low"


def _start_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _two_cycles_ago(today, *, moment=False):
    """Per plan, the first day of its last two review cycles (the cadence decides), or with `moment` its start."""

    def value(days):
        day = today - timedelta(days=STALLED_CYCLES * days)
        return Value(_start_of_day(day) if moment else day)

    return Case(
        *[When(review_cadence=cadence, then=value(days)) for cadence, days in CADENCE_DAYS.items()],
        default=value(CADENCE_DAYS["monthly"]),
        output_field=DateTimeField() if moment else DateField(),
    )


def _no_movement():
    """True when the plan's measured, unclosed actions were read in its last two cycles and none beat its baseline.

    Closed actions are left out: their gate already showed a sustained improvement.
    """
    judged = Action.objects.filter(plan=OuterRef("pk"), measure__baseline_value__isnull=False).exclude(
        status=ActionStatus.CLOSED
    )
    recent = MeasureReading.objects.filter(
        measure__action=OuterRef("pk"),
        location=OuterRef("location"),
        period_end__gte=OuterRef(OuterRef("stall_since")),
    )
    better = Q(measure__direction=Direction.HIGHER, value__gt=F("measure__baseline_value")) | Q(
        measure__direction=Direction.LOWER, value__lt=F("measure__baseline_value")
    )
    read = judged.filter(Exists(recent))
    moved = judged.filter(Exists(recent.filter(better)))
    # A plan younger than two cycles has not had the time to move.
    old_enough = Q(created_at__lt=F("stall_cutoff"))
    return Case(
        When(old_enough & Q(Exists(read)) & ~Q(Exists(moved)), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _action_count(condition=None):
    actions = Action.objects.filter(plan=OuterRef("pk"))
    if condition is not None:
        actions = actions.filter(condition)
    counted = actions.order_by().values("plan").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_flags(plans, *, today=None, reasons=True):
    """Annotate risk_rating (the risk score), is_overdue, is_stalled, actions_total and actions_closed.

    Also the reasons behind is_stalled (see the module docstring): has_recent_activity, no_movement, and
    stall_since (the first day of the plan's last two review cycles). Subqueries, not joins, so a plan is
    never counted or listed twice. With reasons=False the reasons are worked out only inside is_stalled,
    not read out as well: the query is half the size (it took a list longer to build than to run).
    """
    today = today or uk_today()
    not_closed = ~Q(status=PlanStatus.CLOSED)
    overdue = not_closed & Q(target_date__lt=today)
    recent_evidence = EvidenceItem.objects.filter(plan=OuterRef("pk"), added_at__gte=OuterRef("stall_cutoff"))
    recent_reading = MeasureReading.objects.filter(
        measure__action__plan=OuterRef("pk"), recorded_at__gte=OuterRef("stall_cutoff")
    )
    add_reasons = plans.annotate if reasons else plans.alias
    return (
        add_reasons(
            stall_since=_two_cycles_ago(today),
            stall_cutoff=_two_cycles_ago(today, moment=True),
            has_recent_activity=Exists(recent_evidence) | Exists(recent_reading),
            no_movement=_no_movement(),
        )
        .annotate(
            risk_rating=F("risk_likelihood") * F("risk_impact"),
            is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()),
            actions_total=_action_count(),
            actions_closed=_action_count(Q(status=ActionStatus.CLOSED)),
        )
        .annotate(
            is_stalled=Case(
                When(not_closed & ((overdue & Q(has_recent_activity=False)) | Q(no_movement=True)), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def plans_for_list(*, user, organisation, today=None):
    """The plans the user may see, with their owner, locations (by name) and the flags of with_flags()
    (not the reasons behind is_stalled: the list and its downloads show only the flag)."""
    plans = (
        Plan.objects.for_user(user, organisation)
        .select_related("owner")
        .prefetch_related(Prefetch("locations", queryset=Location.objects.order_by(Lower("name"), "pk")))
    )
    return with_flags(plans, today=today, reasons=False)


# Choices for the filters and the form


def visible_locations(*, user, organisation):
    return Location.objects.for_user(user, organisation).order_by(Lower("name"), "pk")


def quality_statements_for_picker(*, include=()):
    """Statements of the current framework, plus any already linked (`include`), with their key question."""
    return (
        QualityStatement.objects.filter(Q(key_question__framework__is_current=True) | Q(pk__in=list(include)))
        .select_related("key_question")
        .order_by("key_question__framework", "key_question__order", "order")
    )


def regulations_for_picker(*, include=()):
    return Regulation.objects.filter(Q(framework__is_current=True) | Q(pk__in=list(include))).order_by(
        "framework", "order"
    )


def grouped_statement_choices(statements):
    """[(key question name, [(statement pk, statement name), ...]), ...] for a select with groups.

    `statements` come from quality_statements_for_picker().
    """
    groups = {}
    for statement in statements:
        groups.setdefault(statement.key_question.name, []).append((statement.pk, statement.name))
    return list(groups.items())


def key_question_choices(statements):
    """[(key question pk, name), ...] in framework order, read from quality_statements_for_picker()'s
    statements rather than asked for again (a key question with no statement would match no plan)."""
    key_questions = {statement.key_question.pk: statement.key_question.name for statement in statements}
    return list(key_questions.items())


def plan_owner_choices(*, user, organisation, include=None):
    """Active people of the organisation who may own a plan (registered manager and above), by name.

    `include` keeps the current owner on an edit form even when they no longer qualify (the
    service then says why they cannot stay the owner).
    """
    owners = Membership.objects.for_user(user, organisation).filter(
        is_active=True, role__in=PLAN_MANAGERS, user__is_active=True
    )
    condition = Q(pk__in=owners.values("user_id"))
    if include is not None:
        condition |= Q(pk=include.pk)
    return User.objects.filter(condition).order_by(Lower("full_name"), "email")


def owners_of_visible_plans(*, user, organisation):
    """Everyone who owns a plan the user may see: the choices of the owner filter."""
    plans = Plan.objects.for_user(user, organisation)
    return User.objects.filter(pk__in=plans.values("owner_id")).order_by(Lower("full_name"), "email")


# Detail

LIVE, ASSURANCE, BAU, NO_ACTIONS = "live", "in assurance", "business as usual", "no actions yet"
LIVE_STATUSES = {ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.REOPENED}


def location_state(actions):
    """live (work going on), in assurance (no live action, not all closed) or business as usual (all closed)."""
    if not actions:
        return NO_ACTIONS
    statuses = {action.status for action in actions}
    if statuses == {ActionStatus.CLOSED}:
        return BAU
    if statuses & LIVE_STATUSES:
        return LIVE
    return ASSURANCE


def plan_for_detail(*, user, organisation):
    """The plans the user may see, ready for the detail page (get the one wanted with pk=)."""
    return (
        Plan.objects.for_user(user, organisation)
        .select_related("owner")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by(Lower("name"), "pk")),
            Prefetch("quality_statements", queryset=QualityStatement.objects.select_related("key_question")),
            Prefetch("regulations", queryset=Regulation.objects.order_by("framework", "order")),
        )
    )


def plan_for_page(*, user, organisation, pk):
    """The plan as its page shows it, with its owner and locations.

    Joined on: its pending closure request as `pending_closure` (None when there is none). Flags
    (has_decisions, has_reviews, has_cadence_changes) say whether there is anything of each to list,
    so the page asks only then. plan_references() reads its quality statements and regulations.
    """
    pending = FilteredRelation("closure_requests", condition=Q(closure_requests__status=RequestStatus.PENDING))
    plans = (
        _with_reference_words(Plan.objects.for_user(user, organisation))
        .annotate(
            pending_closure=pending,
            has_decisions=Exists(SignOff.objects.filter(closure_request__plan=OuterRef("pk"))),
            has_reviews=Exists(Review.objects.filter(plan=OuterRef("pk"))),
            has_cadence_changes=Exists(CadenceChange.objects.filter(plan=OuterRef("pk"), review__isnull=True)),
        )
        .select_related("owner", "pending_closure__requested_by")
        .prefetch_related(Prefetch("locations", queryset=Location.objects.order_by(Lower("name"), "pk")))
    )
    plan = get_object_or_404(plans, pk=pk)
    plan.pending_closure = getattr(plan, "pending_closure", None)  # the join leaves it unset when empty
    return plan


class JSONList(Aggregate):
    """The group's values as one JSON list (JSONB_AGG on PostgreSQL, JSON_GROUP_ARRAY on SQLite)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def _linked_words(through, **fields):
    """For the outer plan: its rows of the many-to-many `through` as a JSON list of {name: field}."""
    rows = through.objects.filter(plan=OuterRef("pk")).order_by().values("plan")
    return Subquery(rows.annotate(words=JSONList(JSONObject(**fields))).values("words"))


def _with_reference_words(plans):
    """The words of each plan's quality statements and regulations, read with the plan row itself:
    the overview shows nothing else of them, so they cost no query of their own (see plan_references)."""
    return plans.annotate(
        statement_words=_linked_words(
            Plan.quality_statements.through,
            group="qualitystatement__key_question__name",
            group_order="qualitystatement__key_question__order",
            order="qualitystatement__order",
            name="qualitystatement__name",
        ),
        regulation_words=_linked_words(
            Plan.regulations.through,
            framework="regulation__framework_id",
            order="regulation__order",
            number="regulation__number",
            title="regulation__title",
        ),
    )


def plan_references(plan):
    """(quality statements by key question, regulation labels) of a plan from plan_for_page, in framework order."""
    grouped = {}
    for row in sorted(plan.statement_words or [], key=lambda row: (row["group_order"], row["order"])):
        grouped.setdefault(row["group"], []).append(row["name"])
    regulations = sorted(plan.regulation_words or [], key=lambda row: (row["framework"], row["order"]))
    return list(grouped.items()), [str(Regulation(number=row["number"], title=row["title"])) for row in regulations]


def plan_actions(*, user, organisation, plan):
    """The plan's actions the user may see, with location, owner, measure and its readings (oldest first)."""
    return plan_actions_and_all(user=user, organisation=organisation, plan=plan)[0]


def plan_actions_and_all(*, user, organisation, plan):
    """(the plan's actions the user may see, every action of the plan) from one query, and the readings
    of the first from a second.

    The closure gate judges every action wherever it is; the page lists only those the user may
    see, picked out in the query by the usual rule (for_user).
    """
    visible = Action.objects.for_user(user, organisation).filter(pk=OuterRef("pk"))
    actions = list(
        Action.objects.filter(plan=plan)
        .annotate(visible=Exists(visible))
        .select_related("location", "owner", "measure", "criteria")
        .order_by(Lower("location__name"), "location_id", "due_date", "pk")
    )
    seen = [action for action in actions if action.visible]
    readings = MeasureReading.objects.order_by("period_end", "pk")
    prefetch_related_objects(seen, Prefetch("measure__readings", queryset=readings))
    return seen, actions


def actions_by_location(*, user, plan, actions):
    """[{location, state, actions}] for each of the plan's locations the user can see, by name."""
    by_location = {}
    for action in actions:
        by_location.setdefault(action.location_id, []).append(action)
    groups = []
    for location in plan.locations.all():
        location_actions = by_location.pop(location.pk, [])
        if location_actions or can_see_location(user, location):
            groups.append(
                {"location": location, "state": location_state(location_actions), "actions": location_actions}
            )
    # An action at a location the plan no longer lists (should not happen: the service refuses that).
    for location_actions in by_location.values():
        location = location_actions[0].location
        groups.append({"location": location, "state": location_state(location_actions), "actions": location_actions})
    return groups


def measured_actions(actions):
    """Actions with a measure, each with `location_readings`: its readings at the action's location."""
    measured = []
    for action in actions:
        if not _has_measure(action):
            continue
        readings = action.measure.readings.all()
        action.location_readings = [reading for reading in readings if reading.location_id == action.location_id]
        action.latest_reading = action.location_readings[-1] if action.location_readings else None
        action.latest_meets = bool(action.latest_reading) and action.measure.meets_target(action.latest_reading.value)
        measure = action.measure
        action.target_text = format_value(measure.target, measure.unit)
        action.baseline_text = (
            "" if measure.baseline_value is None else format_value(measure.baseline_value, measure.unit)
        )
        action.latest_text = format_value(action.latest_reading.value, measure.unit) if action.latest_reading else ""
        measured.append(action)
    return measured


def _has_measure(action):
    try:
        action.measure  # noqa: B018 - a reverse one-to-one raises when there is none
    except Action.measure.RelatedObjectDoesNotExist:
        return False
    return True


def plan_evidence(*, user, organisation, plan):
    """All the plan's evidence the user may see (withdrawn too), newest first, with category and files."""
    return list(
        EvidenceItem.objects.for_user(user, organisation)
        .filter(plan=plan)
        .select_related("category", "collected_by")  # what the evidence list shows; each join costs
        .prefetch_related("files")
        .order_by("-collected_on", "-pk")
    )


def plan_history(*, user, organisation, plan, actions, limit=HISTORY_LIMIT):
    """(events, total): the latest `limit` audit events about the plan and its actions, newest first.

    One query: the total comes with the rows (COUNT(*) OVER ()), and the ids are listed so the
    (organisation, object_type, object_id) index finds each object's events directly.
    Each event gets `.description` (plain English) and `.about` (the action's title, or "" for the plan).
    """
    about_plan = Q(object_type=Plan._meta.label_lower, object_id=str(plan.pk))
    about_actions = Q(object_type=Action._meta.label_lower, object_id__in=[str(action.pk) for action in actions])
    events = AuditEvent.objects.for_user(user, organisation).filter(about_plan | about_actions)
    latest = list(events.select_related("actor").annotate(total=Window(Count("pk"))).order_by("-at", "-seq")[:limit])
    titles = {str(action.pk): action.title for action in actions}
    for event in latest:
        event.description = audit_text.describe(event)
        event.about = titles.get(event.object_id, "") if event.object_type == Action._meta.label_lower else ""
    return latest, latest[0].total if latest else 0
