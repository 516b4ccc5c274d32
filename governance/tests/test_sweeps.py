"""The reminder sweeps and escalation (DESIGN §6): each reminder once, one escalation level per grace period.

Days are fixed UK dates (time-machine, not ticking). REMINDER_DAYS_AHEAD is 3 and ESCALATION_GRACE_DAYS 7, so
an item due on 25 Nov is reminded from 22 Nov, overdue from 26 Nov, and escalates one level on 3 Dec, 10 Dec and
17 Dec (more than 7, 14 and 21 days late). Services elsewhere make notices of their own (a closure request, a
decision), so assertions look only at the kinds a sweep makes.
"""

import io
from datetime import date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionStatus
from governance import escalation, notify, services, sweeps
from governance.models import Kind, Notification, PostClosureCheck
from qip.models import Membership, Role
from qip.tests import domain_factories as make
from qip.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SWEPT_KINDS = [
    Kind.REVIEW_DUE,
    Kind.REVIEW_OVERDUE,
    Kind.STEP_DUE,
    Kind.STEP_OVERDUE,
    Kind.ACTION_DUE,
    Kind.ACTION_OVERDUE,
    Kind.CHECK_DUE,
    Kind.CHECK_OVERDUE,
    Kind.STABILITY_REACHED,
    Kind.PLAN_STALLED,
    Kind.ESCALATION,
]
DUE = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.REMINDER_DAYS_AHEAD = 3
    settings.ESCALATION_GRACE_DAYS = 7


def at(day, hour=10):
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=LONDON), tick=False)


def sweep(name, day):
    with at(day):
        return sweeps.run(name)


def swept(**filters):
    return Notification.objects.filter(kind__in=SWEPT_KINDS, **filters)


def made(**filters):
    """{(recipient, kind, level)} of the swept notifications."""
    return {(n.recipient, n.kind, n.level) for n in swept(**filters)}


def assert_members_only():
    """Nobody was told about an organisation they are not an active member of."""
    for notification in swept():
        assert Membership.objects.filter(
            user=notification.recipient, organisation=notification.organisation, is_active=True
        ).exists()


@pytest.fixture
def cast(admin, ni, quality, manager, other_manager, staff, viewer, outsider):
    """Everyone, so a test shows who was not told as well as who was."""
    return locals()


def escalation_ladder(name, levels):
    """Run `name` the day before each level is reached and on the day; returns who each level went to.

    The item is due on DUE and its overdue reminder already made.
    """
    seen = []
    for level in range(1, 4):
        before = DUE + timedelta(days=7 * level)
        assert sweep(name, before) == 0, f"level {level} came early"
        reached = before + timedelta(days=1)
        assert sweep(name, reached) == len(levels[level - 1]), f"level {level}"
        assert sweep(name, reached) == 0
        seen.append({n.recipient for n in swept(kind=Kind.ESCALATION, level=level)})
    return seen


# Reviews


@pytest.fixture
def plan(org, home, manager):
    with at(date(2026, 10, 1)):
        plan = make.PlanFactory(
            organisation=org, owner=manager, created_by=manager, locations=[home], reference="QIP-2026-001"
        )
    plan.next_review_date = DUE
    plan.save()
    return plan


def test_a_review_is_reminded_once_from_three_days_before_and_escalated_one_level_per_grace_period(
    plan, cast, manager, quality, ni
):
    assert sweep("reviews", DUE - timedelta(days=4)) == 0
    assert sweep("reviews", DUE - timedelta(days=3)) == 1
    reminder = swept().get()
    assert (reminder.recipient, reminder.kind, reminder.level) == (manager, Kind.REVIEW_DUE, 0)
    assert reminder.title == "Review of QIP-2026-001 is due on 25 Nov 2026"
    assert reminder.url == reverse("plan_detail", args=[plan.pk])
    assert reminder.body
    assert sweep("reviews", DUE - timedelta(days=3)) == 0
    assert sweep("reviews", DUE) == 0

    assert sweep("reviews", DUE + timedelta(days=1)) == 1
    overdue = swept(kind=Kind.REVIEW_OVERDUE).get()
    assert overdue.recipient == manager
    assert overdue.title == "Review of QIP-2026-001 is overdue: it was due on 25 Nov 2026"
    assert sweep("reviews", DUE + timedelta(days=2)) == 0

    # The owner is a registered manager: the chain starts above them, and there is nobody above the NI.
    assert escalation_ladder("reviews", [[quality], [ni], []]) == [{quality}, {ni}, set()]
    first = swept(kind=Kind.ESCALATION, level=1).get()
    assert first.title == "Escalated to you: the review of QIP-2026-001 is 8 days overdue"
    assert first.key == f"review_overdue:plan:{plan.pk}:2026-11-25:escalation:1"
    assert first.url == reverse("plan_detail", args=[plan.pk])
    assert swept().count() == 4
    assert_members_only()


