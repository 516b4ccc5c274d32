"""The five demo plans seed_demo adds: each shows the closure gate at a different stage."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from actions.models import Action, ActionStatus
from governance.demo import REFERENCES
from governance.gate import (
    EVIDENCE_SOURCES,
    MEASURE_TARGET,
    NO_RECENT_CONCERNS,
    STABILITY,
    STEPS_COMPLETE,
    evaluate_action_closure,
)
from governance.models import CheckResult, Decision, PostClosureCheck, Reopening, ReopenTrigger, SignOff
from qip import audit
from qip.models import Plan, ReviewCadence

LONDON = ZoneInfo("Europe/London")


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def plan(reference):
    return Plan.objects.get(organisation__name="Example Care Group", reference=reference)


def only_action(reference):
    return Action.objects.get(plan=plan(reference))


def gate(action):
    result = evaluate_action_closure(action)
    return {criterion.code: criterion for criterion in result.criteria}


@pytest.fixture
def demo(db):
    return seed()


def test_seed_creates_the_five_demo_plans_and_lists_each_with_its_stage(demo):
    assert list(
        Plan.objects.filter(organisation__name="Example Care Group").values_list("reference", flat=True)
    ) == list(REFERENCES)
    listed = demo.split("Demo plans at Example Care Group:")[1].strip().splitlines()
    assert [line.split()[0] for line in listed] == list(REFERENCES)
    assert "the gate refuses closure" in listed[0]
    assert "reopened" in listed[4]


def test_medicines_work_is_complete_but_activity_evidence_and_three_good_weeks_do_not_close_it(demo):
    action = only_action("QIP-2026-001")
    criteria = gate(action)

    assert action.status == ActionStatus.ASSURANCE
    assert action.high_risk
    assert criteria[STEPS_COMPLETE].passed
    assert criteria[MEASURE_TARGET].passed
    assert not criteria[EVIDENCE_SOURCES].passed
    assert criteria[EVIDENCE_SOURCES].figures["categories"] == ["Processes"]
    assert len(criteria[EVIDENCE_SOURCES].figures["not_counted"]) == 2  # the training record and the policy
    assert "1 of 2 categories" in criteria[EVIDENCE_SOURCES].sentence
    assert not criteria[STABILITY].passed
    assert criteria[STABILITY].figures["met_target"] == 3


def test_safeguarding_plan_is_stepped_down_and_a_concern_three_weeks_ago_restarted_the_window(demo):
    action = only_action("QIP-2026-002")
    criteria = gate(action)
    today = timezone.localdate()

    assert action.plan.review_cadence == ReviewCadence.FORTNIGHTLY
    assert action.plan.next_review_date > today
    assert action.status == ActionStatus.ASSURANCE
    assert criteria[STEPS_COMPLETE].passed
    assert criteria[EVIDENCE_SOURCES].passed
    assert not criteria[NO_RECENT_CONCERNS].passed
    assert not criteria[STABILITY].passed
    assert action.concerns.get().occurred_on == today - timedelta(days=21)
    readings = list(action.measure.readings.order_by("period_end").values_list("value", flat=True))
    assert min(readings[-6:]) > action.measure.baseline_value  # six weeks better than the baseline
    assert readings[-1] >= action.measure.target


def test_person_centred_plan_closes_at_two_locations_and_stays_live_at_maple_court(demo):
    actions = {action.location.name: action for action in plan("QIP-2026-003").actions.select_related("location")}

    assert {name: action.status for name, action in actions.items()} == {
        "Oak House": ActionStatus.CLOSED,
        "Riverside Homecare": ActionStatus.CLOSED,
        "Maple Court Supported Living": ActionStatus.IN_PROGRESS,
    }
    for name in ("Oak House", "Riverside Homecare"):
        signoff = actions[name].closing_signoff
        assert signoff.decision == Decision.APPROVED
        assert signoff.signer.email == "ni@example.com"
        assert actions[name].post_closure_checks.count() == 2
    assert actions["Oak House"].post_closure_checks.get(offset_days=30).result == CheckResult.HOLDING
    assert not gate(actions["Maple Court Supported Living"])[STEPS_COMPLETE].passed
    assert plan("QIP-2026-003").status == "open"


def test_moving_and_handling_closed_three_weeks_ago_awaits_its_thirty_day_check(demo):
    action = only_action("QIP-2026-004")
    today = timezone.localdate()

    assert action.status == ActionStatus.CLOSED
    assert timezone.localdate(action.closed_at) == today - timedelta(days=21)
    check = action.post_closure_checks.get(offset_days=30)
    assert check.result == CheckResult.DUE
    assert check.due_on == today + timedelta(days=9)
    assert action.closing_signoff.signer.email == "ni@example.com"
    assert set(action.closing_signoff.snapshot["evidence"][0]) >= {"category", "purpose", "collected_on"}


def test_nutrition_was_reopened_by_its_failed_check_and_keeps_the_original_closure(demo):
    action = only_action("QIP-2026-005")
    reopening = Reopening.objects.get(action=action)

    assert action.status == ActionStatus.IN_PROGRESS
    assert reopening.trigger == ReopenTrigger.FAILED_CHECK
    assert reopening.previous_signoff.decision == Decision.APPROVED
    assert reopening.failed_check.result == CheckResult.DETERIORATED
    checks = dict(PostClosureCheck.objects.filter(action=action).values_list("offset_days", "result"))
    assert checks == {30: CheckResult.DETERIORATED, 90: CheckResult.SUPERSEDED}
    assert action.closing_signoff is None
    assert action.concerns.exists()
    assert not gate(action)[STEPS_COMPLETE].passed  # the step added after reopening


def test_every_closure_was_signed_by_the_nominated_individual_who_did_none_of_the_work(demo):
    signoffs = SignOff.objects.select_related("closure_request__action")
    assert signoffs.count() == 4
    for signoff in signoffs:
        action = signoff.closure_request.action
        assert signoff.signer.email == "ni@example.com"
        assert action.owner != signoff.signer
        assert not action.steps.filter(who=signoff.signer).exists()
        assert not action.steps.filter(done_by=signoff.signer).exists()
        assert signoff.closure_request.requested_by == action.owner


def test_demo_people_have_notifications_and_the_old_news_is_not_emailed(demo):
    from governance.models import Kind, Notification

    quality = Notification.objects.filter(recipient__email="quality@example.com")
    assert quality.filter(kind=Kind.SIGNOFF_REQUESTED).exists()  # requests the stories made
    manager = Notification.objects.filter(recipient__email="manager@example.com", read_at=None)
    assert manager.filter(kind__in=[Kind.REVIEW_DUE, Kind.STEP_OVERDUE, Kind.ACTION_DUE, Kind.REVIEW_OVERDUE]).exists()
    assert not Notification.objects.filter(email_wanted="immediate", emailed_at=None).exists()


def test_the_audit_chain_verifies_after_seeding(demo):
    reports = audit.verify_all()
    assert reports and all(report.intact for report in reports)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, 0, 30),  # new year, just after midnight
        datetime(2026, 3, 1, 9, 0),  # the day after a short month
        datetime(2026, 3, 29, 12, 0),  # clocks go forward
        datetime(2026, 7, 31, 23, 30),  # a month end, late
        datetime(2026, 10, 25, 1, 30),  # clocks go back
        datetime(2028, 2, 29, 8, 0),  # leap day
    ],
)
def test_the_demo_shows_the_same_stages_whatever_day_it_is_seeded(db, moment):
    with time_machine.travel(moment.replace(tzinfo=LONDON), tick=False):
        seed()
        medicines, safeguarding = gate(only_action("QIP-2026-001")), gate(only_action("QIP-2026-002"))
        statuses = sorted(plan("QIP-2026-003").actions.values_list("status", flat=True))
        check = only_action("QIP-2026-004").post_closure_checks.get(offset_days=30)
        nutrition = only_action("QIP-2026-005")
        today = timezone.localdate()

    assert medicines[STEPS_COMPLETE].passed
    assert not medicines[EVIDENCE_SOURCES].passed
    assert not medicines[STABILITY].passed
    assert not safeguarding[NO_RECENT_CONCERNS].passed
    assert safeguarding[EVIDENCE_SOURCES].passed
    assert statuses == [ActionStatus.CLOSED, ActionStatus.CLOSED, ActionStatus.IN_PROGRESS]
    assert (check.result, check.due_on) == (CheckResult.DUE, today + timedelta(days=9))
    assert nutrition.status == ActionStatus.IN_PROGRESS
    assert nutrition.reopenings.exists()
