"""Five demo plans for Example Care Group, one for each stage the closure gate has to judge.

Used by `seed_demo` only. The stories follow the operational examples in the domain
articles (MAR errors, safeguarding escalation in homecare, person-centred support plans
across houses, moving and handling risk assessments, nutrition monitoring).

Every row goes through the services that audit it, and every status change through
governance.services, with `at=` where the service takes it. Dates the services stamp
with "now" (when a reading, evidence item or request was entered) are then set on the
row itself to the day the work happened, so screens read as a plan that has been running
for weeks. The dates are relative to the day the seed runs.

1. QIP-2026-001 medicines, Oak House: all steps done, in assurance, refused by the gate
   (activity evidence only, plus one audit; three weeks at target after a low baseline).
2. QIP-2026-002 safeguarding escalation, Riverside Homecare: stepped down to fortnightly
   reviews; a concern three weeks ago restarted the stability window.
3. QIP-2026-003 person-centred support plans at all three locations: closed at Oak House
   and Riverside, still live at Maple Court where one house shows drift.
4. QIP-2026-004 moving and handling, Oak House: closed three weeks ago, its 30-day check due.
5. QIP-2026-005 nutrition monitoring, Maple Court: closed, the 30-day check found
   deterioration, reopened, and a new step is in progress.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format

from actions import services as action_services
from actions.models import Action, ActionStatus, ClosureCriteria
from evidence import services as evidence_services
from evidence.models import EvidenceItem, MeasureReading
from governance import gate, services, services_reviews, sweeps
from governance.models import Channel, CheckResult, ClosureRequest, Notification
from governance.selectors_reviews import reviewable_actions
from qip import plan_services, two_factor
from qip.models import EvidenceCategory, Location, Plan, QualityStatement, Regulation, User

ORGANISATION = "Example Care Group"
OAK, RIVERSIDE, MAPLE = "Oak House", "Riverside Homecare", "Maple Court Supported Living"
REFERENCES = ("QIP-2026-001", "QIP-2026-002", "QIP-2026-003", "QIP-2026-004", "QIP-2026-005")

# What each plan shows, for the printed summary (the statuses are read from the database).
SHOWS = {
    "QIP-2026-001": "completion is not closure",
    "QIP-2026-002": "stepped down from weekly to fortnightly reviews",
    "QIP-2026-003": "closes house by house",
    "QIP-2026-004": "closed, awaiting its post-closure check",
    "QIP-2026-005": "reopened after its 30-day check",
}

BUILDERS = {}


def _builds(reference):
    def register(function):
        BUILDERS[reference] = function
        return function

    return register


def seed_plans(organisation, *, password):
    """Create the demo plans that are missing (found by reference); return how many were created."""
    seed = _Seed(organisation, password=password)
    created = 0
    for reference in REFERENCES:
        if Plan.objects.filter(organisation=organisation, reference=reference).exists():
            continue
        BUILDERS[reference](seed, reference)
        created += 1
    _first_reminders(organisation)
    return created


def _first_reminders(organisation):
    """Run the reminder sweeps once, so the demo people have notifications from the start.

    The notices the stories made (sign-off requests, decisions, reopenings) are of things that happened
    weeks ago: they stay in the app but are marked e-mailed, so nobody's inbox fills with old news.
    """
    for name in sweeps.REMINDER_SWEEPS:
        sweeps.run(name)
    Notification.objects.filter(organisation=organisation, email_wanted=Channel.IMMEDIATE, emailed_at=None).update(
        emailed_at=timezone.now()
    )


# The printed summary


def summary_lines(organisation):
    """One line per demo plan saying its stage, from the plan's current state."""
    today = timezone.localdate()
    lines = []
    plans = Plan.objects.filter(organisation=organisation, reference__in=REFERENCES).order_by("reference")
    for plan in plans:
        actions = list(plan.actions.select_related("location", "criteria").order_by("location__name"))
        stages = [_stage(action, today) for action in actions]
        if len(actions) == 1:
            stage = f"{actions[0].location.name}: {stages[0]}"
        else:
            stage = "; ".join(f"{action.location.name}: {text}" for action, text in zip(actions, stages, strict=True))
        review = f"reviewed {plan.get_review_cadence_display().lower()}"
        if plan.next_review_date:
            review += f", next {_day(plan.next_review_date)}"
        shows = SHOWS.get(plan.reference, "")
        lines.append(f"{plan.reference} {plan.title} [{shows}] — {stage} ({review})")
    return lines


def _day(value):
    return date_format(value, "j M Y")


def _stage(action, today):
    status = action.status
    if status == ActionStatus.CLOSED:
        text = f"closed {_day(timezone.localdate(action.closed_at))}"
        due = action.post_closure_checks.filter(result=CheckResult.DUE).order_by("due_on").first()
        held = action.post_closure_checks.filter(result=CheckResult.HOLDING).order_by("-due_on").first()
        if held:
            text += f", {held.offset_days}-day check holding"
        if due:
            days = (due.due_on - today).days
            when = f"in {days} days" if days >= 0 else f"{-days} days overdue"
            text += f", {due.offset_days}-day check due {_day(due.due_on)} ({when})"
        return text
    if status in (ActionStatus.ASSURANCE, ActionStatus.COMPLETED, ActionStatus.AWAITING_SIGNOFF):
        result = gate.evaluate_action_closure(action)
        refusals = [_refusal(criterion) for criterion in result.failing if criterion.code not in gate.DECISION_CODES]
        label = action.get_status_display().lower()
        if not refusals:
            return f"{label}, ready to request closure"
        return f"{label}, the gate refuses closure: {', '.join(refusals)}"
    done = action.steps.filter(done_at__isnull=False).count()
    total = action.steps.count()
    text = f"{action.get_status_display().lower()}, {done} of {total} steps done"
    reopening = action.reopenings.order_by("-reopened_at").first()
    if reopening:
        text = (
            f"reopened {_day(timezone.localdate(reopening.reopened_at))} "
            f"({reopening.get_trigger_display().lower()}), now {text}"
        )
    return text