def test_a_new_review_date_gives_a_new_reminder_and_a_closed_plan_none(plan, manager):
    assert sweep("reviews", DUE - timedelta(days=1)) == 1
    plan.next_review_date = DUE + timedelta(days=7)
    plan.save()
    assert sweep("reviews", DUE + timedelta(days=4)) == 1
    assert swept(kind=Kind.REVIEW_DUE).count() == 2

    other = make.PlanFactory(organisation=plan.organisation, owner=manager, locations=list(plan.locations.all()))
    other.next_review_date, other.status, other.closed_at = DUE, "closed", datetime(2026, 11, 1, tzinfo=LONDON)
    other.save()
    assert sweep("reviews", DUE + timedelta(days=30)) == 1  # the open plan's overdue reminder only
    assert not swept(key__contains=f"plan:{other.pk}:").exists()


def test_an_owner_who_has_left_is_not_reminded_but_the_review_still_escalates(plan, manager, quality):
    Membership.objects.filter(user=manager).update(is_active=False)
    assert sweep("reviews", DUE) == 0
    assert sweep("reviews", DUE + timedelta(days=8)) == 1
    assert made() == {(quality, Kind.ESCALATION, 1)}


# Steps and actions


@pytest.fixture
def action(plan, home, manager):
    return make.ActionFactory(plan=plan, location=home, owner=manager, due_date=DUE + timedelta(days=60))


def test_a_step_is_reminded_to_its_person_and_escalates_manager_then_quality_lead_then_ni(
    action, cast, staff, manager, other_manager, quality, ni
):
    step = make.StepFactory(action=action, who=staff, due_date=DUE, what="Observe five medicine rounds")
    assert sweep("steps_and_actions", DUE - timedelta(days=4)) == 0
    assert sweep("steps_and_actions", DUE - timedelta(days=3)) == 1
    reminder = swept().get()
    assert (reminder.recipient, reminder.kind) == (staff, Kind.STEP_DUE)
    assert reminder.title == "Step due on 25 Nov 2026: Observe five medicine rounds"
    assert reminder.url == reverse("action_detail", args=[action.pk])
    assert reminder.key == f"step_due:step:{step.pk}:2026-11-25"
    assert sweep("steps_and_actions", DUE - timedelta(days=3)) == 0

    assert sweep("steps_and_actions", DUE + timedelta(days=1)) == 1
    assert swept(kind=Kind.STEP_OVERDUE).get().recipient == staff
    # other_manager runs the branch, not Oak House: never told.
    assert escalation_ladder("steps_and_actions", [[manager], [quality], [ni]]) == [{manager}, {quality}, {ni}]
    assert sweep("steps_and_actions", DUE + timedelta(days=40)) == 0
    assert not swept(recipient__in=[other_manager, cast["viewer"], cast["outsider"], cast["admin"]]).exists()
    assert_members_only()


def test_a_step_done_is_no_longer_reminded_and_a_step_with_nobody_named_is_the_action_owners(action, manager):
    named = make.StepFactory(action=action, who=None, due_date=DUE)
    done = make.StepFactory(action=action, who=None, due_date=DUE)
    done.done_at, done.done_by = datetime(2026, 11, 20, tzinfo=LONDON), manager
    done.save()
    assert sweep("steps_and_actions", DUE) == 1
    assert swept().get().key == f"step_due:step:{named.pk}:2026-11-25"
    assert swept().get().recipient == manager


