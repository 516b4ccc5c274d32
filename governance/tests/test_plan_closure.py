"""A plan closes through its own gate and sign-off once every action is closed (DESIGN §4)."""

import pytest
from django.core.exceptions import PermissionDenied

from actions.models import Action
from governance import gate, services
from governance.tests.conftest import Story
from governance.transitions import ClosureRefused
from qip.models import PlanStatus
from qip.tests.two_factor_support import code_for


def closed_story(org, home, manager, staff, signer, password):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    services.approve(actor=signer, closure_request=story.request(), password=password, code=code_for(signer))
    return story


def request_plan(story, by):
    return services.request_plan_closure(
        actor=by,
        plan=story.plan,
        bau_monitoring_plan="MAR audits move to the monthly governance cycle.",
        closure_learning="Observation embedded the change; training alone did not.",
        residual_risks="New agency staff: induction includes an observed round.",
    )


def test_a_plan_with_an_open_action_cannot_be_put_forward_for_closure(org, home, manager, staff, quality):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    with pytest.raises(ClosureRefused) as refused:
        request_plan(story, quality)
    assert [c.code for c in refused.value.failing] == [gate.ALL_ACTIONS_CLOSED]
    assert refused.value.failing[0].sentence.startswith("0 of 1 actions closed; still open at")


def test_a_plan_closes_with_an_independent_nominated_individual(org, home, manager, staff, ni, quality, password):
    story = closed_story(org, home, manager, staff, ni, password)
    request = request_plan(story, quality)
    story.plan.refresh_from_db()
    assert story.plan.status == PlanStatus.AWAITING_SIGNOFF

    with pytest.raises(ClosureRefused) as refused:
        services.approve(actor=quality, closure_request=request, password=password, code=code_for(quality))
    assert {c.code for c in refused.value.failing} == {gate.SIGNER_ROLE, gate.SIGNER_INDEPENDENT}

    signoff = services.approve(actor=ni, closure_request=request, password=password, code=code_for(ni))
    story.plan.refresh_from_db()
    assert story.plan.status == PlanStatus.CLOSED
    assert story.plan.residual_risks.startswith("New agency staff")
    assert signoff.snapshot["actions"][0]["status"] == "closed"


def test_a_challenged_plan_closure_returns_the_plan_to_open(org, home, manager, staff, ni, quality, password):
    story = closed_story(org, home, manager, staff, ni, password)
    request = request_plan(story, quality)
    services.challenge(actor=ni, closure_request=request, reason="Wait for the 90-day check")
    story.plan.refresh_from_db()
    assert story.plan.status == PlanStatus.OPEN


def test_reopening_an_action_reopens_its_closed_plan(org, home, manager, staff, ni, quality, password):
    story = closed_story(org, home, manager, staff, ni, password)
    services.approve(actor=ni, closure_request=request_plan(story, quality), password=password, code=code_for(ni))
    services.reopen(actor=quality, action=story.action, reason="Repeat omission found at the 30-day check")
    story.plan.refresh_from_db()
    assert story.plan.status == PlanStatus.OPEN
    assert story.plan.closed_at is None


def test_staff_cannot_put_a_plan_forward(org, home, manager, staff, ni, password):
    story = closed_story(org, home, manager, staff, ni, password)
    with pytest.raises(PermissionDenied):
        request_plan(story, staff)
    assert not Action.objects.filter(status="open").exists()