def _refusal(criterion):
    figures = criterion.figures
    if criterion.code == gate.EVIDENCE_SOURCES:
        return f"assurance evidence {len(figures['categories'])} of {figures['needed']} categories"
    if criterion.code == gate.STABILITY:
        return "improvement not yet held"
    if criterion.code == gate.NO_RECENT_CONCERNS:
        return "a recent concern restarted the stability window"
    if criterion.code == gate.STEPS_COMPLETE:
        return f"{figures['done']} of {figures['total']} steps done"
    return criterion.label.lower()


# The builder


class _Seed:
    """People, places and date helpers shared by the five stories."""

    def __init__(self, organisation, *, password):
        self.org = organisation
        self.password = password
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        people = {user.email: user for user in User.objects.filter(memberships__organisation=organisation)}
        self.ni = people["ni@example.com"]
        self.quality = people["quality@example.com"]
        self.manager = people["manager@example.com"]
        self.homecare_manager = people["homecare.manager@example.com"]
        self.maple_manager = people["maple.manager@example.com"]
        self.staff = people["staff@example.com"]
        places = {location.name: location for location in Location.objects.filter(organisation=organisation)}
        self.oak, self.riverside, self.maple = places[OAK], places[RIVERSIDE], places[MAPLE]

    # Dates

    def day(self, days_ago):
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago, hour=10, minute=0):
        """A moment `days_ago` days back at a working hour, never later than now."""
        moment = timezone.make_aware(datetime.combine(self.day(days_ago), time(hour, minute)))
        return min(moment, self.now)

    def at_date(self, day, hour=10):
        return min(timezone.make_aware(datetime.combine(day, time(hour))), self.now)

    @staticmethod
    def month_ends(before, count):
        """The last `count` month ends strictly before the date `before`, oldest first."""
        ends, end = [], before.replace(day=1) - timedelta(days=1)
        while len(ends) < count:
            ends.append(end)
            end = end.replace(day=1) - timedelta(days=1)
        return list(reversed(ends))

    # Reference data

    def category(self, slug):
        return EvidenceCategory.objects.get(framework__is_current=True, slug=slug)

    def statements(self, *slugs):
        return list(QualityStatement.objects.filter(key_question__framework__is_current=True, slug__in=slugs))

    def regulations(self, *numbers):
        return list(Regulation.objects.filter(framework__is_current=True, number__in=numbers))

    # Rows, through the services

    def plan(self, reference, *, owner, locations, started, statements, regulations, next_review, **fields):
        plan = plan_services.create_plan(
            actor=owner,
            organisation=self.org,
            reference=reference,
            owner=owner,
            locations=locations,
            quality_statements=self.statements(*statements),
            regulations=self.regulations(*regulations),
            **fields,
        )
        Plan.objects.filter(pk=plan.pk).update(created_at=self.at(started, 9), next_review_date=self.day(-next_review))
        plan.refresh_from_db()
        return plan

    def action(self, plan, *, location, owner, started, steps, wording_reason="", **fields):
        """`steps`: (person or None, role words, what, where it is recorded, due days ago; negative = ahead)."""
        action = action_services.create_action(
            actor=owner,
            plan=plan,
            location=location,
            owner=owner,
            steps=[
                {"who": who, "who_role": role, "what": what, "recorded_where": where, "due_date": self.day(due)}
                for who, role, what, where, due in steps
            ],
            wording_reason=wording_reason,
            **fields,
        )
        Action.objects.filter(pk=action.pk).update(created_at=self.at(started, 11))
        ClosureCriteria.objects.filter(action=action).update(agreed_at=self.at(started, 11))
        return action

    def steps(self, action):
        return list(action.steps.order_by("order", "pk"))

    def do(self, step, *, by, days_ago, note=""):
        services.complete_step(actor=by, step=step, note=note, at=self.at(days_ago, 16))

    def measure(self, action, *, by, **fields):
        return evidence_services.create_measure(actor=by, action=action, **fields)

    def readings(self, measure, *, by, dated, notes=None):
        """`dated`: (period end, value) pairs; a value may be (numerator, denominator)."""
        notes = notes or {}
        for period_end, value in dated:
            counts = {}
            if isinstance(value, tuple):
                counts = {"numerator": value[0], "denominator": value[1]}
                value = None
            reading = evidence_services.record_reading(
                actor=by, measure=measure, period_end=period_end, value=value, note=notes.get(period_end, ""), **counts
            )
            entered = self.at_date(period_end + timedelta(days=1), hour=9)
            MeasureReading.objects.filter(pk=reading.pk).update(recorded_at=entered)

    def weekly(self, last, values):
        """(period end, value) pairs, one a week, the newest `last` days ago."""
        count = len(values)
        return [(self.day(last + 7 * (count - 1 - index)), value) for index, value in enumerate(values)]

    def evidence(self, action, *, by, category, kind, purpose, title, days_ago, recorded_where, summary="", **extra):
        item = evidence_services.add_evidence(
            actor=by,
            action=action,
            category=self.category(category),
            kind=kind,
            purpose=purpose,
            title=title,
            summary=summary,
            collected_on=self.day(days_ago),
            recorded_where=recorded_where,
            **extra,
        )
        EvidenceItem.objects.filter(pk=item.pk).update(added_at=self.at(days_ago, 17))
        return item

    def concern(self, action, *, by, kind, days_ago, summary, people_named=""):
        concern = evidence_services.log_concern(
            actor=by,
            action=action,
            kind=kind,
            occurred_on=self.day(days_ago),
            summary=summary,
            people_named=people_named,
            at=self.at(days_ago, 18),
        )
        return concern

    def close(self, action, *, requested_by, requested, approved, bau, learning, residual=""):
        """Assurance → request (by the owner) → approval by the nominated individual, on the days given."""
        services.start_assurance(actor=requested_by, action=action)
        request = services.request_closure(
            actor=requested_by,
            action=action,
            bau_monitoring_plan=bau,
            closure_learning=learning,
            residual_risks=residual,
            at=self.at(requested, 11),
        )
        ClosureRequest.objects.filter(pk=request.pk).update(requested_at=self.at(requested, 11))
        return services.approve(
            actor=self.ni,
            closure_request=request,
            password=self.password,
            code=two_factor.one_time_code_for_demo(self.ni),
            at=self.at(approved, 15, 30),
        )

    def review(self, plan, *, by, days_ago, decision="continue", rags=None, reason="", summary="", evidence=()):
        """A review held `days_ago` days back; each open action green unless `rags` gives (rag, progress) for
        its location's name."""
        rags = rags or {}
        lines = []
        for action in reviewable_actions(user=by, plan=plan):
            rag, progress = rags.get(action.location.name, ("green", ""))
            lines.append({"action": action, "rag": rag, "progress": progress})
        review = services_reviews.record_review(
            actor=by,
            plan=plan,
            held_on=self.day(days_ago),
            decision=decision,
            lines=lines,
            evidence_seen=evidence,
            summary=summary,
            reason=reason,
            at=self.at(days_ago, 16),
        )
        plan.refresh_from_db()
        return review

    def check(self, action, offset_days):
        return action.post_closure_checks.get(offset_days=offset_days, result=CheckResult.DUE)


