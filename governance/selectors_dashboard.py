"""Reads for the dashboard, the home page by role. Each starts from `for_user()`, so tenancy cannot be forgotten.

Every list here is one query (joins and prefetches fixed in advance), and the counts by key question are
one aggregate, so the dashboard's query count does not grow with the number of plans, actions or steps.

The one exception is "ready to request closure": only the closure gate can say whether an action is
ready, and the gate reads the action's steps, evidence, readings, concerns and pending request
(about nine queries an action; three or four with the prefetches below). So the dashboard runs it for
at most READY_CHECK_LIMIT actions in assurance, the person's own first, and says how many more
it did not check; each action's own page shows its gate in full.
"""

from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.utils import timezone

from actions.models import Action, ActionStatus, Step
from evidence.models import EvidenceItem, MeasureReading
from governance import gate
from governance.models import ClosureRequest, PostClosureCheck
from governance.selectors import proposed_reopenings
from governance.selectors_plans import with_flags
from qip import permissions
from qip.models import KeyQuestion, Location, Plan, PlanStatus, Role

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


def my_actions(*, user, organisation, today):
    """Actions the user owns, not closed, overdue or due in the next ACTIONS_AHEAD_DAYS days; soonest first."""
    return (
        Action.objects.for_user(user, organisation)
        .filter(owner=user, due_date__lte=today + timedelta(days=ACTIONS_AHEAD_DAYS))
        .exclude(status=ActionStatus.CLOSED)
        .select_related("plan", "location")
        .order_by("due_date", "pk")
    )


def evidence_wanted(*, user, organisation):
    """Actions at the user's locations whose steps are done: assurance evidence and readings now count."""
    return (
        Action.objects.for_user(user, organisation)
        .filter(status__in=[ActionStatus.COMPLETED, ActionStatus.ASSURANCE])
        .select_related("plan", "location")
        .order_by("plan__reference", "location__name", "pk")
    )


def ready_to_request_closure(*, user, organisation, limit=READY_CHECK_LIMIT):
    """Actions in assurance the user may ask to close whose gate is ready for the request.

    Runs the gate for at most `limit` actions (see the module's docstring): the user's own first, then
    by due date. Returns {"actions": ready ones, "checked": how many were evaluated, "unchecked": the rest}.
    """
    candidates = list(
        Action.objects.for_user(user, organisation)
        .filter(status=ActionStatus.ASSURANCE)
        .select_related("plan", "location", "owner", "criteria", "measure")
        .prefetch_related("steps", "concerns")
        .annotate(
            in_assurance=Window(Count("pk")),
            not_mine=Case(When(owner=user, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .order_by("not_mine", F("due_date").asc(nulls_last=True), "pk")[:limit]
    )
    in_assurance = candidates[0].in_assurance if candidates else 0
    mine = [action for action in candidates if permissions.can_request_closure(user, action)]
    ready = [action for action in mine if gate.evaluate_action_closure(action).ready_to_request]
    return {"actions": ready, "checked": len(candidates), "unchecked": in_assurance - len(candidates)}


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
    """Pending closure requests (actions and plans) the user may decide: senior enough and independent."""
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


def reviews_due(*, user, organisation, today, whole_organisation):
    """Open plans whose review is overdue or due within REVIEWS_AHEAD_DAYS days: the user's own, or all."""
    plans = (
        Plan.objects.for_user(user, organisation)
        .filter(status=PlanStatus.OPEN, next_review_date__lte=today + timedelta(days=REVIEWS_AHEAD_DAYS))
        .select_related("owner")
        .order_by("next_review_date", "reference")
    )
    return plans if whole_organisation else plans.filter(owner=user)


def post_closure_checks_due(*, user, organisation, today):
    return (
        PostClosureCheck.objects.for_user(user, organisation)
        .due_by(today + timedelta(days=CHECKS_AHEAD_DAYS))
        .select_related("action__plan", "action__location")
        .order_by("due_on", "pk")
    )


def reopen_proposed(*, user, organisation):
    return (
        proposed_reopenings(user=user, organisation=organisation)
        .select_related("plan", "location")
        .order_by("reopen_proposed_at", "pk")
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


# Counts


def key_question_counts(*, user, organisation):
    """Actions at the user's locations by key question (of the current framework) and status.

    A plan reaches key questions through its quality statements; an action counts once under each key
    question its plan touches, so the rows can add up to more than the "All actions" total, which counts
    each action once. Returns {"columns", "rows": [{"key_question", "cells", "total"}], "all": {...}}.
    """
    key_questions = list(KeyQuestion.objects.filter(framework__is_current=True).order_by("order"))
    actions = Action.objects.for_user(user, organisation)
    by_key_question = {
        (row["plan__quality_statements__key_question"], row["status"]): row["n"]
        for row in actions.filter(plan__quality_statements__key_question__in=key_questions)
        .values("plan__quality_statements__key_question", "status")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    }
    every_action = {row["status"]: row["n"] for row in actions.values("status").annotate(n=Count("pk")).order_by()}
    rows = []
    for key_question in key_questions:
        cells = [by_key_question.get((key_question.pk, status), 0) for status in STATUS_COLUMNS]
        rows.append({"key_question": key_question, "cells": cells, "total": sum(cells)})
    all_cells = [every_action.get(status, 0) for status in STATUS_COLUMNS]
    return {
        "columns": [status.label for status in STATUS_COLUMNS],
        "rows": rows,
        "all": {"cells": all_cells, "total": sum(all_cells)},
    }


def my_locations(*, user, organisation):
    return Location.objects.for_user(user, organisation).current().order_by("name")


# The page


def dashboard(*, user, organisation, membership, today=None):
    """The context of the dashboard: only the sections of the member's role are read."""
    today = today or timezone.localdate()
    sections = sections_for(membership)
    context = {
        "today": today,
        "sections": sections,
        "membership": membership,
        "horizon": {
            "steps": STEPS_AHEAD_DAYS,
            "actions": ACTIONS_AHEAD_DAYS,
            "reviews": REVIEWS_AHEAD_DAYS,
            "checks": CHECKS_AHEAD_DAYS,
            "ready_limit": READY_CHECK_LIMIT,
        },
    }
    whole_organisation = membership.role in permissions.READ_WHOLE_ORGANISATION
    readers = {
        SIGNOFFS: lambda: awaiting_my_signoff(user=user, organisation=organisation),
        REOPENINGS: lambda: list(reopen_proposed(user=user, organisation=organisation)),
        CHECKS: lambda: list(post_closure_checks_due(user=user, organisation=organisation, today=today)),
        REVIEWS: lambda: list(
            reviews_due(user=user, organisation=organisation, today=today, whole_organisation=whole_organisation)
        ),
        READY: lambda: ready_to_request_closure(user=user, organisation=organisation, limit=READY_CHECK_LIMIT),
        STEPS: lambda: list(my_steps(user=user, organisation=organisation, today=today)),
        ACTIONS: lambda: list(my_actions(user=user, organisation=organisation, today=today)),
        EVIDENCE: lambda: list(evidence_wanted(user=user, organisation=organisation)),
        STALLED: lambda: list(stalled_plans(user=user, organisation=organisation, today=today)),
        COUNTS: lambda: key_question_counts(user=user, organisation=organisation),
        LOCATIONS: lambda: list(my_locations(user=user, organisation=organisation)),
    }
    for section in sections:
        context[section] = readers[section]()
    context["whole_organisation"] = whole_organisation
    return context
