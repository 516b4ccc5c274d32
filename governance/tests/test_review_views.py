"""The review screens: record a review from the plan page or the agenda, read it back, see the timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evidence import services as evidence_services
from governance.models import CadenceChange, Review
from qip.tests import domain_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org, home, manager):
    plan = make.PlanFactory(organisation=org, owner=manager, created_by=manager, locations=[home])
    plan.created_at = timezone.now() - timedelta(days=60)
    plan.review_cadence, plan.next_review_date = "weekly", timezone.localdate() - timedelta(days=2)
    plan.save()
    return plan


@pytest.fixture
def action(plan, home, manager):
    return make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, title="Observed MAR rounds")


def add_url(plan, **query):
    url = reverse("review_add", args=[plan.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def today():
    return timezone.localdate()


def test_the_plan_page_offers_a_review_and_says_it_is_overdue(client, manager, plan, action):
    client.force_login(manager)
    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "Record a review" in page
    assert "Overdue since" in page
    assert "No reviews recorded yet." in page


def test_a_review_recorded_in_the_browser_form_moves_the_next_review_and_shows_on_the_timeline(
    client, manager, plan, action
):
    item = make.EvidenceFactory(action=action, title="Night MAR audit")
    client.force_login(manager)
    form = client.get(add_url(plan)).content.decode()
    assert "Observed MAR rounds" in form
    assert "Night MAR audit" in form
    assert "Reviews become fortnightly (from weekly)" in form  # what step-down would do

    response = client.post(
        add_url(plan),
        {
            "held_on": today().isoformat(),
            f"rag_{action.pk}": "amber",
            f"progress_{action.pk}": "Two night rounds not yet observed",
            "evidence_seen": [item.pk],
            "decision": "step_down",
            "reason": "Four clean weekly audits",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/plans/{plan.pk}/#reviews")
    plan.refresh_from_db()
    assert (plan.review_cadence, plan.next_review_date) == ("fortnightly", today() + timedelta(days=14))
    review = Review.objects.get()
    assert list(review.evidence_seen.all()) == [item]

    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "1 amber" in page
    assert "Reviews weekly → <strong>fortnightly</strong>" in page
    assert "✔ Not yet due" in page

    detail = client.get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "Two night rounds not yet observed" in detail
    assert "Night MAR audit" in detail
    assert "In progress" in detail or "Open" in detail


def test_missing_answers_are_shown_beside_their_fields_and_nothing_is_saved(client, manager, plan, action):
    client.force_login(manager)
    response = client.post(
        add_url(plan), {"held_on": today().isoformat(), f"rag_{action.pk}": "red", "decision": "escalate"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The review was not recorded." in page
    assert "Say what is behind or at risk" in page
    assert "Say why the plan is escalated" in page
    assert not Review.objects.exists()
    plan.refresh_from_db()
    assert plan.review_cadence == "weekly"


def test_step_down_from_monthly_is_refused_beside_the_decision(client, manager, plan, action):
    plan.review_cadence = "monthly"
    plan.save()
    client.force_login(manager)
    form = client.get(add_url(plan)).content.decode()
    assert "Not available: reviews step down no further than monthly." in form
    response = client.post(
        add_url(plan),
        {"held_on": today().isoformat(), f"rag_{action.pk}": "green", "decision": "step_down", "reason": "Holding"},
    )
    assert "steps down no further than monthly" in response.content.decode()
    assert not Review.objects.exists()


def test_a_concern_shows_on_the_timeline_as_a_step_up(client, manager, staff, plan, action):
    plan.review_cadence, plan.next_review_date = "monthly", today() + timedelta(days=20)
    plan.save()
    evidence_services.log_concern(
        actor=staff, action=action, kind="incident", occurred_on=today(), summary="Missed evening dose"
    )
    client.force_login(manager)
    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "A concern was logged" in page
    assert "reviews monthly → <strong>fortnightly</strong>" in page
    assert "Missed evening dose" in page
    assert CadenceChange.objects.get().next_review_on == today() + timedelta(days=14)


def test_staff_and_viewers_see_no_review_button_and_are_refused(client, staff, plan, action):
    client.force_login(staff)
    assert "Record a review" not in client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert client.get(add_url(plan)).status_code == 403
    assert client.post(add_url(plan), {"decision": "continue"}).status_code == 403


def test_a_foreign_plan_and_review_are_not_found(client, outsider, manager, plan, action):
    client.force_login(manager)
    client.post(add_url(plan), {"held_on": today().isoformat(), f"rag_{action.pk}": "green", "decision": "continue"})
    review = Review.objects.get()
    client.force_login(outsider)
    assert client.get(add_url(plan)).status_code == 404
    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 404


def test_the_agenda_lists_what_the_meeting_needs_and_records_outcomes_as_reviews(
    client, quality, ni, manager, plan, action
):
    later = make.PlanFactory(organisation=plan.organisation, owner=manager, created_by=manager)
    later.next_review_date = today() + timedelta(days=30)
    later.save()
    closed = make.close_action(
        make.ActionFactory(plan=plan, location=action.location, owner=manager, created_by=manager), signer=ni
    )
    meeting = today() + timedelta(days=31)
    client.force_login(quality)
    page = client.get(reverse("governance_agenda") + f"?date={meeting.isoformat()}").content.decode()
    assert plan.reference in page and later.reference in page
    assert "30-day check of" in page and closed.title in page
    assert page.count("Record outcome") == 2

    soon = client.get(reverse("governance_agenda") + f"?date={today().isoformat()}").content.decode()
    assert later.reference not in soon

    response = client.post(
        add_url(plan, meeting=today().isoformat()),
        {"held_on": today().isoformat(), f"rag_{action.pk}": "green", "decision": "continue"},
    )
    assert response["Location"].endswith(f"?date={today().isoformat()}#plan-{plan.pk}")
    assert Review.objects.get().meeting_date == today()
    again = client.get(reverse("governance_agenda") + f"?date={today().isoformat()}").content.decode()
    # No longer due by today, but it stays on this meeting's agenda with what the meeting decided.
    assert "✔ Outcome recorded:" in again
    assert again.count("Record outcome") == 0


def test_the_agenda_marks_an_outcome_recorded_at_that_meeting(client, quality, manager, plan, action):
    meeting = today() + timedelta(days=10)
    client.force_login(quality)
    client.post(
        add_url(plan, meeting=today().isoformat()),
        {"held_on": today().isoformat(), f"rag_{action.pk}": "green", "decision": "continue"},
    )
    # Next review is now in 7 days, before the meeting in 10: still on that agenda, with its outcome marked
    # only on the agenda of the meeting it was recorded at.
    later_page = client.get(reverse("governance_agenda") + f"?date={meeting.isoformat()}").content.decode()
    assert plan.reference in later_page and "Outcome recorded" not in later_page


def test_the_agenda_refuses_a_bad_date_beside_the_field(client, quality):
    client.force_login(quality)
    page = client.get(reverse("governance_agenda") + "?date=2026-13-45").content.decode()
    assert "Enter the meeting date as a real date" in page


def test_the_agenda_is_for_managers_and_above(client, staff, viewer, manager):
    for person, status in ((staff, 403), (viewer, 403), (manager, 200)):
        client.force_login(person)
        assert client.get(reverse("governance_agenda")).status_code == status


def test_the_review_form_and_agenda_query_counts_do_not_grow(
    client, manager, quality, plan, home, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            act = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
            make.EvidenceFactory(action=act)
            make.StepFactory(action=act)

    client.force_login(manager)
    add(1)
    with django_assert_max_num_queries(30) as small:
        client.get(add_url(plan))
    add(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(add_url(plan))
    client.force_login(quality)
    with django_assert_max_num_queries(30) as agenda_small:
        client.get(reverse("governance_agenda"))
    for _ in range(5):
        extra = make.PlanFactory(organisation=plan.organisation, owner=manager, created_by=manager, locations=[home])
        extra.next_review_date = today()
        extra.save()
        make.ActionFactory(plan=extra, location=home, owner=manager, created_by=manager)
    with django_assert_max_num_queries(len(agenda_small.captured_queries)):
        client.get(reverse("governance_agenda"))