# 1. Medicines at Oak House: all the work done, the gate still refuses.


@_builds("QIP-2026-001")
def _medicines(seed, reference):
    manager, staff = seed.manager, seed.staff
    plan = seed.plan(
        reference,
        owner=manager,
        locations=[seed.oak],
        started=50,
        next_review=3,
        statements=["medicines-optimisation"],
        regulations=["12", "17"],
        title="Medicines: MAR recording errors at Oak House",
        problem_statement=(
            "The monthly medicines audit found a cluster of MAR recording errors (gaps, late signatures and codes "
            "used without a note) and one missed evening dose of an anticoagulant for one resident."
        ),
        source="incident",
        source_reference="Incident 2026-041 (missed dose); medicines audit",
        source_date=seed.day(52),
        root_causes=(
            "MAR charts signed at the end of the round rather than at administration; no check of the MAR at shift "
            "handover; agency staff unfamiliar with the home's MAR codes; the medicines policy silent on who "
            "escalates a gap."
        ),
        priority_rationale="A missed anticoagulant dose can cause serious harm; medicines actions are high-risk.",
        quality_area="medicines",
        risk_likelihood=4,
        risk_impact=4,
        review_cadence="weekly",
        target_date=seed.day(-60),
    )
    action = seed.action(
        plan,
        location=seed.oak,
        owner=manager,
        started=50,
        due_date=seed.day(-56),
        title=(
            "Senior carer reviews every MAR chart each week; target 95% of MAR entries complete and signed at the "
            "time of administration, held for 8 weeks"
        ),
        baseline_issue=(
            "81% of MAR entries complete and signed at the time in the four weeks before the plan; one missed dose."
        ),
        measurable_improvement="95% of MAR entries complete and signed at the time, every week for 8 weeks.",
        what_can_go_wrong=(
            "Training and a new policy change nothing on the floor: staff still sign at the end of the round, and "
            "gaps found on one shift are not escalated to the next."
        ),
        early_warning_signs="Blank MAR boxes found at handover; codes without notes; agency staff unsure of the codes.",
        escalation=(
            "The registered manager pauses closure, adds shift-leader coaching and increases observed medicine rounds."
        ),
        monitoring=(
            "Second phase of assurance: live competency observations of medicine rounds, a weekly MAR exception "
            "review by the senior carer, and monthly quality sampling of 10 MAR charts by the quality lead."
        ),
        reopen_triggers="Any missed or duplicated dose; a weekly MAR completion below 95%.",
        steps=[
            (
                manager,
                "registered manager",
                "Registered manager reviews all MAR charts from the last 4 weeks, lists each recording error and the "
                "missed dose, and records the baseline on the medicines improvement tracker.",
                "medicines improvement tracker",
                45,
            ),
            (
                staff,
                "senior carer",
                "Senior carer books all 14 medication-trained staff onto the medicines refresher and checks each "
                "completion certificate, recording them in the training matrix.",
                "training matrix",
                22,
            ),
            (
                manager,
                "registered manager",
                "Registered manager updates the medicines policy on signing at the time of administration and on "
                "escalating MAR gaps between shifts, and records the approved version in the policy register.",
                "policy register",
                22,
            ),
        ],
        wording_reason=(
            "Training and the policy are the first phase; assurance comes from the observed rounds, the weekly MAR "
            "exception review and the monthly sampling."
        ),
    )
    baseline, training, policy = seed.steps(action)
    seed.do(baseline, by=manager, days_ago=46, note="41 errors across 12 MAR charts; 1 missed dose.")
    seed.do(training, by=staff, days_ago=24, note="14 of 14 certificates seen.")
    seed.do(policy, by=manager, days_ago=22, note="Version 4.2 approved and issued.")

    measure = seed.measure(
        action,
        by=manager,
        name="MAR entries complete and signed at the time of administration",
        unit="%",
        direction="higher",
        baseline_value=81.0,
        baseline_date=seed.day(43),
        target=95.0,
        frequency="weekly",
        data_source="Weekly MAR exception review (senior carer)",
    )
    seed.readings(
        measure,
        by=staff,
        dated=seed.weekly(1, [(227, 280), (232, 279), (241, 281), (249, 283), (270, 281), (274, 282), (271, 282)]),
        notes={seed.day(22): "Refresher complete and policy issued this week."},
    )

    seed.evidence(
        action,
        by=staff,
        category="processes",
        kind="training_record",
        purpose="activity",
        title="Medicines refresher: 14 of 14 medication-trained staff completed",
        summary="Certificates checked against the rota; includes the two regular agency nurses.",
        days_ago=24,
        recorded_where="Training matrix",
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="policy_update",
        purpose="activity",
        title="Medicines policy v4.2: signing at the time and escalating gaps",
        summary="New section on who checks the MAR at handover and who is told about a gap.",
        days_ago=22,
        recorded_where="Policy register",
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="audit",
        purpose="assurance",
        title="Follow-up MAR audit: 20 charts, weeks 1–3 after the refresher",
        summary=(
            "96% of entries complete and signed at the time. Escalation of documentation gaps between shifts is "
            "still inconsistent: 3 gaps found on the night shift were not passed to the day shift."
        ),
        days_ago=6,
        recorded_where="Medicines audit file",
    )
    services.start_assurance(actor=manager, action=action)
    seed.review(
        plan,
        by=manager,
        days_ago=11,
        rags={OAK: ("amber", "Refresher and policy done; the follow-up audit is not yet in.")},
        summary="Follow-up audit of 20 charts due this week; senior carer to check handovers.",
    )
    seed.review(
        plan,
        by=seed.quality,
        days_ago=4,
        rags={OAK: ("amber", "96% of entries signed at the time, but 3 night-shift gaps were not escalated to days.")},
        summary="Practice observation of a night round still needed before closure can be asked for.",
    )


