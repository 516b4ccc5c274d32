"""Immediate notices of the closure workflow: the right people are told, the wrong ones are not, and the
e-mail goes once, after the decision commits (governance/notices.py, called from governance/services.py)."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from governance import services
from governance.models import CheckResult, Kind, Notification
from governance.tests.conftest import Story
from qip.models import Role
from qip.tests import domain_factories as make
from qip.tests.two_factor_support import code_for

pytestmark = pytest.mark.django_db


def told(kind, key_prefix=""):
    """{recipient: notification} of this kind (and key prefix)."""
    rows = Notification.objects.filter(kind=kind, key__startswith=key_prefix).select_related("recipient")
    return {row.recipient: row for row in rows}


def request_plan(story, by):
    return services.request_plan_closure(
        actor=by,
        plan=story.plan,
        bau_monitoring_plan="MAR audits move to the monthly governance cycle.",
        closure_learning="Observation embedded the change; training alone did not.",
    )


def closed(story, signer, password):
    story.make_ready()
    services.approve(actor=signer, closure_request=story.request(), password=password, code=code_for(signer))
    return story.refresh()


# Sign-off requested


def test_a_request_asks_every_independent_senior_person_who_can_see_the_location(
    story, org, branch, manager, staff, quality, ni, viewer, admin, other_manager
):
    quality_at_branch = make.member(org, Role.QUALITY_LEAD, locations=[branch], full_name="Quentin Branch-only")
    story.make_ready()
    request = story.request()

    asked = told(Kind.SIGNOFF_REQUESTED)
    assert set(asked) == {quality, ni}
    assert not {manager, staff, viewer, admin, other_manager, quality_at_branch} & set(asked)
    notice = asked[ni]
    assert notice.key == f"signoff_requested:request:{request.pk}"
    assert notice.url == reverse("signoff_decide", args=[request.pk])
    assert notice.title == f"Sign-off requested: {story.action.title}"
    assert "Mary Manager asked for closure of this action at Oak House" in notice.body
    assert notice.organisation_id == org.pk and notice.read_at is None


def test_a_quality_lead_is_not_told_about_a_high_risk_request(high_risk_story, quality, ni):
    high_risk_story.make_ready()
    high_risk_story.request()
    asked = told(Kind.SIGNOFF_REQUESTED)
    assert set(asked) == {ni}
    assert "high-risk action" in asked[ni].body


def test_the_requester_is_never_asked_to_sign_their_own_request(story, quality, ni):
    story.make_ready()
    story.request(by=ni)  # a nominated individual may request closure, but not then sign it
    assert set(told(Kind.SIGNOFF_REQUESTED)) == {quality}


def test_a_step_doer_is_not_asked(org, home, manager, quality, ni):
    story = Story(org=org, home=home, manager=manager, staff=quality)  # the quality lead did the steps
    story.make_ready()
    story.request()
    assert set(told(Kind.SIGNOFF_REQUESTED)) == {ni}


def test_when_the_criteria_name_a_reviewer_only_they_are_asked(org, home, manager, staff, quality, ni):
    story = Story(org=org, home=home, manager=manager, staff=staff, named_reviewer=quality)
    story.make_ready()
    story.request()
    assert set(told(Kind.SIGNOFF_REQUESTED)) == {quality}


def test_a_deactivated_member_is_not_asked(story, org, quality, ni):
    quality.memberships.filter(organisation=org).update(is_active=False)
    story.make_ready()
    story.request()
    assert set(told(Kind.SIGNOFF_REQUESTED)) == {ni}


def test_a_plan_request_asks_independent_nominated_individuals_only(story, org, manager, quality, ni, password):
    plan_owner = make.member(org, Role.NOMINATED_INDIVIDUAL, full_name="Nadia Planowner")
    story.plan.owner = plan_owner
    story.plan.save(update_fields=["owner"])
    closed(story, ni, password)
    request = request_plan(story, manager)

    asked = told(Kind.SIGNOFF_REQUESTED, f"signoff_requested:request:{request.pk}")
    assert set(asked) == {ni}  # not the plan's owner (a nominated individual), nor the quality lead
    assert asked[ni].title == f"Sign-off requested: {story.plan.reference} {story.plan.title}"
    assert asked[ni].url == reverse("signoff_decide", args=[request.pk])


# E-mail after commit


def test_each_person_asked_gets_one_email_after_the_request_commits(
    story, quality, ni, django_capture_on_commit_callbacks
):
    story.make_ready()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = story.request()
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mail.outbox) == sorted([quality.email, ni.email])
    assert f"/signoff/{request.pk}/" in mail.outbox[0].body
    assert Notification.objects.filter(kind=Kind.SIGNOFF_REQUESTED, emailed_at__isnull=False).count() == 2

    for callback in callbacks:  # delivered twice (a retried queueing): nothing more is sent
        callback()
    assert len(mail.outbox) == 2


def test_a_request_that_rolls_back_leaves_no_notice_and_sends_nothing(
    story, quality, ni, django_capture_on_commit_callbacks
):
    story.make_ready()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        story.request()
        raise RuntimeError("the request fails after the notices were made")
    assert not Notification.objects.filter(kind=Kind.SIGNOFF_REQUESTED).exists()
    assert mail.outbox == []


# Closure decided


def test_an_approval_tells_the_requester_and_the_owner_once_each(
    story, org, home, ni, manager, quality, password, django_capture_on_commit_callbacks
):
    deputy = make.member(org, Role.REGISTERED_MANAGER, locations=[home], full_name="Dee Deputy")
    story.make_ready()
    request = story.request(by=deputy)
    with django_capture_on_commit_callbacks(execute=True):
        signoff = services.approve(actor=ni, closure_request=request, password=password, code=code_for(ni))

    decided = told(Kind.CLOSURE_DECIDED)
    assert set(decided) == {deputy, manager}  # the requester and the owner; not the signer, not the others
    notice = decided[manager]
    assert notice.key == f"closure_decided:signoff:{signoff.pk}"
    assert notice.title == f"Closure approved by Nina Nominated: {story.action.title}"
    assert "(UK time)" in notice.body and "The action is closed" in notice.body
    assert notice.url == reverse("action_detail", args=[story.action.pk]) + "#closure-decisions"
    decided_mail = [message for message in mail.outbox if "Closure approved" in message.subject]
    assert sorted(message.to[0] for message in decided_mail) == sorted([deputy.email, manager.email])


def test_a_challenge_gives_the_reason_and_tells_the_owner_who_requested(story, manager, quality, ni):
    story.make_ready()
    request = story.request()
    services.challenge(actor=quality, closure_request=request, reason="Two more weeks of readings, please.")
    decided = told(Kind.CLOSURE_DECIDED)
    assert set(decided) == {manager}
    assert decided[manager].title == f"Closure challenged by Quinn Quality: {story.action.title}"
    assert "Reason: Two more weeks of readings, please." in decided[manager].body
    assert "back in assurance" in decided[manager].body


def test_a_rejection_says_so(story, manager, ni):
    story.make_ready()
    services.reject(actor=ni, closure_request=story.request(), reason="The audit sample was too small.")
    notice = told(Kind.CLOSURE_DECIDED)[manager]
    assert notice.title.startswith("Closure rejected by Nina Nominated")
    assert "Reason: The audit sample was too small." in notice.body


def test_a_plan_decision_tells_the_plan_owner_and_the_requester(story, manager, quality, ni, password):
    closed(story, ni, password)
    request = request_plan(story, quality)
    signoff = services.reject(actor=ni, closure_request=request, reason="Wait for the 90-day check.")
    decided = told(Kind.CLOSURE_DECIDED, f"closure_decided:signoff:{signoff.pk}")
    assert set(decided) == {manager, quality}
    assert decided[quality].title == f"Closure rejected by Nina Nominated: {story.plan.reference} {story.plan.title}"
    assert decided[quality].url == reverse("plan_detail", args=[story.plan.pk])
    assert "The plan is open again." in decided[quality].body


# Reopened


def test_a_reopening_tells_the_owner_the_locations_registered_managers_and_the_earlier_signer(
    story, org, home, manager, other_manager, quality, ni, staff, password, django_capture_on_commit_callbacks
):
    deputy = make.member(org, Role.REGISTERED_MANAGER, locations=[home], full_name="Dee Deputy")
    everywhere = make.member(org, Role.REGISTERED_MANAGER, full_name="Eve Everywhere")  # no listed locations
    action = closed(story, ni, password)
    with django_capture_on_commit_callbacks(execute=True):
        reopening = services.reopen(actor=quality, action=action, reason="Two missed signatures this week.")

    reopened = told(Kind.ACTION_REOPENED)
    assert set(reopened) == {manager, deputy, everywhere, ni}  # ni signed the closure that no longer holds
    assert not {other_manager, quality, staff} & set(reopened)
    notice = reopened[manager]
    assert notice.key == f"reopened:reopening:{reopening.pk}"
    assert notice.title == f"Reopened by Quinn Quality: {action.title}"
    assert "Reason: Two missed signatures this week." in notice.body
    assert notice.url == reverse("action_detail", args=[action.pk])
    reopen_mail = [message for message in mail.outbox if "Reopened by" in message.subject]
    assert sorted(message.to[0] for message in reopen_mail) == sorted(
        [manager.email, deputy.email, everywhere.email, ni.email]
    )


def test_a_failed_post_closure_check_tells_them_too_but_not_the_recorder(story, manager, quality, ni, password):
    action = closed(story, ni, password)
    check = action.post_closure_checks.order_by("due_on").first()
    # The nominated individual who signed records it: the recorder is not told of their own act.
    services.record_post_closure_check(actor=ni, check=check, result=CheckResult.DETERIORATED, note="Gaps again.")
    reopened = told(Kind.ACTION_REOPENED)
    assert set(reopened) == {manager}
    assert "failed post-closure check" in reopened[manager].body
