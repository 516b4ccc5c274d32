"""The domain articles' examples, replayed through the services with the clock moving on."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from actions.models import ActionStatus, Step
from evidence.models import MeasureReading
from governance import gate, services
from governance.models import PostClosureCheck, SignOff
from governance.tests.conftest import Story
from governance.transitions import ClosureRefused
from qip.audit import verify_all
from qip.tests.two_factor_support import code_for

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 1, 5, 9, 0, tzinfo=LONDON)  # a Monday


def week(n, hour=9):
    return START + timedelta(weeks=n, hours=hour - 9)


def reading(story, when, value):
    MeasureReading.objects.create(
        measure=story.measure,
        location=story.home,
        period_end=timezone.localdate(when),
        value=value,
        recorded_by=story.manager,
    )


def test_a_medicines_plan_is_refused_at_week_four_and_approved_after_two_months_at_target(
    org, home, manager, staff, ni, signer_password
):
    """000 and 001: refresher training and a new policy at week four are activity, not assurance."""
    with time_machine.travel(START, tick=False) as clock:
        story = Story(org=org, home=home, manager=manager, staff=staff, high_risk=True)
        Step.objects.filter(pk=story.steps[0].pk).update(what="Refresher medicines training for all trained staff")
        Step.objects.filter(pk=story.steps[1].pk).update(what="Service manager updates the medicines policy")
        for n, value in enumerate([78, 81, 80, 83]):
            clock.move_to(week(n + 1, hour=17))
            reading(story, week(n + 1), value)

        clock.move_to(week(4))
        story.do_steps()
        story.add_evidence("processes", purpose="activity", kind="training_record", title="Training attendance")
        story.add_evidence("processes", purpose="activity", kind="policy_update", title="Medicines policy v4")
        services.start_assurance(actor=manager, action=story.action)

        with pytest.raises(ClosureRefused) as refused:
            story.request()
        failing = {criterion.code for criterion in refused.value.failing}
        assert {gate.EVIDENCE_SOURCES, gate.STABILITY, gate.MEASURE_TARGET} <= failing
        assert gate.STEPS_COMPLETE not in failing
        assert not failing & gate.DECISION_CODES, "a refused request names only what the work still lacks"
        assert "activity evidence" in str(refused.value.gate.get(gate.EVIDENCE_SOURCES).figures)

        # Second phase: weekly MAR exception review and live competency observations for two months.
        for n in range(5, 14):
            clock.move_to(week(n, hour=17))
            reading(story, week(n), 96 + (n % 3))
        story.add_evidence("processes", kind="audit", title="Monthly MAR audit: 97%")
        story.add_evidence("observation", kind="observation", title="Live competency observations, 12 rounds")

        clock.move_to(week(14))
        request = story.request()
        signoff = services.approve(actor=ni, closure_request=request, password=signer_password, code=code_for(ni))

    action = story.refresh()
    assert action.status == ActionStatus.CLOSED
    assert signoff.role == "Nominated individual"
    assert {c["code"]: c["passed"] for c in signoff.gate}[gate.STABILITY] is True
    assert [i["title"] for i in signoff.snapshot["evidence"] if i["purpose"] == "activity"] == [
        "Training attendance",
        "Medicines policy v4",
    ]
    assert all(report.intact for report in verify_all())


def test_a_high_risk_action_cannot_be_approved_by_its_owner_or_a_quality_lead(
    org, home, ni, quality, staff, signer_password
):
    """001: senior review for high-risk domains, never by the person who did the work."""
    story = Story(org=org, home=home, manager=ni, staff=staff, high_risk=True)
    story.make_ready()
    request = story.request(by=quality)

    with pytest.raises(ClosureRefused) as by_owner:
        services.approve(actor=ni, closure_request=request, password=signer_password, code=code_for(ni))
    assert [c.code for c in by_owner.value.failing] == [gate.SIGNER_INDEPENDENT]
    assert "owner" in by_owner.value.failing[0].sentence

    with pytest.raises(ClosureRefused) as by_quality_lead:
        services.approve(actor=quality, closure_request=request, password=signer_password, code=code_for(quality))
    assert {c.code for c in by_quality_lead.value.failing} == {gate.SIGNER_ROLE, gate.SIGNER_INDEPENDENT}
    assert "Needs a nominated individual (high-risk action)" in by_quality_lead.value.failing[0].sentence

    assert story.refresh().status == ActionStatus.AWAITING_SIGNOFF
    assert not SignOff.objects.exists()


def test_a_failed_post_closure_check_reopens_the_action_with_the_original_closure_intact(
    org, home, manager, staff, ni, quality, signer_password
):
    """001: post-closure checks; reopening when evidence weakens is stronger governance."""
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False) as clock:
        story = Story(org=org, home=home, manager=manager, staff=staff)
        story.make_ready()
        signoff = services.approve(
            actor=ni, closure_request=story.request(), password=signer_password, code=code_for(ni)
        )
        check = PostClosureCheck.objects.get(offset_days=30)
        assert check.due_on == timezone.localdate() + timedelta(days=30)

        clock.move_to(datetime(2026, 4, 1, 10, 0, tzinfo=LONDON))
        assert list(PostClosureCheck.objects.due_by(timezone.localdate())) == [check]
        services.record_post_closure_check(
            actor=quality, check=check, result="deteriorated", note="30-day audit: 82% of MAR entries signed"
        )

    action = story.refresh()
    assert action.status == ActionStatus.REOPENED
    assert action.reopenings.get().previous_signoff == signoff
    kept = SignOff.objects.get(pk=signoff.pk)
    assert (kept.decision, kept.printed_name, kept.snapshot_hash) == (
        "approved",
        "Nina Nominated",
        signoff.snapshot_hash,
    )
    assert action.closure_requests.get().status == "approved"
    assert all(report.intact for report in verify_all())


def test_a_reopened_action_can_be_worked_and_closed_again(story, ni, quality, signer_password):
    story.make_ready()
    first = services.approve(actor=ni, closure_request=story.request(), password=signer_password, code=code_for(ni))
    services.reopen(actor=quality, action=story.action, reason="Concern from the GP about a missed dose")
    services.resume_work(actor=story.manager, action=story.action)
    services.add_step(
        actor=story.manager,
        action=story.action,
        what="Senior carer observes 5 evening rounds and records them in the competency log",
        who=story.staff,
        due_date=timezone.localdate(),
    )
    step = story.action.steps.order_by("-order").first()
    services.complete_step(actor=story.staff, step=step)
    story.add_evidence("outcomes", title="Fresh outcome audit")
    services.start_assurance(actor=story.manager, action=story.action)
    second = services.approve(actor=ni, closure_request=story.request(), password=signer_password, code=code_for(ni))
    assert story.refresh().closing_signoff == second
    assert SignOff.objects.filter(decision="approved").count() == 2
    assert first.pk != second.pk
    with pytest.raises(PermissionDenied):
        services.reopen(actor=story.staff, action=story.action, reason="x")
