"""Post-closure checks and reopening in the browser: the check list, recording a check, reopening."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionStatus
from evidence import services as evidence_services
from governance.models import CheckResult, Decision, PostClosureCheck, Reopening, ReopenTrigger
from qip.tests import domain_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(org, home, manager, ni):
    """A closed action at home (closed by the nominated individual), with its 30- and 90-day checks due."""
    plan = make.PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    return make.close_action(action, signer=ni)


def first_check(action):
    return action.post_closure_checks.order_by("due_on").first()


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# The list


def test_the_list_groups_overdue_soon_and_later_checks_for_the_reviewer(client, quality, closed):
    today = timezone.localdate()
    thirty, ninety = closed.post_closure_checks.order_by("due_on")
    PostClosureCheck.objects.filter(pk=thirty.pk).update(due_on=today - timedelta(days=3))
    PostClosureCheck.objects.filter(pk=ninety.pk).update(due_on=today + timedelta(days=10))
    client.force_login(quality)
    response = client.get(reverse("check_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    overdue, soon, later = (section[2] for section in response.context["sections"])
    assert [check.pk for check in overdue] == [thirty.pk]
    assert [check.pk for check in soon] == [ninety.pk]
    assert later == []
    assert "30-day check" in html and "90-day check" in html
    assert "Overdue" in html
    assert reverse("check_record", args=[thirty.pk]) in html
    assert reverse("action_reopen", args=[closed.pk]) in html
    assert "Reopen this action" in html
    assert closed.closing_signoff.signed_at.strftime("%b %Y") in html  # closed on


def test_the_list_is_for_quality_leads_and_nominated_individuals_only(client, closed, ni, staff, manager, admin):
    client.force_login(ni)
    assert "90-day check" in client.get(reverse("check_list")).content.decode()
    for person in (staff, manager, admin):
        client.force_login(person)
        assert client.get(reverse("check_list")).status_code == 403


def test_recorded_checks_leave_the_list(client, quality, closed):
    check = first_check(closed)
    client.force_login(quality)
    evidence = offered_evidence(client, check)
    client.post(reverse("check_record", args=[check.pk]), {"result": "holding", "evidence": evidence.pk})
    response = client.get(reverse("check_list"))
    assert [c.pk for section in response.context["sections"] for c in section[2]] == [
        c.pk for c in closed.post_closure_checks.filter(result=CheckResult.DUE)
    ]
    assert response.context["due_count"] == 1


def offered_evidence(client, check):
    return client.get(reverse("check_record", args=[check.pk])).context["form"].fields["evidence"].queryset.first()


def test_a_concern_after_closure_lists_the_action_as_reopening_proposed(client, quality, staff, closed):
    concern = evidence_services.log_concern(
        actor=staff, action=closed, kind="incident", occurred_on=timezone.localdate(), summary="Two MAR gaps again."
    )
    client.force_login(quality)
    response = client.get(reverse("check_list"))
    assert [action.pk for action in response.context["reopenings"]] == [closed.pk]
    assert response.context["reopenings"][0].proposing_concern == concern
    html = response.content.decode()
    assert "Two MAR gaps again." in html
    assert reverse("action_reopen", args=[closed.pk]) in html


def test_the_list_query_count_does_not_grow_with_checks(client, quality, org, home, manager, closed, staff):
    evidence_services.log_concern(
        actor=staff, action=closed, kind="incident", occurred_on=timezone.localdate(), summary="Late medicines."
    )
    plan = closed.plan
    signoff = closed.closing_signoff

    def add_checks(count):
        for n in range(count):
            action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, criteria=False)
            PostClosureCheck.objects.create(
                action=action,
                signoff=signoff,
                offset_days=1000 + PostClosureCheck.objects.count() + n,
                due_on=timezone.localdate() + timedelta(days=n - 2),
            )

    client.force_login(quality)
    add_checks(3)  # with the two of `closed`: 5
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("check_list")).status_code == 200
    add_checks(45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("check_list"))
    assert response.context["due_count"] == 50
    assert len(fifty) == len(five), (len(five), len(fifty))


# Recording a check


def test_holding_needs_evidence_shown_beside_the_field_and_keeps_the_action_closed(client, quality, closed):
    check = first_check(closed)
    client.force_login(quality)
    page = client.get(reverse("check_record", args=[check.pk]))
    html = page.content.decode()
    assert "The closure approved by Nina Nominated" in html and "stays on the record" in html
    assert reverse("evidence_add", args=[closed.pk]) in html
    assert 'name="evidence"' in html and "What has deteriorated?" in html

    response = client.post(reverse("check_record", args=[check.pk]), {"result": "holding"})
    assert response.status_code == 200
    assert response.context["form"].errors["evidence"] == ["Choose the evidence that shows the improvement is holding."]
    assert "Choose the evidence that shows the improvement is holding." in response.content.decode()
    check.refresh_from_db()
    assert check.result == CheckResult.DUE

    evidence = page.context["form"].fields["evidence"].queryset.first()
    response = client.post(reverse("check_record", args=[check.pk]), {"result": "holding", "evidence": evidence.pk})
    assert response.status_code == 302 and response.url == reverse("action_detail", args=[closed.pk])
    assert "Recorded: holding." in messages_of(response)
    check.refresh_from_db()
    closed.refresh_from_db()
    assert (check.result, check.evidence, check.recorded_by) == (CheckResult.HOLDING, evidence, quality)
    assert closed.status == ActionStatus.CLOSED


def test_evidence_is_offered_newest_first(client, quality, closed):
    client.force_login(quality)
    items = list(
        client.get(reverse("check_record", args=[first_check(closed).pk])).context["form"].fields["evidence"].queryset
    )
    assert items == sorted(items, key=lambda item: (item.collected_on, item.pk), reverse=True)


def test_deteriorated_needs_a_note_then_reopens_keeping_the_signoff(client, ni, closed):
    check = first_check(closed)
    signoff = closed.closing_signoff
    client.force_login(ni)
    response = client.post(reverse("check_record", args=[check.pk]), {"result": "deteriorated"})
    assert response.context["form"].errors["note"] == ["Say what has deteriorated."]
    closed.refresh_from_db()
    assert closed.status == ActionStatus.CLOSED

    response = client.post(
        reverse("check_record", args=[check.pk]), {"result": "deteriorated", "note": "MAR gaps are back: 4 in 20."}
    )
    assert response.status_code == 302
    assert "Deteriorated: the action has been reopened." in messages_of(response)
    closed.refresh_from_db()
    signoff.refresh_from_db()
    assert closed.status == ActionStatus.REOPENED
    assert signoff.decision == Decision.APPROVED
    reopening = Reopening.objects.get(action=closed)
    assert reopening.previous_signoff == signoff
    assert reopening.trigger == ReopenTrigger.FAILED_CHECK and reopening.failed_check == check


def test_a_recorded_check_cannot_be_recorded_again(client, ni, closed):
    check = first_check(closed)
    client.force_login(ni)
    client.post(reverse("check_record", args=[check.pk]), {"result": "deteriorated", "note": "Worse."})
    response = client.get(reverse("check_record", args=[check.pk]))
    assert response.status_code == 302
    assert "This 30-day check has already been recorded." in messages_of(response)


def test_staff_and_managers_cannot_record_checks_or_reopen(client, closed, staff, manager):
    check = first_check(closed)
    for person in (staff, manager):
        client.force_login(person)
        assert client.get(reverse("check_record", args=[check.pk])).status_code == 403
        assert (
            client.post(reverse("check_record", args=[check.pk]), {"result": "deteriorated", "note": "x"}).status_code
            == 403
        )
        assert client.get(reverse("action_reopen", args=[closed.pk])).status_code == 403
        assert (
            client.post(reverse("action_reopen", args=[closed.pk]), {"trigger": "judgement", "reason": "x"}).status_code
            == 403
        )
    closed.refresh_from_db()
    assert closed.status == ActionStatus.CLOSED


def test_another_organisations_check_is_not_found(client, outsider, closed):
    client.force_login(outsider)
    assert client.get(reverse("check_record", args=[first_check(closed).pk])).status_code == 404
    assert client.get(reverse("action_reopen", args=[closed.pk])).status_code == 404


# Reopening


def test_reopening_needs_a_reason_and_keeps_the_earlier_closure(client, quality, closed):
    signoff = closed.closing_signoff
    client.force_login(quality)
    page = client.get(reverse("action_reopen", args=[closed.pk]))
    html = page.content.decode()
    assert f"The closure approved by {signoff.printed_name}" in html
    assert signoff.signed_at.strftime("%b %Y") in html and "stays on the record" in html
    assert page.context["form"]["trigger"].value() == ReopenTrigger.JUDGEMENT

    response = client.post(reverse("action_reopen", args=[closed.pk]), {"trigger": "judgement", "reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Give the reason for reopening."]
    closed.refresh_from_db()
    assert closed.status == ActionStatus.CLOSED

    response = client.post(
        reverse("action_reopen", args=[closed.pk]), {"trigger": "judgement", "reason": "The last audit looks too good."}
    )
    assert response.status_code == 302 and response.url == reverse("action_detail", args=[closed.pk])
    closed.refresh_from_db()
    signoff.refresh_from_db()
    assert closed.status == ActionStatus.REOPENED
    assert signoff.decision == Decision.APPROVED
    reopening = Reopening.objects.get(action=closed)
    assert (reopening.previous_signoff, reopening.trigger, reopening.reopened_by) == (
        signoff,
        ReopenTrigger.JUDGEMENT,
        quality,
    )
    assert not closed.post_closure_checks.filter(result=CheckResult.DUE).exists()


def test_a_proposing_concern_is_preselected_and_recorded_with_the_reopening(client, ni, staff, closed):
    concern = evidence_services.log_concern(
        actor=staff, action=closed, kind="complaint", occurred_on=timezone.localdate(), summary="Family complaint."
    )
    client.force_login(ni)
    page = client.get(reverse("action_reopen", args=[closed.pk]))
    assert page.context["form"]["trigger"].value() == ReopenTrigger.CONCERN
    assert "Family complaint." in page.content.decode()
    client.post(reverse("action_reopen", args=[closed.pk]), {"trigger": "concern", "reason": "The complaint stands."})
    reopening = Reopening.objects.get(action=closed)
    assert (reopening.trigger, reopening.concern) == (ReopenTrigger.CONCERN, concern)


def test_an_action_that_is_not_closed_cannot_be_reopened(client, quality, org, home, manager):
    plan = make.PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    client.force_login(quality)
    response = client.post(reverse("action_reopen", args=[action.pk]), {"trigger": "judgement", "reason": "Why not."})
    assert response.status_code == 302 and response.url == reverse("action_detail", args=[action.pk])
    assert "Only a closed action can be reopened; this one is open." in messages_of(response)
    assert not Reopening.objects.exists()


def test_the_record_page_query_count_does_not_grow_with_evidence(client, quality, closed):
    check = first_check(closed)
    client.force_login(quality)

    def add_evidence(count):
        for _ in range(count):
            make.EvidenceFactory(action=closed, category="outcomes", collected_by=closed.owner)

    add_evidence(3)  # with the two of the closure: 5
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("check_record", args=[check.pk]))
    assert len(response.context["form"].fields["evidence"].choices) == 5
    add_evidence(45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("check_record", args=[check.pk]))
    assert len(response.context["form"].fields["evidence"].choices) == 50
    assert len(fifty) == len(five), (len(five), len(fifty))