def test_a_live_action_is_reminded_to_its_owner_and_escalates_above_them(
    plan, home, cast, manager, other_manager, quality, ni
):
    action = make.ActionFactory(plan=plan, location=home, owner=manager, due_date=DUE, title="Audit MAR charts")
    assert sweep("steps_and_actions", DUE - timedelta(days=4)) == 0
    assert sweep("steps_and_actions", DUE - timedelta(days=3)) == 1
    reminder = swept().get()
    assert (reminder.recipient, reminder.kind, reminder.title) == (
        manager,
        Kind.ACTION_DUE,
        "Action due on 25 Nov 2026: Audit MAR charts",
    )
    assert reminder.url == reverse("action_detail", args=[action.pk])
    assert sweep("steps_and_actions", DUE + timedelta(days=1)) == 1
    assert swept(kind=Kind.ACTION_OVERDUE).get().recipient == manager
    assert escalation_ladder("steps_and_actions", [[quality], [ni], []]) == [{quality}, {ni}, set()]
    assert not swept(recipient__in=[other_manager, cast["staff"], cast["viewer"], cast["outsider"]]).exists()


def test_an_action_no_longer_live_is_not_reminded_and_a_new_due_date_is_reminded_again(plan, home, manager):
    action = make.ActionFactory(plan=plan, location=home, owner=manager, due_date=DUE)
    assert sweep("steps_and_actions", DUE) == 1
    action.due_date = DUE + timedelta(days=14)
    action.save()
    assert sweep("steps_and_actions", DUE + timedelta(days=12)) == 1
    action.status = ActionStatus.COMPLETED
    action.save()
    assert sweep("steps_and_actions", DUE + timedelta(days=40)) == 0


def test_an_empty_rung_is_skipped_and_a_quality_lead_of_another_location_is_not_a_rung(
    action, org, branch, staff, manager, quality, ni
):
    make.StepFactory(action=action, who=staff, due_date=DUE)
    Membership.objects.filter(user=quality).update(is_active=False)
    branch_lead = make.member(org, Role.QUALITY_LEAD, locations=[branch])
    assert sweep("steps_and_actions", DUE + timedelta(days=1)) == 1
    assert escalation_ladder("steps_and_actions", [[manager], [ni], []]) == [{manager}, {ni}, set()]
    assert not swept(recipient__in=[quality, branch_lead]).exists()


def test_another_organisations_overdue_work_goes_only_to_its_own_people(foreign_org, foreign_location, outsider, cast):
    plan = make.PlanFactory(organisation=foreign_org, owner=outsider, locations=[foreign_location])
    foreign_lead = make.member(foreign_org, Role.QUALITY_LEAD)
    make.ActionFactory(plan=plan, owner=outsider, due_date=DUE)
    assert sweep("steps_and_actions", DUE + timedelta(days=8)) == 2
    assert made() == {(outsider, Kind.ACTION_OVERDUE, 0), (foreign_lead, Kind.ESCALATION, 1)}
    assert_members_only()


# Post-closure checks


@pytest.fixture
def closed(plan, home, manager, staff, quality):
    """An action closed on 26 Sep 2026, so its 30-day check is due on 26 Oct and its 90-day one on 25 Dec."""
    with at(date(2026, 9, 26)):
        action = make.ActionFactory(plan=plan, location=home, owner=manager, steps=[{"who": staff}])
        make.close_action(action, signer=quality)
    return action


def test_a_check_is_the_quality_leads_and_escalates_to_the_nominated_individuals_only(
    closed, cast, quality, ni, manager
):
    check = PostClosureCheck.objects.get(action=closed, offset_days=30)
    assert check.due_on == date(2026, 10, 26)
    due = check.due_on
    assert sweep("checks", due - timedelta(days=4)) == 0
    assert sweep("checks", due - timedelta(days=3)) == 1
    reminder = swept().get()
    assert (reminder.recipient, reminder.kind) == (quality, Kind.CHECK_DUE)
    assert reminder.title.startswith("Post-closure check due on 26 Oct 2026: ")
    assert reminder.url == reverse("check_record", args=[check.pk])
    assert sweep("checks", due) == 0
    assert sweep("checks", due + timedelta(days=1)) == 1
    assert swept(kind=Kind.CHECK_OVERDUE).get().recipient == quality
    assert sweep("checks", due + timedelta(days=7)) == 0
    assert sweep("checks", due + timedelta(days=8)) == 1
    assert made(kind=Kind.ESCALATION) == {(ni, Kind.ESCALATION, 1)}
    assert sweep("checks", due + timedelta(days=8)) == 0
    # Nobody above a nominated individual: levels 2 and 3 make nothing.
    assert sweep("checks", due + timedelta(days=15)) == 0
    assert sweep("checks", due + timedelta(days=22)) == 0
    assert not swept(recipient__in=[manager, cast["other_manager"], cast["staff"], cast["outsider"]]).exists()
    assert_members_only()


