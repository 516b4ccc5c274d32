"""Reads for the provider oversight page. Each starts from `for_user()`, so tenancy cannot be forgotten.

Stalled plans use the one rule of governance.selectors_plans.with_flags (through the dashboard's
stalled_plans), so the plan list, the dashboard and this page never disagree about which plans have stalled.

The page costs the same number of queries whatever the number of plans or locations: every list is one
query (with at most one prefetch), the age bands are one aggregate, the by-location table is one query of
per-location subqueries, and the stalled, closed and reopened columns are counted from the lists already
read (which are never cut short, so the counts are exact).
"""

from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from actions.models import Action, ActionStatus
from governance import selectors_dashboard
from governance.models import Decision, Reopening, SignOff
from qip.models import CADENCE_DAYS, Location, Plan, PlanStatus
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

LIVE = [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.REOPENED]
# Completed (every step done) waits to be moved into assurance: neither is live work any more.
IN_ASSURANCE = [ActionStatus.COMPLETED, ActionStatus.ASSURANCE]


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


def stalled_plans(*, user, organisation, today, location=None):
    """Open stalled plans (the dashboard's list), each with `reasons` and its locations, oldest target first."""
    plans = selectors_dashboard.stalled_plans(user=user, organisation=organisation, today=today)
    plans = list(
        _covering(plans, location).prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by(Lower("name"), "pk"))
        )
    )
    for plan in plans:
        plan.reasons = stall_reasons(plan)
    return plans


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


def age_bands(*, user, organisation, today, location=None):
    """[{key, label, count}] of open plans by age in AGE_BANDS; one aggregate."""
    counts = _open_plans(user=user, organisation=organisation, location=location).aggregate(
        **{key: Count("pk", filter=_band_condition(today, low, high)) for key, _label, low, high in AGE_BANDS}
    )
    return [{"key": key, "label": label, "count": counts[key]} for key, label, _low, _high in AGE_BANDS]


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


def closures(*, user, organisation, since, location=None):
    """{"actions": [...], "plans": [...]}: the approved sign-offs since `since`, newest first; one query.

    Sign-offs belong to the organisation, not to a location, so each is limited through the action or
    plan it closed: a location-limited reader sees only closures where they work.
    """
    actions = Action.objects.for_user(user, organisation)
    if location is not None:
        actions = actions.filter(location=location)
    plans = _covering(Plan.objects.for_user(user, organisation), location)
    signoffs = (
        SignOff.objects.for_user(user, organisation)
        .filter(decision=Decision.APPROVED, signed_at__gte=since)
        .filter(Q(closure_request__action__in=actions) | Q(closure_request__plan__in=plans))
        .select_related("closure_request__action__plan", "closure_request__action__location", "closure_request__plan")
        .order_by("-signed_at", "-pk")
    )
    split = {"actions": [], "plans": []}
    for signoff in signoffs:
        split["actions" if signoff.closure_request.action_id else "plans"].append(signoff)
    return split


def reopenings(*, user, organisation, since, location=None):
    """Actions reopened since `since`, newest first, with what triggered each and the closure it undid."""
    reopened = Reopening.objects.for_user(user, organisation).filter(reopened_at__gte=since)
    if location is not None:
        reopened = reopened.filter(action__location=location)
    return list(
        reopened.select_related(
            "action__plan", "action__location", "reopened_by", "previous_signoff", "concern", "failed_check"
        ).order_by("-reopened_at", "-pk")
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


# By location


def _count(queryset, group):
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _plans_here(plans, **conditions):
    # Counted through the plan-location link: a plan at two locations counts once at each.
    links = Plan.locations.through.objects.filter(location=OuterRef("pk"), plan__in=plans, **conditions)
    return _count(links, "location")


def _actions_here(actions, statuses):
    return _count(actions.filter(location=OuterRef("pk"), status__in=statuses), "location")


def location_rows(*, user, organisation, today, location=None, stalled=(), action_closures=(), reopened=()):
    """A row of counts for each location the user can see (or just `location`), by name; one query.

    Stalled, closed and reopened are counted from the page's own lists, so the table and the lists agree.
    """
    locations = Location.objects.for_user(user, organisation)
    if location is not None:
        locations = locations.filter(pk=location.pk)
    open_plans = Plan.objects.for_user(user, organisation).filter(status=PlanStatus.OPEN).values("pk")
    actions = Action.objects.for_user(user, organisation)
    locations = locations.annotate(
        open_plans=_plans_here(open_plans),
        overdue_reviews=_plans_here(open_plans, plan__next_review_date__lt=today),
        live_actions=_actions_here(actions, LIVE),
        assurance_actions=_actions_here(actions, IN_ASSURANCE),
        awaiting_actions=_actions_here(actions, [ActionStatus.AWAITING_SIGNOFF]),
    ).order_by(Lower("name"), "pk")
    stalled_at, closed_at, reopened_at = {}, {}, {}
    for plan in stalled:
        for plan_location in plan.locations.all():
            stalled_at[plan_location.pk] = stalled_at.get(plan_location.pk, 0) + 1
    for signoff in action_closures:
        location_id = signoff.closure_request.action.location_id
        closed_at[location_id] = closed_at.get(location_id, 0) + 1
    for reopening in reopened:
        reopened_at[reopening.action.location_id] = reopened_at.get(reopening.action.location_id, 0) + 1
    rows = []
    for each in locations:
        each.stalled_plans = stalled_at.get(each.pk, 0)
        each.closed_in_period = closed_at.get(each.pk, 0)
        each.reopened_in_period = reopened_at.get(each.pk, 0)
        rows.append(each)
    return rows


# The page


def oversight(*, user, organisation, period=DEFAULT_PERIOD, location=None, today=None):
    """The context of the oversight page for one period and one location (None: every visible location)."""
    today = today or timezone.localdate()
    since = period_start(today=today, period=period)
    stalled = stalled_plans(user=user, organisation=organisation, today=today, location=location)
    closed = closures(user=user, organisation=organisation, since=since, location=location)
    reopened = reopenings(user=user, organisation=organisation, since=since, location=location)
    return {
        "today": today,
        "period": period,
        "period_label": PERIOD_LABELS[period],
        "since": since,
        "location": location,
        "stalled": stalled,
        "age_bands": age_bands(user=user, organisation=organisation, today=today, location=location),
        "oldest": oldest_plans(user=user, organisation=organisation, today=today, location=location),
        "oldest_limit": OLDEST_LIMIT,
        "action_closures": closed["actions"],
        "plan_closures": closed["plans"],
        "reopenings": reopened,
        "reopen_rate": reopen_rate(reopened=len(reopened), closed=len(closed["actions"])),
        "locations": location_rows(
            user=user,
            organisation=organisation,
            today=today,
            location=location,
            stalled=stalled,
            action_closures=closed["actions"],
            reopened=reopened,
        ),
    }
