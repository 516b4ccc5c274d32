"""Reads for the dashboard, the home page by role. Each starts from `for_user()`, so tenancy cannot be forgotten.

Every section is a short list: its first LIST_LIMIT rows and how many there are in all (FirstRows), and the
page links to the full list for the rest. A list is one query (first_rows: the count comes with the rows), the
lists of actions (yours, reopening proposed, ready to request closure, evidence wanted) share one (read_lists),
and the counts by key question and status are one pass over the actions; so the page costs at most nine
queries after sign-in's, in a small organisation or a group of two hundred homes.

"Ready to request closure" asks, for the first READY_CHECK_LIMIT actions in assurance (the person's own first),
what the closure gate asks before a request: run action by action, the gate would read each one's steps,
evidence, readings and concerns, a few queries an action. So the candidates come with those figures in the
same query (with_ready_figures) and passes_gate() judges them by the gate's own rules; a test holds its answer
to the gate's, and the gate itself still decides when closure is requested on the action's page.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    JSONField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, JSONObject, TruncDate
from django.utils import timezone

from actions.models import Action, ActionStatus, Step
from evidence.models import Concern, EvidenceItem, MeasureReading, Purpose
from evidence.stability import Reading
from governance import gate, selectors_signoff
from governance.models import ClosureRequest, PostClosureCheck
from governance.selectors_plans import JSONList, with_flags
from qip import permissions
from qip.models import KeyQuestion, Location, Plan, PlanStatus, Role

LIST_LIMIT = 10
STEPS_AHEAD_DAYS = 14
ACTIONS_AHEAD_DAYS = 14
REVIEWS_AHEAD_DAYS = 7
CHECKS_AHEAD_DAYS = 7
READY_CHECK_LIMIT = 20

# Sections, in the order each role meets them (the template includes them in this order).
SIGNOFFS = "signoffs"
REOPENINGS = "reopenings"
CHECKS = "checks"
REVIEWS = "reviews"
READY = "ready"
STEPS = "steps"
ACTIONS = "actions"
EVIDENCE = "evidence"
STALLED = "stalled"
COUNTS = "counts"
LOCATIONS = "locations"

SECTIONS_BY_ROLE = {
    Role.NOMINATED_INDIVIDUAL: [SIGNOFFS, REOPENINGS, CHECKS, REVIEWS, READY, STEPS, ACTIONS, STALLED, COUNTS],
    Role.QUALITY_LEAD: [SIGNOFFS, REOPENINGS, CHECKS, REVIEWS, READY, STEPS, ACTIONS, STALLED, COUNTS],
    Role.REGISTERED_MANAGER: [STEPS, ACTIONS, READY, REVIEWS, STALLED, COUNTS],
    Role.STAFF: [STEPS, ACTIONS, EVIDENCE, COUNTS],
    Role.VIEWER: [COUNTS, STALLED],
}

# The columns of the counts table: every action status, in the order an action moves through them.
STATUS_COLUMNS = [
    ActionStatus.OPEN,
    ActionStatus.IN_PROGRESS,
    ActionStatus.COMPLETED,
    ActionStatus.ASSURANCE,
    ActionStatus.AWAITING_SIGNOFF,
    ActionStatus.CLOSED,
    ActionStatus.REOPENED,
]


def sections_for(membership):
    """The dashboard's sections for this membership's role, in order; every role ends with its locations."""
    return [*SECTIONS_BY_ROLE.get(membership.role, [COUNTS]), LOCATIONS]


# Short lists


class FirstRows(list):
    """The first rows of a list that may be longer: `total` counts them all, `more` those left out."""

    def __init__(self, rows=(), total=0):
        super().__init__(rows)
        self.total = total

    @property
    def more(self):
        return self.total - len(self)


def first_rows(queryset, limit=None, *, costly_filter=False):
    """The first `limit` (LIST_LIMIT) rows of an ordered queryset and the size of all of it, in one query.

    The first pks are picked in a subquery and only their rows read, so what the rows join is read for those
    few; the size is a subquery worked out once. A `costly_filter` is worked out once instead: the rows are
    read in one pass and counted over it (a window).
    """
    limit = limit or LIST_LIMIT
    if costly_filter:
        rows = list(queryset.annotate(rows_in_all=Window(Count("pk")))[:limit])
    else:
        firsts = queryset.values("pk")[:limit]
        rows = list(queryset.filter(pk__in=firsts).annotate(rows_in_all=_count(queryset)))
    return FirstRows(rows, rows[0].rows_in_all if rows else 0)


def _path(row, path):
    for name in path.split("__"):
        row = getattr(row, name)
    return row


@dataclass(frozen=True)
class Listing:
    """One list of a table's rows for read_lists: which rows, sorted by `order` (ascending, empty values last).

    `total`, when the page already knows how many rows the list has, saves counting them again.
    """

    condition: Q
    order: tuple
    limit: int | None = None  # LIST_LIMIT
    total: int | None = None

    @property
    def size(self):
        return self.limit or LIST_LIMIT

    def sql_order(self):
        return [F(path).asc(nulls_last=True) for path in self.order]

    def sort_key(self, row):
        return [(value is None, value) for value in (_path(row, path) for path in self.order)]


def _count(queryset):
    """The size of `queryset` as a subquery of another: it refers to no outer row, so it is worked out once."""
    return Subquery(queryset.order_by().values(n=Func(F("pk"), function="COUNT")), output_field=IntegerField())


def read_lists(queryset, listings, shown=None):
    """{name: FirstRows} for several Listings of one table, in one query.

    The query returns the first rows of each list of `queryset` (pk in a UNION of sliced subqueries: a handful
    of rows the planner can see are few), read from `shown` (by default `queryset`: what they join and annotate),
    flags each with the lists it belongs to, and carries each list's total (a subquery worked out once). A row
    returned for another list sorts after a list's own first rows, so sorting and cutting here gives each list
    exactly.
    """
    if not listings:
        return {}
    # Each sliced subquery sits inside a plain one: SQLite refuses LIMIT in a member of a UNION.
    firsts = [
        queryset.model.objects.filter(pk__in=_first_pks(queryset, listing)).order_by().values("pk")
        for listing in listings.values()
    ]
    flags = {
        f"in_{name}": Case(When(listing.condition, then=Value(True)), default=Value(False), output_field=BooleanField())
        for name, listing in listings.items()
    }
    totals = {
        f"{name}_total": _count(queryset.filter(listing.condition))
        for name, listing in listings.items()
        if listing.total is None
    }
    wanted = firsts[0].union(*firsts[1:], all=True)
    rows = list((queryset if shown is None else shown).filter(pk__in=wanted).order_by().annotate(**flags, **totals))
    lists = {}
    for name, listing in listings.items():
        members = sorted((row for row in rows if getattr(row, f"in_{name}")), key=listing.sort_key)
        total = listing.total if listing.total is not None else getattr(rows[0], f"{name}_total") if rows else 0
        lists[name] = FirstRows(members[: listing.size], total)
    return lists


def _first_pks(queryset, listing):
    return queryset.filter(listing.condition).order_by(*listing.sql_order()).values("pk")[: listing.size]


# Work of one's own


def my_steps(*, user, organisation, today):
    """Steps given to the user, not done, overdue or due in the next STEPS_AHEAD_DAYS days; soonest first."""
    return (
        Step.objects.for_user(user, organisation)
        .filter(who=user, done_at__isnull=True, due_date__lte=today + timedelta(days=STEPS_AHEAD_DAYS))
        .exclude(action__status=ActionStatus.CLOSED)
        .select_related("action__plan", "action__location")
        .order_by("due_date", "action_id", "order", "pk")
    )


def my_actions(*, user, today):
    """Actions the user owns, not closed, overdue or due in the next ACTIONS_AHEAD_DAYS days; soonest first."""
    due = Q(owner=user, due_date__lte=today + timedelta(days=ACTIONS_AHEAD_DAYS)) & ~Q(status=ActionStatus.CLOSED)
    return Listing(due, ("due_date", "pk"))


EVIDENCE_STATUSES = [ActionStatus.COMPLETED, ActionStatus.ASSURANCE]


def evidence_wanted(by_status):
    """Actions whose steps are done: assurance evidence and readings now count."""
    total = sum(by_status[status] for status in EVIDENCE_STATUSES) if by_status else None
    return Listing(Q(status__in=EVIDENCE_STATUSES), ("plan__reference", "location__name", "pk"), total=total)


def reopen_proposed():
    """Closed actions a concern proposes to reopen (governance.selectors.proposed_reopenings); oldest first."""
    proposed = Q(status=ActionStatus.CLOSED, reopen_proposed_at__isnull=False)
    return Listing(proposed, ("reopen_proposed_at", "pk"))


def ready_candidates(by_status):
    """The first READY_CHECK_LIMIT actions in assurance, the user's own first, then by due date."""
    total = by_status[ActionStatus.ASSURANCE] if by_status else None
    return Listing(Q(status=ActionStatus.ASSURANCE), ("not_mine", "due_date", "pk"), READY_CHECK_LIMIT, total)


