"""Every move of DESIGN §5, the sign-off record, and the paths that must not close an action."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from actions.models import Action, ActionStatus
from governance import services
from governance.models import CheckResult, ClosureRequest, PostClosureCheck, Reopening, SignOff
from governance.signature import snapshot_hash
from governance.transitions import ALLOWED, ClosureRefused, TransitionNotAllowed
from qip.models import AuditEvent
from qip.tests.two_factor_support import code_for


def statuses(story):
    return list(
        AuditEvent.objects.for_object(story.action)
        .filter(action="action.status_changed")
        .order_by("seq")
        .values_list("data__to", flat=True)
    )


def close(story, signer, password):
    story.make_ready()
    request = story.request()
    return services.approve(actor=signer, closure_request=request, password=password, code=code_for(signer))


def test_the_allowed_table_is_the_lifecycle_of_design_section_5():
    assert ALLOWED["open"] == {"in_progress"}
    assert ALLOWED["awaiting_signoff"] == {"closed", "assurance", "in_progress"}
    assert ALLOWED["closed"] == {"reopened"}
    assert not any("closed" in targets for state, targets in ALLOWED.items() if state != "awaiting_signoff")


def test_steps_start_and_complete_the_action(story):
    services.complete_step(actor=story.staff, step=story.steps[0])
    assert story.refresh().status == ActionStatus.IN_PROGRESS
    assert story.action.started_at is not None
    services.complete_step(actor=story.staff, step=story.steps[1])
    assert story.refresh().status == ActionStatus.COMPLETED
    assert statuses(story) == ["in_progress", "completed"]


def test_staff_cannot_tick_someone_elses_step(story, org, home):
    from qip.tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory()
    MembershipFactory(user=colleague, organisation=org, role="staff", locations=[home])
    with pytest.raises(PermissionDenied):
        services.complete_step(actor=colleague, step=story.steps[0])
    assert story.refresh().status == ActionStatus.OPEN


def test_a_new_step_puts_completed_work_back_in_progress(story):
    story.do_steps()
    services.add_step(
        actor=story.manager,
        action=story.action,
        what="Deputy re-audits 10 MAR charts and records the result in the MAR audit file",
        who=story.staff,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    assert story.refresh().status == ActionStatus.IN_PROGRESS


def test_closure_cannot_be_requested_before_the_gate_allows_and_every_reason_is_given(story):
    story.do_steps()
    services.start_assurance(actor=story.manager, action=story.action)
    with pytest.raises(ClosureRefused) as refused:
        story.request()
    codes = {criterion.code for criterion in refused.value.failing}
    assert {"evidence_sources", "measure_target", "stability"} <= codes
    assert len(refused.value.messages) >= 3
    assert story.refresh().status == ActionStatus.ASSURANCE
    assert not ClosureRequest.objects.exists()


def test_request_needs_the_bau_plan_and_learning_beside_their_fields(story):
    story.make_ready()
    with pytest.raises(ValidationError) as error:
        services.request_closure(actor=story.manager, action=story.action, bau_monitoring_plan="", closure_learning=" ")
    assert set(error.value.message_dict) == {"bau_monitoring_plan", "closure_learning"}


def test_approval_closes_the_action_with_a_full_signature_and_creates_the_checks(story, ni, signer_password):
    signoff = close(story, ni, signer_password)

    action = story.refresh()
    assert action.status == ActionStatus.CLOSED
    assert action.closing_signoff == signoff
    assert signoff.printed_name == "Nina Nominated"
    assert signoff.role == "Nominated individual"
    assert signoff.meaning == "Approved for closure"
    assert "approve its closure" in signoff.statement
    assert signoff.snapshot_hash == snapshot_hash(signoff.snapshot)
    assert {item["category"] for item in signoff.snapshot["evidence"]} == {"processes", "observation"}
    assert signoff.stability_rule == "target_held"
    assert signoff.stability_params["window_days"] == 56
    assert all(criterion["passed"] for criterion in signoff.gate)
    checks = PostClosureCheck.objects.filter(action=action).order_by("offset_days")
    assert [(c.offset_days, c.due_on - timezone.localdate()) for c in checks] == [
        (30, timedelta(days=30)),
        (90, timedelta(days=90)),
    ]
    assert AuditEvent.objects.for_object(action).filter(action="closure.approved").count() == 1


def test_approval_needs_the_signers_current_password(story, ni):
    story.make_ready()
    request = story.request()
    with pytest.raises(ValidationError) as error:
        services.approve(actor=ni, closure_request=request, password="wrong password", code=code_for(ni))
    assert "password" in error.value.message_dict
    assert story.refresh().status == ActionStatus.AWAITING_SIGNOFF
    assert not SignOff.objects.exists()


def test_the_gate_is_rerun_at_approval(story, ni, signer_password):
    story.make_ready()
    request = story.request()
    story.action.evidence.filter(category__slug="observation").update(
        withdrawn_at=timezone.now(), withdrawn_by=story.manager, withdrawn_reason="Wrong home"
    )
    with pytest.raises(ClosureRefused) as refused:
        services.approve(actor=ni, closure_request=request, password=signer_password, code=code_for(ni))
    assert [c.code for c in refused.value.failing] == ["evidence_sources"]
    assert story.refresh().status == ActionStatus.AWAITING_SIGNOFF


def test_a_request_is_decided_once(story, ni, quality, signer_password):
    close(story, ni, signer_password)
    request = ClosureRequest.objects.get()
    with pytest.raises(ValidationError, match="already been decided"):
        services.approve(actor=quality, closure_request=request, password=signer_password, code=code_for(quality))
    assert SignOff.objects.count() == 1


def test_challenge_returns_to_assurance_and_reject_to_in_progress_with_their_reasons(story, ni):
    story.make_ready()
    services.challenge(actor=ni, closure_request=story.request(), reason="Two more months of readings")
    assert story.refresh().status == ActionStatus.ASSURANCE
    services.reject(actor=ni, closure_request=story.request(), reason="Night staff not observed")
    assert story.refresh().status == ActionStatus.IN_PROGRESS
    decisions = list(SignOff.objects.order_by("signed_at").values_list("decision", "reason"))
    assert decisions == [("challenged", "Two more months of readings"), ("rejected", "Night staff not observed")]


def test_challenge_needs_a_reason_a_senior_role_and_an_independent_signer(story, ni, quality):
    story.make_ready()
    request = story.request(by=quality)
    with pytest.raises(ValidationError):
        services.challenge(actor=ni, closure_request=request, reason="")
    with pytest.raises(PermissionDenied, match="registered manager"):
        services.challenge(actor=story.manager, closure_request=request, reason="Not yet")
    with pytest.raises(PermissionDenied, match="requested closure"):
        services.challenge(actor=quality, closure_request=request, reason="Not yet")
    assert story.refresh().status == ActionStatus.AWAITING_SIGNOFF


def test_reopening_keeps_the_earlier_closure_and_signature(story, ni, quality, signer_password):
    signoff = close(story, ni, signer_password)
    reopening = services.reopen(actor=quality, action=story.action, reason="Two missed doses this week")
    action = story.refresh()
    assert action.status == ActionStatus.REOPENED
    assert action.closing_signoff is None
    assert reopening.previous_signoff == signoff
    assert SignOff.objects.get(pk=signoff.pk).decision == "approved"
    assert set(PostClosureCheck.objects.values_list("result", flat=True)) == {CheckResult.SUPERSEDED}


def test_only_a_quality_lead_or_nominated_individual_can_reopen(story, ni, signer_password):
    close(story, ni, signer_password)
    with pytest.raises(PermissionDenied):
        services.reopen(actor=story.manager, action=story.action, reason="Worried")
    assert story.refresh().status == ActionStatus.CLOSED


def test_a_failed_post_closure_check_reopens_the_action(story, ni, quality, signer_password):
    close(story, ni, signer_password)
    check = PostClosureCheck.objects.get(offset_days=30)
    services.record_post_closure_check(actor=quality, check=check, result="deteriorated", note="MAR gaps again")
    assert story.refresh().status == ActionStatus.REOPENED
    reopening = Reopening.objects.get()
    assert (reopening.trigger, reopening.failed_check) == ("failed_check", check)
    assert "MAR gaps again" in reopening.reason


def test_a_holding_check_needs_evidence(story, ni, quality, signer_password):
    close(story, ni, signer_password)
    check = PostClosureCheck.objects.get(offset_days=30)
    with pytest.raises(ValidationError) as error:
        services.record_post_closure_check(actor=quality, check=check, result="holding")
    assert "evidence" in error.value.message_dict
    audit = story.add_evidence("outcomes", title="30-day MAR audit")
    services.record_post_closure_check(actor=quality, check=check, result="holding", evidence=audit)
    assert PostClosureCheck.objects.get(pk=check.pk).result == CheckResult.HOLDING
    assert story.refresh().status == ActionStatus.CLOSED


def test_no_move_outside_the_table(story):
    with pytest.raises(TransitionNotAllowed):
        services.start_assurance(actor=story.manager, action=story.action)
    with pytest.raises(TransitionNotAllowed):
        services.request_closure(
            actor=story.manager, action=story.action, bau_monitoring_plan="x", closure_learning="y"
        )
    assert story.refresh().status == ActionStatus.OPEN


# No other path to "closed"


def test_a_queryset_update_cannot_close_an_action(story):
    story.make_ready()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Action.objects.filter(pk=story.action.pk).update(status="closed", closed_at=timezone.now())
    assert story.refresh().status == ActionStatus.ASSURANCE


def test_another_actions_approval_cannot_close_this_one(story, ni, signer_password, org, home, manager, staff):
    from governance.tests.conftest import Story

    signoff = close(story, ni, signer_password)
    other = Story(org=org, home=home, manager=manager, staff=staff)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Action.objects.filter(pk=other.action.pk).update(status="closed", closed_at=timezone.now())
    with pytest.raises((IntegrityError, DatabaseError), match="own approved sign-off"), transaction.atomic():
        # `signoff` approved the closure of story's action, not other's.
        Action.objects.filter(pk=other.action.pk).update(
            status="closed", closed_at=timezone.now(), closing_signoff=signoff
        )
    assert other.refresh().status == ActionStatus.OPEN


def test_signatures_cannot_be_changed_or_deleted(story, ni, signer_password):
    signoff = close(story, ni, signer_password)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).update(printed_name="Someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_signoff WHERE id = %s", [signoff.pk])
    assert SignOff.objects.get(pk=signoff.pk).printed_name == "Nina Nominated"


def test_there_is_no_django_admin_to_go_around_the_gate(client, admin):
    client.force_login(admin)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/actions/action/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks across connections")
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_approvals_give_one_closure(org, home, manager, staff, ni, quality, signer_password):
    from governance.tests.conftest import Story

    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    request = story.request()
    signers = [ni, quality] * 5
    start = threading.Barrier(len(signers))
    outcomes = []

    def approve(signer):
        try:
            start.wait()
            services.approve(actor=signer, closure_request=request, password=signer_password, code=code_for(signer))
            outcomes.append("approved")
        except (ValidationError, IntegrityError) as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(signer,)) for signer in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("approved") == 1
    assert SignOff.objects.filter(decision="approved").count() == 1
    assert PostClosureCheck.objects.count() == 2
    assert story.refresh().status == ActionStatus.CLOSED


def test_adding_a_step_checks_it_like_any_other_step(story, outsider):
    Action.objects.filter(pk=story.action.pk).update(due_date=timezone.localdate() + timedelta(days=7))
    with pytest.raises(ValidationError) as error:
        services.add_step(
            actor=story.manager,
            action=story.refresh(),
            what="Deputy re-audits 10 MAR charts and records the result in the MAR audit file",
            who=outsider,
            due_date=timezone.localdate() + timedelta(days=30),
        )
    assert set(error.value.message_dict) == {"who", "due_date"}
    assert story.action.steps.count() == 2
