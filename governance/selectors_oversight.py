"""Reads for the provider oversight page. Each starts from `for_user()`, so tenancy cannot be forgotten.

Stalled plans use the one rule of governance.selectors_plans.with_flags (through the dashboard's
stalled_plans), so the plan list, the dashboard and this page never disagree about which plans have stalled.

The page costs the same number of queries whatever the number of plans, actions or locations: each list
shows at most LIST_LIMIT rows (sliced in SQL), the by-location table a page of locations, and every count
(the age bands, the totals above the lists, the reopen rate and the table's) comes from one UNION of
grouped counts (`tallies`). The stall rule is the costly read (subqueries for every open plan), so it runs
once, for the ids of every stalled plan and its locations; only the plans listed are then read in full.
"""

from collections import Counter
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import Lower
from django.utils import timezone

from actions.models import Action, ActionStatus
from governance import selectors_dashboard
from governance.models import Decision, Reopening
from governance.selectors_signoff import visible_signoffs
from qip.models import CADENCE_DAYS, Plan, PlanStatus
from qip.plan_services import uk_date

# (value, label, days): "the last quarter" is 91 days, as a quarterly review cycle is (CADENCE_DAYS).
PERIODS = [
    ("quarter", "Last quarter (91 days)", CADENCE_DAYS["quarterly"]),
    ("half", "Last 6 months (182 days)", 182),
    ("year", "Last 12 months (365 days)", 365),
]
DEFAULT_PERIOD = "quarter"
PERIOD_DAYS = {value: days for value, _label, days in PERIODS}
PERIOD_LABELS = {value: label for value, label, _days in PERIODS}

# (key, label, from months, to months): a plan's age from when it was created, in calendar months.
AGE_BANDS = [
    ("under_3", "Under 3 months", 0, 3),
    ("3_to_6", "3 to 6 months", 3, 6),
    ("6_to_12", "6 to 12 months", 6, 12),
    ("over_12", "Over 12 months", 12, None),
]
OLDEST_LIMIT = 10
# A care group closes thousands of actions a quarter: a page of rows is all anyone reads, and the
# counts, the rate and the by-location table (which link to each location's lists) still cover every row.
LIST_LIMIT = 20

LIVE = [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.REOPENED]
# Completed (every step done) waits to be moved into assurance: neither is live work any more.
IN_ASSURANCE = [ActionStatus.COMPLETED, ActionStatus.ASSURANCE]

# Kinds of tally (statuses of actions are kinds too, counted by location).
REVIEW_OVERDUE = "open_review_overdue"
REVIEW_NOT_OVERDUE = "open_review_not_overdue"
ACTIONS_CLOSED = "actions_closed"
REOPENED = "reopened"


def _start_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def period_start(*, today, period):
    """The moment the period begins: the start (UK time) of its first day, today being its last."""
    return _start_of_day(today - timedelta(days=PERIOD_DAYS[period] - 1))


def _covering(plans, location):
    """Plans at `location` (all of them with None); a subquery, so a plan is never listed twice."""
    if location is None:
        return plans
    return plans.filter(pk__in=Plan.locations.through.objects.filter(location=location).values("plan_id"))


def _at(queryset, location, path):
    return queryset if location is None else queryset.filter(**{path: location})


# Stalled plans


def stall_reasons(plan):
    """Why the plan is stalled, in sentences a nominated individual can take to the plan's owner."""
    reasons = []
    since = uk_date(plan.stall_since)
    cycles = f"two {plan.get_review_cadence_display().lower()} review cycles"
    if plan.is_overdue:
        reasons.append(f"Past its target date of {uk_date(plan.target_date)}.")
    if not plan.has_recent_activity:
        reasons.append(f"No evidence added and no measure reading recorded since {since} ({cycles}).")
    if plan.no_movement:
        reasons.append(
            f"No measurable movement: no reading for a period since {since} ({cycles}) is better than "
            "its measure's baseline."
        )
    return reasons


def stalled_plans(*, user, organisation, today, location=None, limit=LIST_LIMIT):
    """(the first `limit` stalled plans, oldest target first; how many; {location id: stalled plans there}).

    Each plan listed has `reasons` and `location_names` (all its locations, as the plan list shows them).
    A plan that spans locations counts at each.
    """
    stalled = _covering(selectors_dashboard.stalled_plans(user=user, organisation=organisation, today=today), location)
    # Ids and names only: the rule is judged once here, and the few plans shown are read in full below.
    links = stalled.order_by("target_date", "reference", "pk", Lower("locations__name"), "locations__pk")
    names, at_location = {}, Counter()
    for plan_id, location_id, name in links.values_list("pk", "locations__pk", "locations__name"):
        names.setdefault(plan_id, []).append(name)
        at_location[location_id] += 1
    shown = list(names)[:limit]
    plans = list(stalled.filter(pk__in=shown)) if shown else []
    for plan in plans:
        plan.reasons = stall_reasons(plan)
        plan.location_names = names[plan.pk]
    return plans, len(names), at_location


# Long-running plans