# 2. Safeguarding escalation at Riverside Homecare: stepped down, a concern restarted the window.


@_builds("QIP-2026-002")
def _safeguarding(seed, reference):
    manager = seed.homecare_manager
    plan = seed.plan(
        reference,
        owner=manager,
        locations=[seed.riverside],
        started=85,
        next_review=10,
        statements=["safeguarding"],
        regulations=["13", "17"],
        title="Safeguarding escalation between carers and the office",
        problem_statement=(
            "Carers recorded welfare concerns in visit notes but did not always ring the office; office "
            "coordinators made different decisions on the same kind of concern. A local authority safeguarding "
            "enquiry found a 2-day delay in escalating unexplained bruising."
        ),
        source="safeguarding",
        source_reference="LA safeguarding enquiry SG-2026-117",
        source_date=seed.day(88),
        root_causes=(
            "No single escalation pathway; out-of-hours coordinators unsure of thresholds; supervision did not test "
            "carers' decisions on real scenarios."
        ),
        priority_rationale="Delayed safeguarding escalation leaves people at risk of continuing harm.",
        quality_area="safeguarding",
        risk_likelihood=3,
        risk_impact=5,
        review_cadence="weekly",
        target_date=seed.day(-45),
    )
    action = seed.action(
        plan,
        location=seed.riverside,
        owner=manager,
        started=84,
        due_date=seed.day(-42),
        title=(
            "Branch manager reviews every welfare concern each weekday; target 90% of concerns escalated to the "
            "office within 24 hours, held for 8 weeks"
        ),
        baseline_issue="58% of welfare concerns reached the office within 24 hours in the 4 weeks before the plan.",
        measurable_improvement="90% of welfare concerns escalated within 24 hours, every week for 8 weeks.",
        what_can_go_wrong=(
            "Escalation improves while the branch manager reviews every concern daily, then slips when the "
            "intensive review eases, especially out of hours."
        ),
        early_warning_signs="Concerns found in visit notes but not in the welfare log; weekend calls logged late.",
        escalation="The branch manager returns to daily review and the plan goes back to weekly governance review.",
        monitoring=(
            "Daily review of welfare concerns by branch management; a weekly audit of escalation times; "
            "scenario-based supervision for every carer each quarter."
        ),
        reopen_triggers="Any delayed safeguarding referral; escalation within 24 hours below 90% in a week.",
        steps=[
            (
                manager,
                "branch manager",
                "Branch manager writes one escalation pathway for welfare concerns, with thresholds and out-of-hours "
                "contacts, and records the approved version in the safeguarding procedures file.",
                "safeguarding procedures file",
                74,
            ),
            (
                manager,
                "field care supervisor",
                "Field care supervisor runs a scenario-based supervision with each of the 26 carers, testing 3 "
                "escalation scenarios, and records each carer's answers in their supervision record.",
                "supervision records",
                60,
            ),
            (
                manager,
                "branch manager",
                "Branch manager reviews every welfare concern logged each weekday, checks the escalation time, and "
                "records the decision in the daily welfare review log.",
                "daily welfare review log",
                56,
            ),
        ],
    )
    pathway, supervision, daily = seed.steps(action)
    seed.do(pathway, by=manager, days_ago=74)
    seed.do(supervision, by=manager, days_ago=60, note="26 of 26 carers supervised.")
    seed.do(daily, by=manager, days_ago=56, note="Daily review running since week 4.")

    measure = seed.measure(
        action,
        by=manager,
        name="Welfare concerns escalated to the office within 24 hours",
        unit="%",
        direction="higher",
        baseline_value=58.0,
        baseline_date=seed.day(64),
        target=90.0,
        frequency="weekly",
        data_source="Welfare concern log against visit notes",
    )
    seed.readings(
        measure,
        by=manager,
        dated=seed.weekly(1, [(7, 12), (10, 16), (10, 14), (11, 14), (16, 19), (18, 20), (12, 13), (16, 17), (14, 15)]),
        notes={seed.day(15): "Includes one weekend concern escalated after 30 hours (see concerns)."},
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="policy_update",
        purpose="activity",
        title="Welfare concern escalation pathway issued to all carers",
        days_ago=73,
        recorded_where="Safeguarding procedures file",
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="audit",
        purpose="assurance",
        title="Escalation audit: 20 welfare concerns against visit notes",
        summary="18 of 20 escalated within 24 hours; all 20 had a recorded decision and outcome.",
        days_ago=30,
        recorded_where="Branch quality audit file",
    )
    seed.evidence(
        action,
        by=manager,
        category="feedback-staff-leaders",
        kind="supervision",
        purpose="assurance",
        title="Carers' answers in scenario supervision, second round",
        summary=(
            "24 of 26 carers chose the right escalation route for all 3 scenarios; office coordinators now give the "
            "same decision on the same scenario."
        ),
        days_ago=14,
        recorded_where="Supervision records",
    )
    services.start_assurance(actor=manager, action=action)
    seed.concern(
        action,
        by=manager,
        kind="safeguarding",
        days_ago=21,
        summary=(
            "A weekend carer noted new bruising on a person's forearm in the visit notes but rang the on-call "
            "coordinator 30 hours later. Referred to the local authority; the carer has had supervision."
        ),
        people_named="Mr R.T.",
    )
    # Step-down agreed at the review after the concern was investigated: weekly → fortnightly.
    seed.review(
        plan,
        by=seed.quality,
        days_ago=4,
        decision="step_down",
        reason=(
            "The weekend escalation concern was investigated and the carer supervised; escalation within the hour "
            "has held for the four weeks since. Weekly review is no longer needed; the stability window restarted."
        ),
        summary="Keep the daily welfare review; check weekend escalations at the next review.",
    )