def test_a_check_goes_to_the_named_reviewer_or_to_the_nominated_individuals_when_there_is_no_quality_lead(
    closed, org, quality, ni
):
    second_lead = make.member(org, Role.QUALITY_LEAD)
    closed.criteria.named_reviewer = second_lead
    closed.criteria.save()
    due = date(2026, 10, 26)
    assert sweep("checks", due) == 1
    assert made() == {(second_lead, Kind.CHECK_DUE, 0)}
    assert sweep("checks", due + timedelta(days=8)) == 2  # overdue to the reviewer, escalated to the NI
    assert made(kind=Kind.ESCALATION) == {(ni, Kind.ESCALATION, 1)}

    Notification.objects.all().delete()
    closed.criteria.named_reviewer = None
    closed.criteria.save()
    Membership.objects.filter(role=Role.QUALITY_LEAD).update(is_active=False)
    assert sweep("checks", due + timedelta(days=8)) == 1  # the NIs are responsible; nobody is above them
    assert made() == {(ni, Kind.CHECK_OVERDUE, 0)}


# Stability reached


def test_stability_is_reported_to_the_owner_once_per_assurance_period(story, cast, manager, ni):
    with at(date(2026, 11, 2)):
        story.today = date(2026, 11, 2)
        story.do_steps()
        services.start_assurance(actor=manager, action=story.refresh())
        story.add_readings([96, 97])  # two weeks at target: not yet enough
    assert sweep("stability", date(2026, 11, 2)) == 0
    with at(date(2026, 11, 3)):
        story.add_evidence("processes")
        story.add_evidence("observation", kind="observation")
        story.add_readings([96, 97, 95, 98, 96, 97], ending=date(2026, 10, 18))
    assert sweep("stability", date(2026, 11, 3)) == 1
    reminder = swept().get()
    assert (reminder.recipient, reminder.kind) == (manager, Kind.STABILITY_REACHED)
    assert reminder.title.startswith("Ready to request closure: ")
    assert reminder.url == reverse("action_detail", args=[story.action.pk])
    assert sweep("stability", date(2026, 11, 3)) == 0
    assert sweep("stability", date(2026, 11, 4)) == 0

    with at(date(2026, 11, 5)):
        request = story.request()
        services.challenge(actor=ni, closure_request=request, reason="Show one more month of audits first.")
    assert story.refresh().status == ActionStatus.ASSURANCE
    assert sweep("stability", date(2026, 11, 5)) == 1  # a new assurance period
    assert sweep("stability", date(2026, 11, 6)) == 0
    assert swept().count() == 2
    assert set(swept().values_list("recipient", flat=True)) == {manager.pk}


# Stalled plans


@pytest.fixture
def idle_plan(org, home, manager):
    """Monthly reviews (two cycles: 60 days), target date 1 Sep 2026, evidence added on 1 Aug."""
    with at(date(2026, 6, 1)):
        plan = make.PlanFactory(organisation=org, owner=manager, locations=[home], target_date=date(2026, 9, 1))
        action = make.ActionFactory(plan=plan, owner=manager)
    with at(date(2026, 8, 1)):
        make.EvidenceFactory(action=action)
    return plan


def test_a_stalled_plan_is_reported_once_per_stall_to_quality_leads_and_nis_who_can_see_it(
    idle_plan, org, branch, cast, quality, ni
):
    branch_lead = make.member(org, Role.QUALITY_LEAD, locations=[branch])
    assert sweep("stalled", date(2026, 9, 15)) == 0  # past its target date, but evidence came within two cycles
    assert sweep("stalled", date(2026, 10, 1)) == 2
    assert made() == {(quality, Kind.PLAN_STALLED, 0), (ni, Kind.PLAN_STALLED, 0)}
    notice = swept(recipient=quality).get()
    assert notice.title == f"{idle_plan.reference} has stalled"
    assert "1 Aug 2026" in notice.body
    assert notice.url == reverse("plan_detail", args=[idle_plan.pk])
    assert sweep("stalled", date(2026, 10, 1)) == 0
    assert sweep("stalled", date(2026, 11, 20)) == 0  # still the same stall

    with at(date(2026, 11, 21)):
        make.EvidenceFactory(action=idle_plan.actions.get())
    assert sweep("stalled", date(2026, 12, 1)) == 0  # active again
    assert sweep("stalled", date(2027, 1, 21)) == 2  # stalled again: a new episode
    assert sweep("stalled", date(2027, 1, 28)) == 0
    assert not swept(recipient__in=[branch_lead, cast["manager"], cast["other_manager"], cast["viewer"]]).exists()
    assert_members_only()


