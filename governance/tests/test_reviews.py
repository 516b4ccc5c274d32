"""Reviews of a plan: RAG per action, the decision, and the cadence and next review date it leaves."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from evidence import services as evidence_services
from governance import services_reviews as reviews
from governance.models import CadenceChange, CadenceTrigger, Review, ReviewLine
from qip.models import AuditEvent
from qip.tests import domain_factories as make

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(day):
    return time_machine.travel(datetime.combine(day, datetime.min.time()).replace(hour=10, tzinfo=LONDON), tick=False)


@pytest.fixture
def plan(org, home, manager):
    with at(date(2026, 3, 1)):
        plan = make.PlanFactory(organisation=org, owner=manager, created_by=manager, locations=[home])
        plan.review_cadence, plan.next_review_date = "weekly", date(2026, 3, 8)
        plan.save()
        make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    return plan


def green(plan, user):
    from governance.selectors_reviews import reviewable_actions

    return [{"action": action, "rag": "green", "progress": ""} for action in reviewable_actions(user=user, plan=plan)]


def review(plan, user, decision="continue", held_on=None, reason="", **extra):
    return reviews.record_review(
        actor=user,
        plan=plan,
        held_on=held_on,
        decision=decision,
        lines=extra.pop("lines", None) or green(plan, user),
        reason=reason,
        **extra,
    )


def test_continue_keeps_the_cadence_and_sets_the_next_review_one_cycle_after_the_review(plan, manager):
    with at(date(2026, 3, 9)):
        done = review(plan, manager, held_on=date(2026, 3, 9))
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("weekly", date(2026, 3, 16))
    assert done.next_review_before == date(2026, 3, 8)
    assert done.lines.get().rag == "green"
    assert not CadenceChange.objects.exists()
    assert AuditEvent.objects.filter(action="review.recorded").count() == 1


def test_step_down_goes_one_notch_at_a_time_and_moves_the_next_review(plan, manager):
    with at(date(2026, 3, 9)):
        review(plan, manager, "step_down", date(2026, 3, 9), reason="Four clean weekly audits")
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("fortnightly", date(2026, 3, 23))
    with at(date(2026, 3, 23)):
        review(plan, manager, "step_down", date(2026, 3, 23), reason="Two clean fortnightly audits")
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("monthly", date(2026, 4, 22))
    changes = list(CadenceChange.objects.order_by("changed_at").values_list("from_cadence", "to_cadence", "trigger"))
    assert changes == [("weekly", "fortnightly", "step_down"), ("fortnightly", "monthly", "step_down")]


def test_step_down_needs_a_reason_and_stops_at_monthly(plan, manager):
    with at(date(2026, 3, 9)):
        with pytest.raises(ValidationError) as refused:
            review(plan, manager, "step_down", date(2026, 3, 9))
        assert "reason" in refused.value.message_dict
        plan.review_cadence = "monthly"
        plan.save()
        with pytest.raises(ValidationError) as refused:
            review(plan, manager, "step_down", date(2026, 3, 9), reason="Holding")
        assert "no further than monthly" in refused.value.message_dict["decision"][0]
    assert not Review.objects.exists()
    plan.refresh_from_db()
    assert plan.next_review_date == date(2026, 3, 8)


def test_escalation_steps_the_cadence_up_and_brings_the_review_forward(plan, manager):
    plan.review_cadence = "monthly"
    plan.save()
    with at(date(2026, 3, 9)):
        review(plan, manager, "escalate", date(2026, 3, 9), reason="Two missed doses this week")
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("fortnightly", date(2026, 3, 23))
    assert CadenceChange.objects.get().trigger == CadenceTrigger.ESCALATION


def test_a_concern_steps_the_cadence_up_from_the_day_it_is_logged(plan, manager, staff):
    with at(date(2026, 3, 9)):
        review(plan, manager, "step_down", date(2026, 3, 9), reason="Holding")  # fortnightly, next 23 March
    action = plan.actions.get()
    with at(date(2026, 3, 11)):
        evidence_services.log_concern(
            actor=staff, action=action, kind="incident", occurred_on=date(2026, 3, 10), summary="Missed dose"
        )
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("weekly", date(2026, 3, 18))
    change = CadenceChange.objects.get(trigger=CadenceTrigger.CONCERN)
    assert (change.from_cadence, change.to_cadence, change.next_review_before) == (
        "fortnightly",
        "weekly",
        date(2026, 3, 23),
    )
    assert "Missed dose" in change.reason


def test_a_concern_never_puts_the_next_review_later(plan, manager, staff):
    # Weekly already, review due in two days: stays weekly and stays due in two days.
    with at(date(2026, 3, 6)):
        evidence_services.log_concern(
            actor=staff, action=plan.actions.get(), kind="complaint", occurred_on=date(2026, 3, 5), summary="Late"
        )
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("weekly", date(2026, 3, 8))
    assert not CadenceChange.objects.exists()


def test_red_and_amber_need_progress_and_every_open_action_needs_a_rag(plan, manager, home):
    second = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    first = plan.actions.exclude(pk=second.pk).get()
    with at(date(2026, 3, 9)), pytest.raises(ValidationError) as refused:
        review(plan, manager, held_on=date(2026, 3, 9), lines=[{"action": first, "rag": "red", "progress": " "}])
    assert set(refused.value.message_dict) == {f"progress_{first.pk}", f"rag_{second.pk}"}
    assert not Review.objects.exists()


def test_a_review_cannot_be_dated_in_the_future_or_before_the_plan(plan, manager):
    with at(date(2026, 3, 9)):
        for held_on, words in [(date(2026, 3, 10), "future"), (date(2026, 2, 1), "before the plan")]:
            with pytest.raises(ValidationError) as refused:
                review(plan, manager, held_on=held_on)
            assert words in refused.value.message_dict["held_on"][0]


def test_a_backdated_review_can_leave_the_next_review_already_overdue(plan, manager):
    with at(date(2026, 4, 20)):
        review(plan, manager, held_on=date(2026, 3, 9))
    plan.refresh_from_db()
    assert plan.next_review_date == date(2026, 3, 16)


def test_staff_viewers_and_other_locations_cannot_record_a_review(plan, staff, viewer, other_manager, outsider):
    for person in (staff, viewer, other_manager, outsider):
        with pytest.raises(PermissionDenied):
            review(plan, person, held_on=date(2026, 3, 9), lines=[])
    assert not Review.objects.exists()


def test_quality_lead_and_nominated_individual_record_reviews(plan, quality, ni):
    with at(date(2026, 3, 9)):
        review(plan, quality, held_on=date(2026, 3, 9))
        review(plan, ni, "revise", held_on=date(2026, 3, 9), reason="Add a night-shift action")
    assert Review.objects.count() == 2


def test_evidence_seen_must_be_the_plans(plan, manager, org, home):
    other = make.PlanFactory(organisation=org, owner=manager, created_by=manager, locations=[home])
    foreign_item = make.EvidenceFactory(plan=other, action=None, location=home)
    with at(date(2026, 3, 9)), pytest.raises(ValidationError) as refused:
        review(plan, manager, held_on=date(2026, 3, 9), evidence_seen=[foreign_item])
    assert "evidence_seen" in refused.value.message_dict


def test_reviews_are_never_changed_or_deleted(plan, manager):
    with at(date(2026, 3, 9)):
        done = review(plan, manager, held_on=date(2026, 3, 9))
    for attempt in (
        lambda: Review.objects.filter(pk=done.pk).update(decision="escalate"),
        lambda: ReviewLine.objects.filter(review=done).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()


def test_a_closed_plan_is_not_reviewed(plan, manager):
    plan.status, plan.closed_at = "closed", datetime(2026, 3, 8, tzinfo=LONDON)
    plan.save()
    with pytest.raises(ValidationError):
        review(plan, manager, held_on=date(2026, 3, 9))
    plan.refresh_from_db()
    assert plan.next_review_date - date(2026, 3, 1) == timedelta(days=7)