# 3. Person-centred support plans at three locations: closed at two, live at one.

SUPPORT_TITLE = (
    "Keyworkers review each person's support plan with them every month; target 90% of sampled plans reflect "
    "current preferences, communication needs and outcomes, and match observed practice"
)


def _support_steps(*, who, observer, recorded, due):
    return [
        (
            who,
            "deputy manager",
            "Deputy manager audits all support plans against the new template and the person's review notes, and "
            "records the baseline on the care planning tracker.",
            "care planning tracker",
            due[0],
        ),
        (
            who,
            "keyworker",
            "Each keyworker rewrites their 3 people's support plans on the new template with the person and their "
            "family, and records the review in the person's support plan.",
            "support plan",
            due[1],
        ),
        (
            observer,
            "team leader",
            f"Team leader observes 2 shifts a week for 4 weeks, checks staff follow each revised plan, and records "
            f"drift in the {recorded}.",
            recorded,
            due[2],
        ),
    ]


@_builds("QIP-2026-003")
def _person_centred(seed, reference):
    owner = seed.quality
    plan = seed.plan(
        reference,
        owner=owner,
        locations=[seed.oak, seed.riverside, seed.maple],
        started=245,
        next_review=12,
        statements=["person-centred-care", "treating-people-individuals"],
        regulations=["9"],
        title="Person-centred support plans across three services",
        problem_statement=(
            "Care plan audits and family feedback showed support plans did not reflect people's current "
            "preferences, communication changes or the outcomes they want."
        ),
        source="internal_audit",
        source_reference="Provider care planning audit and family feedback survey",
        source_date=seed.day(250),
        root_causes=(
            "An old template built around tasks; reviews scheduled by date rather than when needs changed; "
            "keyworkers not involving families."
        ),
        priority_rationale="Plans that do not reflect the person lead to care that does not meet their needs.",
        quality_area="care_planning",
        risk_likelihood=3,
        risk_impact=3,
        review_cadence="monthly",
        target_date=seed.day(-40),
    )
    common = {
        "title": SUPPORT_TITLE,
        "baseline_issue": "About half of sampled support plans reflected the person's current preferences.",
        "measurable_improvement": "90% of sampled plans current and matching observed practice, 4 months running.",
        "what_can_go_wrong": "Paperwork improves but shift practice does not follow the revised plans.",
        "early_warning_signs": "Daily notes that do not match the plan; families saying staff do not know changes.",
        "escalation": "The registered manager keeps the action live at that service and adds observed shifts.",
        "monitoring": "Monthly sample of 10 plans against daily notes and an observed shift, by the deputy manager.",
        "reopen_triggers": "A complaint or review showing a plan out of date; a monthly sample below 90%.",
    }
    criteria = {"window_days": 124, "min_readings": 4}  # monthly readings: 4 months, none older than 31 days
    services_at = (
        (seed.oak, seed.manager, seed.staff, "practice observation log", 200),
        (seed.riverside, seed.homecare_manager, seed.homecare_manager, "spot visit record", 200),
        (seed.maple, seed.maple_manager, seed.maple_manager, "practice observation log", -30),
    )
    actions, measures = {}, {}
    for location, manager, observer, recorded, observed_by in services_at:
        action = seed.action(
            plan,
            location=location,
            owner=manager,
            started=244,
            due_date=seed.day(-40),
            steps=_support_steps(who=manager, observer=observer, recorded=recorded, due=(230, 210, observed_by)),
            criteria=criteria,
            **common,
        )
        actions[location.name] = action
        measures[location.name] = seed.measure(
            action,
            by=manager,
            name="Sampled support plans current and matching observed practice",
            unit="%",
            direction="higher",
            baseline_value=50.0,
            baseline_date=seed.day(250),
            target=90.0,
            frequency="monthly",
            data_source="Monthly sample of 10 support plans against daily notes and an observed shift",
        )

    # Oak House: closed 45 days ago; its 30-day check held.
    oak = actions[OAK]
    audit_step, rewrite, observe = seed.steps(oak)
    seed.do(audit_step, by=seed.manager, days_ago=232)
    seed.do(rewrite, by=seed.manager, days_ago=212, note="All 21 plans rewritten with people and families.")
    seed.do(observe, by=seed.staff, days_ago=201, note="8 shifts observed; 2 plans corrected.")
    closed_oak = seed.day(45)
    seed.readings(
        measures[OAK],
        by=seed.manager,
        dated=list(zip(seed.month_ends(closed_oak, 7), [(n, 10) for n in (5, 7, 9, 9, 10, 9, 10)], strict=True)),
    )
    seed.readings(
        measures[OAK],
        by=seed.manager,
        dated=[(end, (10, 10)) for end in seed.month_ends(seed.today, 2) if end > closed_oak],
    )
    _support_evidence(seed, oak, by=seed.manager, family="Daughter of Mrs E.W.", newest=50)
    seed.close(
        oak,
        requested_by=seed.manager,
        requested=47,
        approved=45,
        bau=(
            "Deputy manager samples 10 support plans every quarter against daily notes and one observed shift; "
            "results go to the quarterly governance meeting."
        ),
        learning=(
            "Rewriting plans with the person and family worked; the template alone did not. Observed shifts found "
            "the drift the paperwork audit missed."
        ),
        residual="New staff need the keyworker induction before they write a plan.",
    )
    held = seed.evidence(
        oak,
        by=seed.quality,
        category="processes",
        kind="record_sample",
        purpose="assurance",
        title="30-day check: 6 support plans against daily notes",
        summary="6 of 6 current; daily notes match the plans.",
        days_ago=15,
        recorded_where="Quality lead's post-closure check file",
    )
    services.record_post_closure_check(
        actor=seed.quality,
        check=seed.check(oak, 30),
        result=CheckResult.HOLDING,
        note="Plans current and followed on shift.",
        evidence=held,
        at=seed.at(15, 14),
    )

    # Riverside Homecare: closed 12 days ago; checks due.
    riverside = actions[RIVERSIDE]
    for step, days_ago in zip(seed.steps(riverside), (231, 214, 205), strict=True):
        seed.do(step, by=seed.homecare_manager, days_ago=days_ago)
    closed_riverside = seed.day(12)
    seed.readings(
        measures[RIVERSIDE],
        by=seed.homecare_manager,
        dated=list(zip(seed.month_ends(closed_riverside, 7), [(n, 10) for n in (4, 6, 9, 9, 9, 10, 10)], strict=True)),
    )
    _support_evidence(seed, riverside, by=seed.homecare_manager, family="Son of Mr J.P.", newest=18)
    seed.close(
        riverside,
        requested_by=seed.homecare_manager,
        requested=14,
        approved=12,
        bau="Field care supervisors check one support plan against practice on every spot visit; monthly summary.",
        learning="Involving families in the rewrite gave carers the detail they were missing at visits.",
    )

    # Maple Court: one house still shows drift between the plan and shift practice.
    maple = actions[MAPLE]
    audit_step, rewrite, _observe = seed.steps(maple)
    seed.do(audit_step, by=seed.maple_manager, days_ago=229)
    seed.do(rewrite, by=seed.maple_manager, days_ago=208, note="All plans rewritten at Nos 3, 5 and 7.")
    seed.readings(
        measures[MAPLE],
        by=seed.maple_manager,
        dated=list(zip(seed.month_ends(seed.today, 6), [(n, 10) for n in (5, 6, 7, 8, 8, 7)], strict=True)),
        notes={seed.month_ends(seed.today, 1)[0]: "Nos 3 and 5 at 100%; No. 7 at 3 of 6."},
    )
    seed.evidence(
        maple,
        by=seed.maple_manager,
        category="observation",
        kind="observation",
        purpose="assurance",
        title="Observed shifts at No. 7: plans not followed at tea time and bedtime",
        summary=(
            "Staff at No. 7 still follow the old routine for two people; the revised plans say otherwise. Nos 3 and "
            "5 match their plans."
        ),
        days_ago=9,
        recorded_where="Practice observation log",
    )
    seed.evidence(
        maple,
        by=seed.maple_manager,
        category="peoples-experience",
        kind="feedback",
        purpose="assurance",
        title="Tenant review meetings at Nos 3 and 5",
        summary="Tenants say staff know what matters to them and ask before changing routines.",
        days_ago=20,
        recorded_where="Tenant review records",
    )
    seed.review(
        plan,
        by=seed.quality,
        days_ago=18,
        rags={MAPLE: ("amber", "Tenant reviews positive at Nos 3 and 5; No. 7 still to be observed.")},
        summary="Riverside's closure request is with the nominated individual; Maple Court stays live.",
    )