def test_a_plan_with_no_measurable_movement_is_reported_once_however_many_flat_readings_follow(org, home, manager):
    with at(date(2026, 6, 1)):
        plan = make.PlanFactory(organisation=org, owner=manager, locations=[home], target_date=date(2027, 6, 1))
        action = make.ActionFactory(plan=plan, owner=manager, measure={"baseline_value": 70.0})
    lead = make.member(org, Role.QUALITY_LEAD)
    for day in (date(2026, 9, 6), date(2026, 9, 13)):
        with at(day):
            make.ReadingFactory(measure=action.measure, period_end=day, value=65)
    assert sweep("stalled", date(2026, 9, 14)) == 1
    with at(date(2026, 9, 20)):
        make.ReadingFactory(measure=action.measure, period_end=date(2026, 9, 20), value=68)
    assert sweep("stalled", date(2026, 9, 21)) == 0
    with at(date(2026, 9, 27)):
        make.ReadingFactory(measure=action.measure, period_end=date(2026, 9, 27), value=80)  # movement
    assert sweep("stalled", date(2026, 9, 28)) == 0
    # Two cycles on, the movement has left the window and the readings are flat again: a new episode.
    with at(date(2026, 11, 22)):
        make.ReadingFactory(measure=action.measure, period_end=date(2026, 11, 22), value=66)
    assert sweep("stalled", date(2026, 11, 26)) == 0
    assert sweep("stalled", date(2026, 11, 27)) == 1
    assert sweep("stalled", date(2026, 12, 4)) == 0
    assert swept(recipient=lead).count() == 2
    assert swept(recipient=lead).latest("pk").key == f"plan_stalled:plan:{plan.pk}:flat:2026-09-27"


# Escalation, the rule on its own


@pytest.mark.parametrize(
    ("days", "level"), [(-3, 0), (0, 0), (1, 0), (7, 0), (8, 1), (14, 1), (15, 2), (21, 2), (22, 3), (100, 14)]
)
def test_the_level_reached_is_one_per_whole_grace_period_passed(days, level):
    assert escalation.levels_reached(days_overdue=days, grace_days=7) == level


# The claim: reruns, interleaved sweeps and a racing insert


def test_two_sweeps_interleaved_with_a_racing_insert_still_make_one_row_each(action, staff, manager, quality):
    make.StepFactory(action=action, who=staff, due_date=DUE)
    real = notify.already_sent

    def raced(pairs):
        # Another worker inserts the step-overdue reminder right after this one looked.
        seen = real(pairs)
        for recipient_id, key in pairs:
            if key.startswith("step_overdue:") and ":escalation:" not in key:
                Notification.objects.get_or_create(
                    recipient_id=recipient_id,
                    key=key,
                    defaults={"organisation_id": action.plan.organisation_id, "kind": Kind.STEP_OVERDUE, "title": "x"},
                )
        return seen

    day = DUE + timedelta(days=8)
    with at(day), mock.patch.object(notify, "already_sent", raced):
        first = sweeps.steps_and_actions(today=day, now=datetime.combine(day, time(10), tzinfo=LONDON))
    assert first == 1  # the escalation to the manager; the overdue reminder was the other worker's
    with at(day):
        second = sweeps.steps_and_actions(today=day, now=datetime.combine(day, time(10), tzinfo=LONDON))
        third = sweeps.steps_and_actions(today=day, now=datetime.combine(day, time(10), tzinfo=LONDON))
    assert (second, third) == (0, 0)
    assert made() == {(staff, Kind.STEP_OVERDUE, 0), (manager, Kind.ESCALATION, 1)}
    assert Notification.objects.filter(kind=Kind.STEP_OVERDUE).count() == 1


# Queries: a fixed number per sweep, plus the insert (in a savepoint) of each new notification


