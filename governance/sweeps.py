"""Sweeps: each scans for due work and claims it by inserting notifications (DESIGN §6).

Each sweep is a function `(today, now) -> int` (how many notifications or e-mails it made) in
SWEEPS. Beat runs them on a static schedule; `python manage.py run_sweeps [--only NAME]` runs
them once for people who prefer cron. Running any sweep twice, or on two workers at once, sends
nothing twice: the unique (recipient, key) notification row is the claim, and e-mails are claimed
by a conditional UPDATE before they are sent.
"""

import logging
from datetime import datetime, time, timedelta
from functools import cache

from django.conf import settings
from django.db.models import CharField, F, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus, Step
from evidence.models import Direction, EvidenceItem, MeasureReading
from governance import gate, notify
from governance.escalation import LADDER, Directory, Reminder, escalations
from governance.models import CheckResult, Kind, PostClosureCheck
from governance.selectors_plans import LIVE_STATUSES, with_flags
from qip.audit import verify_all
from qip.models import AuditEvent, Membership, Plan, PlanStatus, Role
from qip.plan_services import uk_date

logger = logging.getLogger(__name__)

SWEEPS = {}
# The sweeps that look for due and overdue work, run hourly together (the rest have their own schedule).
REMINDER_SWEEPS = ["reviews", "steps_and_actions", "checks", "stability", "stalled"]


def sweep(name):
    def register(function):
        SWEEPS[name] = function
        return function

    return register


def run(name, *, now=None):
    now = now or timezone.now()
    made = SWEEPS[name](today=timezone.localdate(now), now=now)
    logger.info("sweep %s made %s", name, made)
    return made


# E-mail


@sweep("digest")
def daily_digest(*, today, now):
    """One digest per person per day, from DIGEST_HOUR (UK time), of what is waiting for it."""
    if timezone.localtime(now).hour < settings.DIGEST_HOUR:
        return 0
    cutoff = timezone.make_aware(datetime.combine(today, time(settings.DIGEST_HOUR)))
    made = 0
    for recipient_id, ids in notify.digest_candidates(before=min(now, cutoff)).items():
        made += notify.make_digest(recipient_id=recipient_id, notification_ids=ids, day=today) is not None
    return made


@sweep("pending_email")
def pending_email(*, today, now):
    """Send e-mails whose queueing was lost (a worker killed between commit and queue)."""
    notification_ids, digest_ids = notify.unsent(
        older_than=now - timedelta(seconds=settings.PENDING_EMAIL_AFTER_SECONDS)
    )
    sent = 0
    for pk in notification_ids:
        sent += _send_quietly(notify.send_notification_email, pk, now)
    for pk in digest_ids:
        sent += _send_quietly(notify.send_digest_email, pk, now)
    return sent


def _send_quietly(send, pk, now):
    try:
        return bool(send(pk, now=now))
    except Exception:  # left unclaimed for the next run; one bad address must not stop the rest
        logger.exception("E-mail %s %s failed; it will be tried again", send.__name__, pk)
        return False


# The audit log


@sweep("audit_chain")
def audit_chain(*, today, now):
    """Verify every organisation's audit chain; on a break, tell its admins and nominated individuals."""
    made = 0
    for report in verify_all():
        if report.intact:
            continue
        logger.error("Audit chain %s broken at event %s: %s", report.chain, report.seq, report.problem)
        if not report.chain.startswith("org:"):
            continue  # the system chain belongs to no organisation: the log line is its alarm
        organisation_id = int(report.chain.removeprefix("org:"))
        members = Membership.objects.filter(organisation_id=organisation_id, is_active=True)
        people = members.filter(Q(is_org_admin=True) | Q(role=Role.NOMINATED_INDIVIDUAL))
        for user_id in set(people.values_list("user_id", flat=True)):
            made += (
                notify.notify(
                    recipient_id=user_id,
                    organisation_id=organisation_id,
                    kind=Kind.AUDIT_CHAIN_BROKEN,
                    key=f"audit_chain:{organisation_id}:{today.isoformat()}",
                    title="The audit log check found a problem",
                    body=f"Event {report.seq}: {report.problem}. Open the audit log, run the check again and tell "
                    "your system administrator.",
                    url=reverse("audit_log"),
                    at=now,
                )
                is not None
            )
    return made