def _months_ago(today, months):
    return _start_of_day(today - relativedelta(months=months))


def _band_condition(today, low, high):
    condition = Q(created_at__lt=_months_ago(today, low)) if low else Q()
    if high is not None:
        condition &= Q(created_at__gte=_months_ago(today, high))
    return condition


def _open_plans(*, user, organisation, location):
    return _covering(Plan.objects.for_user(user, organisation).filter(status=PlanStatus.OPEN), location)


def age_in_words(created, today):
    """How long a plan has run: whole calendar months, or days under a month."""
    between = relativedelta(today, created)
    months = between.years * 12 + between.months
    if months:
        return f"{months} month{'s' if months != 1 else ''}"
    days = (today - created).days
    return f"{days} day{'s' if days != 1 else ''}"


def oldest_plans(*, user, organisation, today, location=None, limit=OLDEST_LIMIT):
    """The `limit` longest-running open plans, oldest first, each with `age` in words."""
    plans = list(
        _open_plans(user=user, organisation=organisation, location=location)
        .select_related("owner")
        .order_by("created_at", "reference")[:limit]
    )
    for plan in plans:
        plan.age = age_in_words(timezone.localdate(plan.created_at), today)
    return plans


# Closures and reopenings


def _approved_since(*, user, organisation, since, location):
    """(approved sign-offs closing actions, closing plans) since `since`, each limited to what the user sees.

    Sign-offs belong to the organisation, not to a location, so each is limited through the request it
    decided (selectors_signoff.visible_signoffs): a location-limited reader sees only closures where they work.
    """
    approved = visible_signoffs(user=user, organisation=organisation).filter(
        decision=Decision.APPROVED, signed_at__gte=since
    )
    of_actions = approved.filter(closure_request__action__isnull=False)
    of_plans = approved.filter(closure_request__plan__isnull=False)
    if location is None:
        return of_actions, of_plans
    here = Plan.locations.through.objects.filter(location=location).values("plan_id")
    return (
        of_actions.filter(closure_request__action__location=location),
        of_plans.filter(closure_request__plan__in=here),
    )


def closures(*, user, organisation, since, location=None, limit=LIST_LIMIT):
    """{"actions": [...], "plans": [...], "plans_total": n}: the `limit` newest approved sign-offs of each.

    How many actions closed is counted with the other counts (tallies), by location; the plans' total comes
    with their list, which reads every plan closure of the period to sort them anyway.
    """
    of_actions, of_plans = _approved_since(user=user, organisation=organisation, since=since, location=location)
    actions = of_actions.select_related("closure_request__action__plan", "closure_request__action__location")
    # By the request's decision, the signature's own moment (services set both at once): ordered by
    # signed_at, the database walks every action's signature of the period to find the few plans'.
    plans = list(
        of_plans.select_related("closure_request__plan")
        .annotate(total=Window(Count("pk")))
        .order_by("-closure_request__decided_at", "-pk")[:limit]
    )
    return {
        "actions": list(actions.order_by("-signed_at", "-pk")[:limit]),
        "plans": plans,
        "plans_total": plans[0].total if plans else 0,
    }


def _reopened_since(*, user, organisation, since, location):
    """Reopenings since `since` of actions the user can see.

    Limited through the closure each undid (an approval on a request for the same action), as closures
    are: for a reader of the whole organisation that is the request's own organisation, where
    Reopening.for_user would join every plan of it to every action.
    """
    signoffs = visible_signoffs(user=user, organisation=organisation)
    reopened = Reopening.objects.filter(previous_signoff__in=signoffs, reopened_at__gte=since)
    return _at(reopened, location, "action__location")


def reopenings(*, user, organisation, since, location=None, limit=LIST_LIMIT):
    """The `limit` newest reopenings since `since`, with what triggered each and the closure it undid."""
    return list(
        _reopened_since(user=user, organisation=organisation, since=since, location=location)
        .select_related("action__plan", "action__location", "reopened_by", "previous_signoff")
        .order_by("-reopened_at", "-pk")[:limit]
    )


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def reopen_rate(*, reopened, closed):
    """{"reopened", "closed", "percent", "sentence"}: reopenings in the period over closures in it.

    percent is None when nothing closed: there is no rate to give, and the sentence says so.
    """
    if closed:
        percent = round(100 * reopened / closed)
        sentence = f"{reopened} of {_plural(closed, 'closure')} reopened ({percent}%)"
    elif reopened:
        percent, sentence = None, f"{_plural(reopened, 'reopening')} and no closures: no rate to give"
    else:
        percent, sentence = None, "No closures and no reopenings"
    return {"reopened": reopened, "closed": closed, "percent": percent, "sentence": sentence}


# Counts: one query


def _tally(queryset, kind, place=None):
    """(kind, location id, n) rows: `queryset` counted at each location (`place` its path) or, without, once.

    `kind` is a name or an expression (an action's status); every row of the UNION has these three columns.
    """
    kind = Value(kind) if isinstance(kind, str) else kind
    place = F(place) if place else Value(None, output_field=IntegerField())
    return (
        queryset.order_by()
        .annotate(tally_kind=kind, tally_place=place)
        .values("tally_kind", "tally_place")
        .annotate(tally_n=Count("pk"))
        .values_list("tally_kind", "tally_place", "tally_n")
    )