def _not_mine(user):
    return Case(When(owner=user, then=Value(0)), default=Value(1), output_field=IntegerField())


def with_ready_figures(actions, *, today):
    """Annotate what the gate reads of each action, read with the action itself (see the module's docstring)."""
    # 1 when every step is done, 0 while one is open, None without steps: one lookup an action, never a hash of
    # every open step in the organisation (which the planner may pick for an EXISTS it cannot size).
    steps_done = (
        Step.objects.filter(action=OuterRef("pk"))
        .order_by()
        .values("action")
        .annotate(done=Min(Case(When(done_at__isnull=True, then=Value(0)), default=Value(1))))
        .values("done")
    )
    readings = (
        MeasureReading.objects.filter(measure__action=OuterRef("pk"), location=OuterRef("location"))
        .filter(period_end__lte=today)
        .order_by()
        .values("measure")
        .annotate(series=JSONList(JSONObject(period_end="period_end", value="value")))
        .values("series")
    )
    # The gate counts assurance collected on or after the day the work it assures was done (gate.counting_evidence):
    # the step it names, else the last step.
    finished = (
        Step.objects.filter(action=OuterRef(OuterRef("pk"))).order_by().values("action").annotate(at=Max("done_at"))
    )
    after_the_work = Q(assures_step__isnull=False, collected_on__gte=TruncDate("assures_step__done_at")) | Q(
        assures_step__isnull=True, collected_on__gte=TruncDate(Subquery(finished.values("at")))
    )
    categories = (
        EvidenceItem.objects.filter(action=OuterRef("pk"), purpose=Purpose.ASSURANCE, withdrawn_at__isnull=True)
        .filter(after_the_work)
        .order_by()
        .values("action")
        .annotate(n=Count("category", distinct=True))
        .values("n")
    )
    concerns = Concern.objects.filter(action=OuterRef("pk"), occurred_on__lte=today).order_by("-occurred_on")
    return actions.annotate(
        steps_done=Subquery(steps_done, output_field=IntegerField()),
        readings=Subquery(readings, output_field=JSONField()),
        evidence_categories=Coalesce(Subquery(categories, output_field=IntegerField()), 0),
        last_concern=Subquery(concerns.values("occurred_on")[:1]),
    )