def _support_evidence(seed, action, *, by, family, newest):
    seed.evidence(
        action,
        by=by,
        category="processes",
        kind="audit",
        purpose="assurance",
        title="Monthly support plan audit: 10 plans against daily notes",
        summary="9 of 10 current and matching the daily notes.",
        days_ago=newest + 30,
        recorded_where="Care planning audit file",
    )
    seed.evidence(
        action,
        by=by,
        category="observation",
        kind="observation",
        purpose="assurance",
        title="Observed shifts: staff use the revised plans",
        summary="2 shifts observed; staff described and followed each person's preferences and communication needs.",
        days_ago=newest + 10,
        recorded_where="Practice observation log",
    )
    seed.evidence(
        action,
        by=by,
        category="peoples-experience",
        kind="feedback",
        purpose="assurance",
        title="Service-user reviews and family comments",
        summary="People and families say the plans describe them as they are now, and staff act on them.",
        days_ago=newest,
        recorded_where="Review records",
        people_named=family,
    )


# 4. Moving and handling at Oak House: closed three weeks ago, its 30-day check due in nine days.


@_builds("QIP-2026-004")
def _moving_and_handling(seed, reference):
    manager, staff = seed.manager, seed.staff
    plan = seed.plan(
        reference,
        owner=manager,
        locations=[seed.oak],
        started=98,
        next_review=9,
        statements=["involving-people-manage-risk", "safe-environments"],
        regulations=["12"],
        title="Moving and handling risk assessments for changing mobility",
        problem_statement=(
            "The internal audit found missing or out-of-date moving and handling risk assessments for people whose "
            "mobility had changed."
        ),
        source="internal_audit",
        source_reference="Internal audit, care files",
        source_date=seed.day(100),
        root_causes="Reassessment not triggered when mobility changed; one trained moving and handling lead.",
        priority_rationale="Unsafe transfers risk falls and serious injury.",
        quality_area="moving_handling",
        risk_likelihood=3,
        risk_impact=4,
        review_cadence="monthly",
        target_date=seed.day(-9),
    )
    action = seed.action(
        plan,
        location=seed.oak,
        owner=manager,
        started=98,
        due_date=seed.day(28),
        title=(
            "Every person with changing mobility has a current moving and handling risk assessment that staff follow; "
            "target 100% within six weeks"
        ),
        high_risk=True,
        high_risk_reason="Safety: unsafe transfers can cause falls and serious injury.",
        baseline_issue="11 of 23 mobility-related care files had a missing or outdated risk assessment.",
        measurable_improvement="100% of mobility-related files with a current assessment followed in practice.",
        what_can_go_wrong="Assessments are completed but staff continue unsafe routines.",
        early_warning_signs=(
            "Vague daily notes, repeated manual handling prompts and staff uncertainty about equipment."
        ),
        escalation=(
            "The registered manager pauses closure, arranges refresher competency checks and increases senior "
            "observation."
        ),
        monitoring=(
            "Risk assessments, transfer observations, daily notes and incident records are audited weekly during "
            "recovery."
        ),
        reopen_triggers=(
            "Missing assessments, unsafe practice, poor staff knowledge or any incident linked to mobility support."
        ),
        steps=[
            (
                None,
                "deputy manager",
                "Deputy manager reviews all mobility-related care files, identifies missing or outdated risk "
                "assessments, and records the baseline findings on the improvement action tracker with each "
                "person's priority rating.",
                "improvement action tracker",
                90,
            ),
            (
                None,
                "moving and handling lead",
                "Moving and handling lead completes updated assessments for each affected person, confirms equipment "
                "and support requirements, and records the approved assessment in the person's care record.",
                "care record",
                72,
            ),
            (
                staff,
                "senior carer",
                "Senior carer observes one transfer for each affected person, checks whether staff follow the "
                "updated assessment, and records the observation in the practice competency log.",
                "practice competency log",
                60,
            ),
            (
                manager,
                "registered manager",
                "Registered manager samples completed assessments, checks alignment with daily notes and incident "
                "records, and records the closure recommendation in the monthly audit summary.",
                "monthly audit summary",
                30,
            ),
        ],
    )
    review, assess, observe, sample = seed.steps(action)
    seed.do(review, by=manager, days_ago=92, note="11 of 23 files need a new assessment.")
    seed.do(assess, by=manager, days_ago=75, note="11 assessments updated; 2 new slings ordered.")
    seed.do(observe, by=staff, days_ago=62, note="11 transfers observed; 1 needed coaching on sling size.")
    seed.do(sample, by=manager, days_ago=30, note="Closure recommended.")

    measure = seed.measure(
        action,
        by=manager,
        name="Mobility-related care files with a current risk assessment followed in practice",
        unit="%",
        direction="higher",
        baseline_value=52.0,
        baseline_date=seed.day(92),
        target=100.0,
        frequency="weekly",
        data_source="Weekly file check and transfer observation",
    )
    seed.readings(
        measure,
        by=manager,
        dated=seed.weekly(23, [(12, 23), (15, 23), (19, 23), (21, 23)] + [(23, 23)] * 8),
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="record_sample",
        purpose="activity",
        title="Baseline review of 23 mobility-related care files",
        days_ago=92,
        recorded_where="Improvement action tracker",
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="audit",
        purpose="assurance",
        title="Registered manager's sample of 11 reassessed files against daily notes and incidents",
        summary="11 of 11 assessments current; daily notes describe the assessed transfer and equipment.",
        days_ago=30,
        recorded_where="Monthly audit summary",
    )
    seed.evidence(
        action,
        by=staff,
        category="observation",
        kind="observation",
        purpose="assurance",
        title="Second round of transfer observations: 11 people",
        summary="11 of 11 transfers followed the updated assessment, with the right sling and two staff.",
        days_ago=27,
        recorded_where="Practice competency log",
    )
    seed.evidence(
        action,
        by=manager,
        category="feedback-staff-leaders",
        kind="feedback",
        purpose="assurance",
        title="Staff knowledge check: 12 carers on equipment and slings",
        summary="12 of 12 named the right equipment and sling for the people they support.",
        days_ago=26,
        recorded_where="Supervision records",
    )
    seed.evidence(
        action,
        by=manager,
        category="outcomes",
        kind="trend_data",
        purpose="assurance",
        title="Incident trend: no moving and handling incidents in 8 weeks",
        summary="4 incidents in the 8 weeks before the plan; none in the last 8.",
        days_ago=24,
        recorded_where="Incident log",
    )
    seed.close(
        action,
        requested_by=manager,
        requested=23,
        approved=21,
        bau=(
            "Moving and handling risk assessments reviewed at every change in mobility and monthly in the care file "
            "audit; transfer observations in each carer's quarterly competency check."
        ),
        learning=(
            "Observing a transfer for each person found the gaps the paperwork did not; a second trained moving and "
            "handling lead removed the bottleneck."
        ),
        residual="Agency staff on nights are not yet covered by the competency checks.",
    )
    seed.readings(measure, by=manager, dated=seed.weekly(2, [(23, 23), (23, 23), (23, 23)]))