def _age_band(today):
    bands = [When(_band_condition(today, low, high), then=Value(key)) for key, _label, low, high in AGE_BANDS]
    return Case(*bands)


def tallies(*, user, organisation, today, since, location=None, rows=()):
    """{(kind, location id or None): n} for every count on the page; one query whatever the data.

    Counts by location are read for `rows`, the locations whose row the table shows; the totals (location
    None) are counted without the join to each action that placing them at a location costs.
    """
    open_plans = Plan.objects.for_user(user, organisation).filter(status=PlanStatus.OPEN)
    # Counted through the plan-location link: a plan at two locations counts once at each.
    links = Plan.locations.through.objects.filter(plan__in=open_plans, location__in=rows)
    actions = Action.objects.for_user(user, organisation).filter(location__in=rows)
    of_actions, _of_plans = _approved_since(user=user, organisation=organisation, since=since, location=location)
    reopened = _reopened_since(user=user, organisation=organisation, since=since, location=location)
    review = Case(When(plan__next_review_date__lt=today, then=Value(REVIEW_OVERDUE)), default=Value(REVIEW_NOT_OVERDUE))
    counted = _tally(links, review, "location_id").union(
        _tally(actions, F("status"), "location_id"),
        _tally(
            of_actions.filter(closure_request__action__location__in=rows),
            ACTIONS_CLOSED,
            "closure_request__action__location_id",
        ),
        _tally(reopened.filter(action__location__in=rows), REOPENED, "action__location_id"),
        _tally(of_actions, ACTIONS_CLOSED),
        _tally(reopened, REOPENED),
        _tally(_covering(open_plans, location), _age_band(today)),
        all=True,
    )
    return {(kind, place): n for kind, place, n in counted}


def _total(counts, kind):
    return counts.get((kind, None), 0)


def age_bands(counts):
    """[{key, label, count}] of open plans by age in AGE_BANDS."""
    return [{"key": key, "label": label, "count": counts.get((key, None), 0)} for key, label, _low, _high in AGE_BANDS]


# By location


def _at_location(counts, location, *kinds):
    return sum(counts.get((kind, location.pk), 0) for kind in kinds)


def location_rows(locations, *, counts, stalled_at):
    """Each location with its counts (open_plans, live_actions… stalled_plans, overdue_reviews) as attributes."""
    for each in locations:
        each.open_plans = _at_location(counts, each, REVIEW_OVERDUE, REVIEW_NOT_OVERDUE)
        each.overdue_reviews = _at_location(counts, each, REVIEW_OVERDUE)
        each.live_actions = _at_location(counts, each, *LIVE)
        each.assurance_actions = _at_location(counts, each, *IN_ASSURANCE)
        each.awaiting_actions = _at_location(counts, each, ActionStatus.AWAITING_SIGNOFF)
        each.closed_in_period = _at_location(counts, each, ACTIONS_CLOSED)
        each.reopened_in_period = _at_location(counts, each, REOPENED)
        each.stalled_plans = stalled_at.get(each.pk, 0)
    return list(locations)


# The page


def oversight(*, user, organisation, rows, period=DEFAULT_PERIOD, location=None, today=None):
    """The context of the oversight page for one period and one location (None: every visible location).

    `rows` are the locations (already read) whose row the by-location table shows: a page of them.
    """
    today = today or timezone.localdate()
    since = period_start(today=today, period=period)
    scope = {"user": user, "organisation": organisation, "location": location}
    stalled, stalled_total, stalled_at = stalled_plans(today=today, limit=LIST_LIMIT, **scope)
    closed = closures(since=since, limit=LIST_LIMIT, **scope)
    counts = tallies(today=today, since=since, rows=rows, **scope)
    totals = {
        "stalled": stalled_total,
        "action_closures": _total(counts, ACTIONS_CLOSED),
        "plan_closures": closed["plans_total"],
        "reopenings": _total(counts, REOPENED),
    }
    shown = {
        "stalled": stalled,
        "action_closures": closed["actions"],
        "plan_closures": closed["plans"],
        "reopenings": reopenings(since=since, limit=LIST_LIMIT, **scope),
    }
    return {
        "today": today,
        "period": period,
        "period_label": PERIOD_LABELS[period],
        "since": since,
        "location": location,
        **shown,
        **{f"{name}_total": total for name, total in totals.items()},
        # How many rows each list leaves out ("and N more").
        "more": {name: totals[name] - len(listed) for name, listed in shown.items()},
        "age_bands": age_bands(counts),
        "oldest": oldest_plans(today=today, **scope),
        "oldest_limit": OLDEST_LIMIT,
        "reopen_rate": reopen_rate(reopened=totals["reopenings"], closed=totals["action_closures"]),
        "locations": location_rows(rows, counts=counts, stalled_at=stalled_at),
    }