def passes_gate(action, *, today):
    """True when the figures of with_ready_figures() pass what the gate asks before closure is requested.

    Each criterion as the gate judges it: the steps, the evidence counted as it counts it, the measure at
    target, no concern in the stability window, and the improvement held (the gate's own rule, on the readings
    read in bulk). A test holds this to the gate's answer.
    """
    criteria, measure = getattr(action, "criteria", None), getattr(action, "measure", None)
    if criteria is None or measure is None or not action.readings:
        return False
    readings = [Reading(date.fromisoformat(row["period_end"]), row["value"]) for row in action.readings]
    latest = max(readings, key=lambda reading: reading.period_end)
    concern = action.last_concern
    if action.steps_done != 1 or action.evidence_categories < criteria.min_evidence_categories:
        return False
    if not measure.meets_target(latest.value) or (concern and concern > today - timedelta(days=criteria.window_days)):
        return False
    return gate.judge_stability(criteria, measure, readings, concern, today).passed


def ready_to_request_closure(candidates, *, today):
    """{"actions": those of `candidates` ready for a request, "checked": how many were, "unchecked": the rest}."""
    return {
        "actions": [action for action in candidates if passes_gate(action, today=today)],
        "checked": len(candidates),
        "unchecked": candidates.more,
    }


def action_lists(*, user, organisation, sections, today, by_status=None):
    """The sections that list actions (ACTIONS, REOPENINGS, READY, EVIDENCE), in one query (read_lists).

    `by_status`: how many actions the user sees in each status, when the page has counted them already.
    Every role with READY may ask for closure of any action it sees (permissions.ACTION_MANAGERS).
    """
    makers = {ACTIONS: lambda: my_actions(user=user, today=today), REOPENINGS: reopen_proposed}
    makers |= {READY: lambda: ready_candidates(by_status), EVIDENCE: lambda: evidence_wanted(by_status)}
    listings = {section: make() for section, make in makers.items() if section in sections}
    actions = Action.objects.for_user(user, organisation).annotate(not_mine=_not_mine(user))
    # The rows are read by pk from the ids of `actions`: no need to join the tenancy filter again.
    shown = Action.objects.select_related("plan", "location").annotate(not_mine=_not_mine(user))
    if READY in listings:
        shown = with_ready_figures(shown.select_related("criteria", "measure"), today=today)
    lists = read_lists(actions, listings, shown)
    if READY in lists:
        lists[READY] = ready_to_request_closure(lists[READY], today=today)
    return lists