# Reminders of due and overdue work, and their escalation (governance.escalation).
#
# Each sweep reads its rows with a fixed number of queries, builds every reminder the rows have earned so far
# as plain values, asks once which of them exist (notify.already_sent), and calls notify() only for the rest:
# so a rerun costs the same few queries whatever the size, and a reminder made meanwhile by another worker is
# still refused by the unique (recipient, key) row. Keys carry the date (or marker) they are about, so a new
# due date, a new review date or a new assurance period gives a new reminder.


def _deliver(reminders, *, at, sent=None):
    """Make the reminders nobody has yet; returns how many were made. `sent`: already_sent() of these, if known."""
    wanted = {}
    for reminder in reminders:
        wanted.setdefault((reminder.recipient_id, reminder.key[:200]), reminder)
    if not wanted:
        return 0
    if sent is None:
        sent = notify.already_sent(list(wanted))
    fresh = [reminder for pair, reminder in wanted.items() if pair not in sent]
    if not fresh:
        return 0
    preferences = notify.load_preferences(reminder.recipient_id for reminder in fresh)
    return notify.notify_many(fresh, preferences=preferences, at=at)


@cache
def _url_pattern(name):
    return reverse(name, args=[987654321])


def _url(name, pk):
    """reverse() for one of thousands of rows: the pattern is resolved once a name."""
    return _url_pattern(name).replace("987654321", str(pk))


def _ahead(today):
    return today + timedelta(days=settings.REMINDER_DAYS_AHEAD)


def _days(count):
    return f"{count} day{'s' if count != 1 else ''}"