# 5. Nutrition monitoring at Maple Court: closed, deteriorated at 30 days, reopened, new step in progress.


@_builds("QIP-2026-005")
def _nutrition(seed, reference):
    manager = seed.maple_manager
    plan = seed.plan(
        reference,
        owner=manager,
        locations=[seed.maple],
        started=133,
        next_review=2,
        statements=["supporting-people-healthier-lives", "monitoring-improving-outcomes"],
        regulations=["14"],
        title="Nutrition monitoring for people at risk of weight loss",
        problem_statement=(
            "Nutrition records were incomplete for people at risk of weight loss and escalation to the GP or "
            "dietitian was inconsistent."
        ),
        source="commissioner_visit",
        source_reference="Commissioner quality monitoring visit",
        source_date=seed.day(135),
        root_causes="No daily check of food and fluid charts; escalation thresholds not in the care plans.",
        priority_rationale="Unnoticed weight loss leads to malnutrition, falls and pressure damage.",
        quality_area="nutrition_hydration",
        risk_likelihood=3,
        risk_impact=4,
        review_cadence="weekly",
        target_date=seed.day(-42),
    )
    action = seed.action(
        plan,
        location=seed.maple,
        owner=manager,
        started=133,
        due_date=seed.day(-42),
        title=(
            "Senior support worker checks all food, fluid and weight records every shift; target 95% complete "
            "monitoring with timely escalation within eight weeks"
        ),
        baseline_issue="62% of food, fluid and weight records complete for people at risk; escalation inconsistent.",
        measurable_improvement="95% complete monitoring and timely escalation, held for 8 weeks.",
        what_can_go_wrong="Monitoring improves briefly but drops once attention reduces.",
        early_warning_signs=(
            "Missing entries, unexplained weight change and staff confusion about escalation thresholds."
        ),
        escalation="Extend monitoring, increase daily checks and refresh handover prompts.",
        monitoring=(
            "Nutrition records, care plans, escalation logs and feedback audited weekly during recovery; the "
            "provider lead reviews closure evidence monthly."
        ),
        reopen_triggers=(
            "Incomplete monitoring, unexplained weight loss, delayed escalation or feedback showing concern about "
            "food and drink support."
        ),
        steps=[
            (
                manager,
                "care lead",
                "Care lead reviews nutrition records for all 9 people at risk, identifies missing food, fluid or "
                "weight entries, and records the baseline on the nutrition improvement tracker.",
                "nutrition improvement tracker",
                125,
            ),
            (
                manager,
                "key worker",
                "Each key worker updates their person's nutrition care plan, confirms monitoring requirements and "
                "preferences, and records the revised guidance in the care plan and handover notes.",
                "care plan and handover notes",
                110,
            ),
            (
                manager,
                "senior support worker",
                "Senior support worker checks daily monitoring records every shift, confirms entries are complete, "
                "and records gaps or escalation decisions in the daily management log.",
                "daily management log",
                104,
            ),
            (
                manager,
                "registered manager",
                "Registered manager reviews weekly nutrition trends, checks each concern was escalated to the GP or "
                "dietitian, and records findings in the clinical governance audit.",
                "clinical governance audit",
                98,
            ),
        ],
    )
    for step, days_ago in zip(seed.steps(action), (126, 112, 105, 99), strict=True):
        seed.do(step, by=manager, days_ago=days_ago)

    measure = seed.measure(
        action,
        by=manager,
        name="Food, fluid and weight records complete with timely escalation",
        unit="%",
        direction="higher",
        baseline_value=62.0,
        baseline_date=seed.day(126),
        target=95.0,
        frequency="weekly",
        data_source="Weekly audit of nutrition records for the 9 people at risk",
    )
    before_closure = [(39, 63), (43, 63), (48, 63), (53, 63), (60, 63), (61, 63), (62, 63)]
    before_closure += [(61, 63), (63, 63), (62, 63), (61, 63), (62, 63)]
    seed.readings(measure, by=manager, dated=seed.weekly(47, before_closure))
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="record_sample",
        purpose="activity",
        title="Nutrition care plans rewritten with escalation thresholds",
        days_ago=110,
        recorded_where="Care plans",
    )
    seed.evidence(
        action,
        by=manager,
        category="processes",
        kind="audit",
        purpose="assurance",
        title="Clinical governance audit: nutrition records and escalations, 4 weeks",
        summary="97% complete; 3 of 3 weight losses escalated to the GP within 48 hours.",
        days_ago=60,
        recorded_where="Clinical governance audit",
    )
    seed.evidence(
        action,
        by=manager,
        category="observation",
        kind="observation",
        purpose="assurance",
        title="Mealtime observations at Nos 3, 5 and 7",
        summary="Staff recorded intake at the table and offered the preferred alternatives in the care plans.",
        days_ago=55,
        recorded_where="Practice observation log",
    )
    seed.evidence(
        action,
        by=manager,
        category="outcomes",
        kind="trend_data",
        purpose="assurance",
        title="Weights stable or improving for 8 of 9 people at risk",
        days_ago=50,
        recorded_where="Weight charts",
    )
    seed.close(
        action,
        requested_by=manager,
        requested=46,
        approved=45,
        bau="Nutrition records in the monthly care file audit; weights reviewed monthly by the registered manager.",
        learning="The daily check at handover made the difference; staff knew the thresholds once they were written.",
        residual="Relies on the senior support worker on each shift; weekend cover is thinner.",
    )

    # After closure: records slip, a concern, and the 30-day check finds deterioration.
    seed.readings(measure, by=manager, dated=seed.weekly(19, [(59, 63), (57, 63), (55, 63), (52, 63)]))
    concern = seed.concern(
        action,
        by=manager,
        kind="incident",
        days_ago=17,
        summary=(
            "A tenant at No. 7 lost 3 kg over 4 weeks; the weight charts showed it but it was not escalated to the GP "
            "for 10 days."
        ),
        people_named="Ms L.K.",
    )
    services.record_post_closure_check(
        actor=seed.quality,
        check=seed.check(action, 30),
        result=CheckResult.DETERIORATED,
        note=(
            "Records 83% complete in the last week and falling for 4 weeks; one unexplained weight loss escalated "
            f"late (concern of {_day(concern.occurred_on)})."
        ),
        at=seed.at(14, 14),
    )
    Plan.objects.filter(pk=plan.pk).update(next_review_date=seed.day(-2))
    seed.readings(measure, by=manager, dated=seed.weekly(5, [(54, 63), (57, 63)]))
    services.add_step(
        actor=manager,
        action=action,
        what=(
            "Senior support worker checks every at-risk tenant's weight chart at each handover for 6 weeks and records "
            "any loss over 2 kg and who was told in the daily management log."
        ),
        who=manager,
        who_role="senior support worker",
        due_date=seed.day(-28),
        recorded_where="daily management log",
    )