def _build(size, org, home, manager, staff):
    """`size` each of: overdue reviews, overdue steps, overdue actions, overdue checks, actions ready, stalled plans."""
    quality = make.member(org, Role.QUALITY_LEAD)
    make.member(org, Role.NOMINATED_INDIVIDUAL)
    with at(date(2026, 6, 1)):
        for _ in range(size):
            plan = make.PlanFactory(organisation=org, owner=manager, locations=[home], target_date=DUE)
            plan.next_review_date = DUE
            plan.save()
            action = make.ActionFactory(plan=plan, owner=manager, due_date=DUE)
            make.StepFactory(action=action, who=staff, due_date=DUE)
    with at(date(2026, 9, 26)):
        for _ in range(size):
            plan = make.PlanFactory(organisation=org, owner=manager, locations=[home], target_date=DUE)
            make.close_action(make.ActionFactory(plan=plan, owner=manager), signer=quality)
    with at(date(2026, 12, 1)):
        for _ in range(size):
            plan = make.PlanFactory(organisation=org, owner=manager, locations=[home])
            action = make.ActionFactory(plan=plan, owner=manager, steps=1, measure=True)
            make.ReadingFactory.create_batch(8, measure=action.measure)
            for step in action.steps.all():
                services.complete_step(actor=manager, step=step)
            make.EvidenceFactory(action=action, category="processes")
            make.EvidenceFactory(action=action, category="observation")
            services.start_assurance(actor=manager, action=action)


def _count(name, day):
    with at(day), CaptureQueriesContext(connection) as queries:
        made_now = sweeps.run(name)
    return made_now, len(queries)


def test_each_sweep_costs_the_same_queries_at_any_size(org, home, manager, staff, django_assert_max_num_queries):
    day = DUE + timedelta(days=8)  # everything overdue by one grace period and a day
    first = {}
    for size, more in ((2, 2), (5, 3)):
        _build(more, org, home, manager, staff)  # two of each, then three more: five of each
        Notification.objects.all().delete()
        for name in sweeps.REMINDER_SWEEPS:
            first[name, size] = _count(name, day)
            # A rerun makes nothing, at a few queries whatever the size.
            with at(day), django_assert_max_num_queries(5):
                assert sweeps.run(name) == 0
    for name in sweeps.REMINDER_SWEEPS:
        (made_small, queries_small), (made_large, queries_large) = first[name, 2], first[name, 5]
        assert 0 < made_small < made_large, name
        # New notifications go in as one batch (a SAVEPOINT, an INSERT and a RELEASE) of up to 500.
        if name == "stability":
            # The closure gate reads each candidate's pending request, readings and evidence: three a candidate,
            # and only for actions in assurance whose owner has not been told yet this period.
            assert queries_small - 3 * made_small == queries_large - 3 * made_large <= 9, first
        else:
            assert queries_small == queries_large <= 8, first


# The management command


def test_run_sweeps_runs_every_sweep_once_and_reports_each(plan, manager):
    out = io.StringIO()
    with at(DUE):
        call_command("run_sweeps", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [*sweeps.SWEEPS, "Total"]
    assert lines[list(sweeps.SWEEPS).index("reviews")].startswith("reviews: made 1 in ")
    assert lines[-1].startswith("Total: made ")
    assert lines[-1].endswith("s")
    with at(DUE):
        call_command("run_sweeps", stdout=io.StringIO())
    assert swept().count() == 1


def test_run_sweeps_only_runs_the_sweeps_named(plan, manager):
    out = io.StringIO()
    with at(DUE):
        call_command("run_sweeps", "--only", "checks", "reviews", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["checks", "reviews", "Total"]
    assert lines[-1].startswith("Total: made 1 in ")


def test_run_sweeps_refuses_an_unknown_sweep_and_lists_the_names():
    with pytest.raises(CommandError) as refused:
        call_command("run_sweeps", "--only", "reviews", "reveiws", stdout=io.StringIO())
    message = str(refused.value)
    assert "reveiws" in message
    assert all(name in message for name in sweeps.SWEEPS)


def test_a_new_location_does_not_widen_who_is_told(action, org, staff, manager):
    # A registered manager of a location added later sees nothing of Oak House's work.
    elsewhere = LocationFactory(organisation=org, name="Elm Court")
    newcomer = make.member(org, Role.REGISTERED_MANAGER, locations=[elsewhere])
    make.StepFactory(action=action, who=staff, due_date=DUE)
    assert sweep("steps_and_actions", DUE + timedelta(days=8)) == 2
    assert made() == {(staff, Kind.STEP_OVERDUE, 0), (manager, Kind.ESCALATION, 1)}
    assert not swept(recipient=newcomer).exists()