# Oversight: quality leads and nominated individuals


def _may_decide_action(user, role, closure_request):
    action = closure_request.action
    if not gate.role_allows(role, gate.required_role(action)):
        return False
    named = action.criteria.named_reviewer_id
    if named and named != user.pk:
        return False  # the criteria name someone else; the gate would refuse this signer
    return user.pk not in gate.conflicted_people(action, list(action.steps.all()), closure_request)


def _may_decide_plan(user, closure_request):
    result = gate.evaluate_plan_closure(closure_request.plan, actor=user, request=closure_request)
    return result.get(gate.SIGNER_ROLE).passed and result.get(gate.SIGNER_INDEPENDENT).passed


def awaiting_my_signoff(*, user, organisation):
    """Pending closure requests (actions and plans) the user may decide, judged by the gate itself, request by request.

    The reference the sign-off inbox's query (selectors_signoff.inbox) is tested against; the dashboard shows
    the first rows of that query.
    """
    membership = permissions.membership_in(user, organisation)
    if membership is None:
        return []
    requests = (
        ClosureRequest.objects.for_user(user, organisation)
        .pending()
        .filter(
            Q(action__in=Action.objects.for_user(user, organisation))
            | Q(plan__in=Plan.objects.for_user(user, organisation))
        )
        .select_related("requested_by", "action__plan", "action__location", "action__criteria", "plan")
        .prefetch_related("action__steps", "plan__actions__location")
        .order_by("requested_at", "pk")
    )
    return [
        request
        for request in requests
        if (
            _may_decide_action(user, membership.role, request) if request.action_id else _may_decide_plan(user, request)
        )
    ]


def signoffs_waiting(*, user, organisation):
    """The first of the sign-off inbox's requests: the same query, so the two screens never disagree."""
    # The inbox brings plan requests' locations for its own table; the dashboard does not show them.
    return first_rows(selectors_signoff.inbox(user=user, organisation=organisation).prefetch_related(None))


def reviews_due(*, user, organisation, today, whole_organisation):
    """Open plans whose review is overdue or due within REVIEWS_AHEAD_DAYS days: the user's own, or all."""
    plans = (
        Plan.objects.for_user(user, organisation)
        .filter(status=PlanStatus.OPEN, next_review_date__lte=today + timedelta(days=REVIEWS_AHEAD_DAYS))
        .select_related("owner")
        .order_by("next_review_date", "reference", "pk")
    )
    return plans if whole_organisation else plans.filter(owner=user)


def post_closure_checks_due(*, user, organisation, today):
    return (
        PostClosureCheck.objects.for_user(user, organisation)
        .due_by(today + timedelta(days=CHECKS_AHEAD_DAYS))
        .select_related("action__plan", "action__location")
        .order_by("due_on", "pk")
    )