def _short(text, length=100):
    """One line of at most `length` characters, for a title."""
    line = " ".join((text or "").split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def _plan_locations(plan_ids):
    """{plan id: {location ids}} in one query."""
    rows = Plan.locations.through.objects.filter(plan_id__in=list(plan_ids)).values_list("plan_id", "location_id")
    locations = {}
    for plan_id, location_id in rows:
        locations.setdefault(plan_id, set()).add(location_id)
    return locations


def _to(recipient_id, organisation_id, kind, key, title, body, url):
    return Reminder(
        recipient_id=recipient_id, organisation_id=organisation_id, kind=kind, key=key, title=title, body=body, url=url
    )


@sweep("reviews")
def reviews(*, today, now):
    """Plan reviews due within REMINDER_DAYS_AHEAD days (to the owner), and overdue ones (owner, then escalation)."""
    plans = list(
        Plan.objects.exclude(status=PlanStatus.CLOSED)
        .filter(organisation__is_active=True, next_review_date__lte=_ahead(today))
        .select_related("owner")
        .order_by("pk")
    )
    if not plans:
        return 0
    locations = _plan_locations(plan.pk for plan in plans)
    directory = Directory.load(organisation_ids={plan.organisation_id for plan in plans})
    reminders = []
    for plan in plans:
        where, due, org = locations.get(plan.pk, set()), plan.next_review_date, plan.organisation_id
        url = _url("plan_detail", plan.pk)
        # An owner who has left, or no longer sees the plan's locations, is not told; escalation still runs.
        owner_told = directory.sees(organisation_id=org, user_id=plan.owner_id, location_ids=where)
        what = f"Record the review of “{plan.title}”: each action's progress, a RAG status and a decision."
        if due >= today:
            if owner_told:
                key = f"review_due:plan:{plan.pk}:{due.isoformat()}"
                title = f"Review of {plan.reference} is due on {uk_date(due)}"
                reminders.append(_to(plan.owner_id, org, Kind.REVIEW_DUE, key, title, what, url))
            continue
        base_key = f"review_overdue:plan:{plan.pk}:{due.isoformat()}"
        if owner_told:
            title = f"Review of {plan.reference} is overdue: it was due on {uk_date(due)}"
            reminders.append(_to(plan.owner_id, org, Kind.REVIEW_OVERDUE, base_key, title, what, url))
        late = (today - due).days
        reminders += escalations(
            directory=directory,
            organisation_id=org,
            location_ids=where,
            responsible_ids=[plan.owner_id],
            base_key=base_key,
            days_overdue=late,
            title=f"Escalated to you: the review of {plan.reference} is {_days(late)} overdue",
            body=f"It was due on {uk_date(due)}. {plan.owner} owns the plan “{plan.title}”.",
            url=url,
        )
    return _deliver(reminders, at=now)


# Only what the reminders say: a sweep reads tens of thousands of rows, and whole rows cost seconds.
ACTION_FIELDS = [
    "title",
    "due_date",
    "location_id",
    "owner_id",
    "plan_id",
    "plan__organisation_id",
    "plan__reference",
    "location__name",
    "owner__full_name",
    "owner__email",
]
STEP_FIELDS = [
    "what",
    "due_date",
    "who_id",
    "who__full_name",
    "who__email",
    "action_id",
    *[f"action__{field}" for field in ACTION_FIELDS],
]


@sweep("steps_and_actions")
def steps_and_actions(*, today, now):
    """Steps not done and live actions due within REMINDER_DAYS_AHEAD days, and overdue ones (with escalation)."""
    ahead = _ahead(today)
    steps = list(
        Step.objects.filter(done_at__isnull=True, due_date__lte=ahead, action__plan__organisation__is_active=True)
        .exclude(action__status=ActionStatus.CLOSED)
        .select_related("who", "action__plan", "action__location", "action__owner")
        .only(*STEP_FIELDS)
        .order_by("pk")
    )
    actions = list(
        Action.objects.filter(status__in=LIVE_STATUSES, due_date__lte=ahead, plan__organisation__is_active=True)
        .select_related("plan", "location", "owner")
        .only(*ACTION_FIELDS)
        .order_by("pk")
    )
    if not steps and not actions:
        return 0
    organisations = {s.action.plan.organisation_id for s in steps} | {a.plan.organisation_id for a in actions}
    directory = Directory.load(organisation_ids=organisations)
    reminders = []
    for step in steps:
        reminders += _step_reminders(step, directory=directory, today=today)
    for action in actions:
        reminders += _action_reminders(action, directory=directory, today=today)
    return _deliver(reminders, at=now)


def _due_reminders(item, *, directory, today, person_id, what, title, escalation_title, escalation_body):
    """Due soon (to the person responsible), or overdue (to them, then escalation): one item's reminders.

    `item` names the kinds and key: ("step", step pk, due date) or ("action", action pk, due date);
    `title(state)` words the reminder for "due" or "overdue".
    """
    name, pk, due, org, where, url = item
    kinds = {"step": (Kind.STEP_DUE, Kind.STEP_OVERDUE), "action": (Kind.ACTION_DUE, Kind.ACTION_OVERDUE)}[name]
    told = directory.sees(organisation_id=org, user_id=person_id, location_ids=where)
    if due >= today:
        key = f"{name}_due:{name}:{pk}:{due.isoformat()}"
        return [_to(person_id, org, kinds[0], key, title("due"), what, url)] if told else []
    base_key = f"{name}_overdue:{name}:{pk}:{due.isoformat()}"
    reminders = [_to(person_id, org, kinds[1], base_key, title("overdue"), what, url)] if told else []
    late = (today - due).days
    return reminders + escalations(
        directory=directory,
        organisation_id=org,
        location_ids=where,
        responsible_ids=[person_id],
        base_key=base_key,
        days_overdue=late,
        title=escalation_title(_days(late)),
        body=escalation_body,
        url=url,
    )


def _when(state, due):
    return f"due on {uk_date(due)}" if state == "due" else f"overdue (it was due on {uk_date(due)})"


def _step_reminders(step, *, directory, today):
    action = step.action
    person = step.who if step.who_id else action.owner  # a step nobody is named for is the action owner's
    due, where = step.due_date, {action.location_id}
    what = f"For the action “{_short(action.title, 200)}” at {action.location} ({action.plan.reference})."
    return _due_reminders(
        ("step", step.pk, due, action.plan.organisation_id, where, _url("action_detail", action.pk)),
        directory=directory,
        today=today,
        person_id=person.pk,
        what=what,
        title=lambda state: f"Step {_when(state, due)}: {_short(step.what)}",
        escalation_title=lambda late: f"Escalated to you: a step at {action.location} is {late} overdue",
        escalation_body=f"“{_short(step.what, 200)}” was due on {uk_date(due)} and is {person}'s to do. {what}",
    )


def _action_reminders(action, *, directory, today):
    due, where = action.due_date, {action.location_id}
    what = f"“{_short(action.title, 200)}” at {action.location} ({action.plan.reference})."
    return _due_reminders(
        ("action", action.pk, due, action.plan.organisation_id, where, _url("action_detail", action.pk)),
        directory=directory,
        today=today,
        person_id=action.owner_id,
        what=what,
        title=lambda state: f"Action {_when(state, due)}: {_short(action.title)}",
        escalation_title=lambda late: f"Escalated to you: an action at {action.location} is {late} overdue",
        escalation_body=f"{what} It was due on {uk_date(due)}; {action.owner} owns it.",
    )


@sweep("checks")
def checks(*, today, now):
    """Post-closure checks due within REMINDER_DAYS_AHEAD days, and overdue ones (escalated to nominated individuals).

    A check is the named reviewer's when the criteria name one who can see the action's location; otherwise the
    quality leads' who can see it, or the nominated individuals' when there is no such quality lead.
    """
    rows = list(
        PostClosureCheck.objects.filter(
            result=CheckResult.DUE, due_on__lte=_ahead(today), action__plan__organisation__is_active=True
        )
        .select_related("action__plan", "action__location", "action__criteria")
        .order_by("pk")
    )
    if not rows:
        return 0
    directory = Directory.load(organisation_ids={check.action.plan.organisation_id for check in rows})
    reminders = []
    for check in rows:
        action = check.action
        org, where, due = action.plan.organisation_id, {action.location_id}, check.due_on
        responsible = _check_people(action, directory=directory)
        url = _url("check_record", check.pk)
        what = (
            f"The {check.offset_days}-day check after closure of “{_short(action.title, 200)}” at {action.location} "
            f"({action.plan.reference}): record whether the improvement is holding."
        )
        if due >= today:
            key = f"check_due:check:{check.pk}:{due.isoformat()}"
            title = f"Post-closure check due on {uk_date(due)}: {_short(action.title)}"
            reminders += [_to(person, org, Kind.CHECK_DUE, key, title, what, url) for person in responsible]
            continue
        base_key = f"check_overdue:check:{check.pk}:{due.isoformat()}"
        title = f"Post-closure check overdue (it was due on {uk_date(due)}): {_short(action.title)}"
        reminders += [_to(person, org, Kind.CHECK_OVERDUE, base_key, title, what, url) for person in responsible]
        late = (today - due).days
        reminders += escalations(
            directory=directory,
            organisation_id=org,
            location_ids=where,
            responsible_ids=responsible,
            base_key=base_key,
            days_overdue=late,
            title=f"Escalated to you: a post-closure check at {action.location} is {_days(late)} overdue",
            body=f"{what} It was due on {uk_date(due)}.",
            url=url,
            # The people responsible are quality leads already (or above): the chain starts above them.
            start=LADDER.index(Role.NOMINATED_INDIVIDUAL),
        )
    return _deliver(reminders, at=now)


def _check_people(action, *, directory):
    org, where = action.plan.organisation_id, {action.location_id}
    criteria = getattr(action, "criteria", None)
    named = criteria.named_reviewer_id if criteria is not None else None
    if named and directory.sees(organisation_id=org, user_id=named, location_ids=where):
        return [named]
    for role in (Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL):
        people = directory.people(organisation_id=org, role=role, location_ids=where)
        if people:
            return people
    return []


@sweep("stability")
def stability(*, today, now):
    """Actions in assurance whose gate is ready for a closure request: the owner is told once per assurance period.

    The period is marked by the audit event of the move into assurance (every move is audited by
    governance.transitions.move), so an action challenged back into assurance, or taken out and put back,
    gives a new reminder while reruns do not. The gate costs a few queries an action, so it is run only for
    actions whose owner has not been told yet this period and that pass the cheap necessary conditions read
    here in the same query (all steps done, a measure whose latest reading at the action's location meets
    its target); the gate still decides.
    """
    entered = (
        AuditEvent.objects.filter(
            action="action.status_changed",
            object_type=Action._meta.label_lower,
            object_id=Cast(OuterRef("pk"), CharField()),
            data__to=ActionStatus.ASSURANCE.value,
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    latest = (
        MeasureReading.objects.filter(
            measure__action=OuterRef("pk"), location=OuterRef("location"), period_end__lte=today
        )
        .order_by("-period_end", "-pk")
        .values("value")[:1]
    )
    actions = list(
        Action.objects.filter(status=ActionStatus.ASSURANCE, plan__organisation__is_active=True)
        .select_related("plan", "location", "owner", "criteria", "measure")
        .prefetch_related("steps", "concerns")
        .annotate(entered_event=Subquery(entered), latest_value=Subquery(latest))
        .order_by("pk")
    )
    if not actions:
        return 0
    directory = Directory.load(organisation_ids={action.plan.organisation_id for action in actions})
    candidates = []
    for action in actions:
        org = action.plan.organisation_id
        if not directory.sees(organisation_id=org, user_id=action.owner_id, location_ids={action.location_id}):
            continue
        if not _may_be_ready(action):
            continue
        key = f"stability_reached:action:{action.pk}:{action.entered_event or 0}"
        title = f"Ready to request closure: {_short(action.title)}"
        body = (
            f"“{_short(action.title, 200)}” at {action.location} ({action.plan.reference}) has its steps done, "
            "its assurance evidence and an improvement that has held. Request closure on the action's page."
        )
        url = _url("action_detail", action.pk)
        candidates.append((action, _to(action.owner_id, org, Kind.STABILITY_REACHED, key, title, body, url)))
    sent = notify.already_sent([(reminder.recipient_id, reminder.key) for _action, reminder in candidates])
    reminders = [
        reminder
        for action, reminder in candidates
        if (reminder.recipient_id, reminder.key) not in sent
        and gate.evaluate_action_closure(action, at=now).ready_to_request
    ]
    return _deliver(reminders, at=now, sent=sent)


def _may_be_ready(action):
    """Conditions the gate's steps_complete and measure_target need; cheap, from what the query loaded."""
    if getattr(action, "criteria", None) is None:
        return False  # no closure criteria agreed: the gate has nothing to judge against
    steps = list(action.steps.all())
    if not steps or any(not step.is_done for step in steps):
        return False
    measure = getattr(action, "measure", None)
    return measure is not None and action.latest_value is not None and measure.meets_target(action.latest_value)


@sweep("stalled")
def stalled(*, today, now):
    """Stalled plans (the one rule: selectors_plans.with_flags) to the quality leads and nominated individuals.

    Once per stall episode: the key carries what ends an episode. A plan stalled for want of activity (past
    its target date, nothing new in two review cycles) is keyed on its target date and its latest activity, so
    new evidence or a reading, or a new target date, followed by stalling again gives a new reminder. A plan
    stalled for no measurable movement is keyed on its latest reading better than its baseline, so a movement
    that later fades gives a new reminder, while the further flat readings of one episode do not.
    """
    better = Q(measure__direction=Direction.HIGHER, value__gt=F("measure__baseline_value")) | Q(
        measure__direction=Direction.LOWER, value__lt=F("measure__baseline_value")
    )
    moved = (
        MeasureReading.objects.filter(
            better,
            measure__action__plan=OuterRef("pk"),
            measure__baseline_value__isnull=False,
            location=F("measure__action__location"),
        )
        .exclude(measure__action__status=ActionStatus.CLOSED)
        .order_by("-period_end")
        .values("period_end")[:1]
    )
    last_evidence = EvidenceItem.objects.filter(plan=OuterRef("pk")).order_by("-added_at").values("added_at")[:1]
    last_reading = (
        MeasureReading.objects.filter(measure__action__plan=OuterRef("pk"))
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    plans = list(
        with_flags(Plan.objects.filter(organisation__is_active=True), today=today)
        .filter(is_stalled=True)
        .select_related("owner")
        .annotate(
            last_moved_on=Subquery(moved),
            last_evidence_at=Subquery(last_evidence),
            last_reading_at=Subquery(last_reading),
        )
        .order_by("pk")
    )
    if not plans:
        return 0
    locations = _plan_locations(plan.pk for plan in plans)
    directory = Directory.load(organisation_ids={plan.organisation_id for plan in plans})
    reminders = []
    for plan in plans:
        org, where = plan.organisation_id, locations.get(plan.pk, set())
        key, why = _stall_episode(plan)
        title = f"{plan.reference} has stalled"
        body = f"“{plan.title}”: {why} Look at it with its owner, {plan.owner}, at the next review."
        url = _url("plan_detail", plan.pk)
        for role in (Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL):
            for person in directory.people(organisation_id=org, role=role, location_ids=where):
                reminders.append(_to(person, org, Kind.PLAN_STALLED, key, title, body, url))
    return _deliver(reminders, at=now)


def _stall_episode(plan):
    """(key, reason in words) of the plan's current stall (see stalled())."""
    if plan.no_movement:
        marker = plan.last_moved_on.isoformat() if plan.last_moved_on else "never"
        why = "no measurable movement: readings in the last two review cycles are no better than the baseline."
        return f"plan_stalled:plan:{plan.pk}:flat:{marker}", why
    times = [moment for moment in (plan.last_evidence_at, plan.last_reading_at) if moment is not None]
    last = timezone.localdate(max(times)) if times else None
    marker = f"{plan.target_date.isoformat()}:{last.isoformat() if last else 'never'}"
    since = f"since {uk_date(last)}" if last else "yet"
    why = f"past its target date of {uk_date(plan.target_date)}, with no new evidence or readings {since}."
    return f"plan_stalled:plan:{plan.pk}:idle:{marker}", why