def stalled_plans(*, user, organisation, today):
    """Open plans the plan list flags as stalled (governance.selectors_plans.with_flags): one rule, two screens.

    Past the target date with no evidence added and no reading recorded in two review cycles of each plan's
    own cadence, or no measurable movement in those cycles (the rule is in selectors_plans' docstring).
    """
    open_plans = Plan.objects.for_user(user, organisation).filter(status=PlanStatus.OPEN)
    last_evidence = EvidenceItem.objects.filter(plan=OuterRef("pk")).order_by("-added_at").values("added_at")[:1]
    last_reading = (
        MeasureReading.objects.filter(measure__action__plan=OuterRef("pk"))
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    return (
        with_flags(open_plans, today=today)
        .filter(is_stalled=True)
        .annotate(
            last_evidence=Subquery(last_evidence, output_field=DateTimeField()),
            last_reading=Subquery(last_reading, output_field=DateTimeField()),
        )
        .select_related("owner")
        .order_by("target_date", "reference")
    )


def first_stalled_plans(*, user, organisation, membership, today):
    """The first stalled plans and how many there are (FirstRows).

    The rule is costly (subqueries for each plan). For a member at a few locations their open plans are listed
    first, so it is worked out for those alone: the planner cannot always tell that they are few, and may judge
    every plan of the organisation before asking where each one is.
    """
    plans = stalled_plans(user=user, organisation=organisation, today=today)
    if membership.location_ids:
        theirs = Plan.objects.for_user(user, organisation).filter(status=PlanStatus.OPEN)
        plans = plans.filter(pk__in=list(theirs.order_by().values_list("pk", flat=True)))
    return first_rows(plans, costly_filter=True)


# Counts


def key_question_counts(*, user, organisation):
    """Actions at the user's locations by key question (of the current framework) and status.

    A plan reaches key questions through its quality statements; an action counts once under each key
    question its plan touches, so the rows can add up to more than the "All actions" total, which counts
    each action once. Returns {"columns", "rows": [{"key_question", "cells", "total"}], "all": {...}}.

    Two queries: the key questions, then one pass over the actions grouped by status, counting for each key
    question those whose plan is in its (small) set of linked plans.
    """
    key_questions = list(KeyQuestion.objects.filter(framework__is_current=True).order_by("order"))
    links = Plan.quality_statements.through.objects
    under = {
        f"kq_{key_question.pk}": Count(
            "pk", filter=Q(plan_id__in=links.filter(qualitystatement__key_question=key_question).values("plan_id"))
        )
        for key_question in key_questions
    }
    by_status = {
        row["status"]: row
        for row in Action.objects.for_user(user, organisation)
        .values("status")
        .annotate(every=Count("pk"), **under)
        .order_by()
    }

    def cells(column):
        return [by_status[status][column] if status in by_status else 0 for status in STATUS_COLUMNS]

    rows = []
    for key_question in key_questions:
        row_cells = cells(f"kq_{key_question.pk}")
        rows.append({"key_question": key_question, "cells": row_cells, "total": sum(row_cells)})
    all_cells = cells("every")
    return {
        "columns": [status.label for status in STATUS_COLUMNS],
        "rows": rows,
        "all": {"cells": all_cells, "total": sum(all_cells)},
    }


def my_locations(*, user, organisation, membership):
    """The current locations the member works at, by name: those listed on the membership, else every one."""
    listed = [location for location in membership.locations.all() if location.archived_at is None]
    if membership.location_ids:  # loaded with the membership at sign-in: no query
        listed.sort(key=lambda location: (location.name.casefold(), location.pk))
        return FirstRows(listed[:LIST_LIMIT], len(listed))
    return first_rows(Location.objects.for_user(user, organisation).current().order_by("name", "pk"))


# The page


def _horizon():
    return {
        "steps": STEPS_AHEAD_DAYS,
        "actions": ACTIONS_AHEAD_DAYS,
        "reviews": REVIEWS_AHEAD_DAYS,
        "checks": CHECKS_AHEAD_DAYS,
        "ready_limit": READY_CHECK_LIMIT,
    }


def _single_lists(*, user, organisation, membership, today, whole_organisation):
    """{section: how to read it} for the sections read one query each."""
    return {
        SIGNOFFS: lambda: signoffs_waiting(user=user, organisation=organisation),
        CHECKS: lambda: first_rows(post_closure_checks_due(user=user, organisation=organisation, today=today)),
        REVIEWS: lambda: first_rows(
            reviews_due(user=user, organisation=organisation, today=today, whole_organisation=whole_organisation)
        ),
        STEPS: lambda: first_rows(my_steps(user=user, organisation=organisation, today=today)),
        STALLED: lambda: first_stalled_plans(user=user, organisation=organisation, membership=membership, today=today),
        LOCATIONS: lambda: my_locations(user=user, organisation=organisation, membership=membership),
    }


def dashboard(*, user, organisation, membership, today=None):
    """The context of the dashboard: only the sections of the member's role are read."""
    today = today or timezone.localdate()
    sections = sections_for(membership)
    whole_organisation = membership.role in permissions.READ_WHOLE_ORGANISATION
    context = {"today": today, "sections": sections, "membership": membership, "horizon": _horizon()}
    context["whole_organisation"] = whole_organisation
    by_status = None
    if COUNTS in sections:
        # Read first: its totals by status are also the sizes of the lists by status (ready, evidence wanted).
        context[COUNTS] = key_question_counts(user=user, organisation=organisation)
        by_status = dict(zip(STATUS_COLUMNS, context[COUNTS]["all"]["cells"], strict=True))
    context |= action_lists(user=user, organisation=organisation, sections=sections, today=today, by_status=by_status)
    readers = _single_lists(
        user=user, organisation=organisation, membership=membership, today=today, whole_organisation=whole_organisation
    )
    context |= {section: readers[section]() for section in sections if section in readers}
    return context
