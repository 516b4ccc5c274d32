"""Every status transition of actions and plans (DESIGN §5). Each service audits itself."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from actions.models import Action, Step
from actions.models import ActionStatus as S
from actions.services import lint_step, step_problems, wording_kept, wording_problem
from governance import gate as closure_gate
from governance import notices
from governance.models import (
    CheckResult,
    ClosureRequest,
    Decision,
    PostClosureCheck,
    Reopening,
    ReopenTrigger,
    RequestStatus,
    SignOff,
)
from governance.signature import action_snapshot, normalised, plan_snapshot, snapshot_hash
from governance.transitions import ClosureRefused, TransitionNotAllowed, move
from qip import audit, permissions, two_factor
from qip.models import Plan, PlanStatus

APPROVAL_STATEMENT = (
    "I have reviewed the closure evidence, the measure and the business-as-usual monitoring plan for "
    "“{subject}”. I am satisfied that the improvement is evidenced from more than one source, has held, "
    "and will stay under routine oversight, and I approve its closure."
)


def _require(allowed, message):
    if not allowed:
        raise PermissionDenied(message)


def _locked(action):
    return Action.objects.select_for_update().select_related("plan", "location", "owner").get(pk=action.pk)


def _audit(code, action, actor, data=None):
    audit.record(action=code, organisation=action.plan.organisation_id, actor=actor, obj=action, data=data)


# Steps


@transaction.atomic
def complete_step(*, actor, step, note="", at=None):
    """Tick a step done; the first done step starts the action, the last completes it."""
    _require(permissions.can_complete_step(actor, step), "You cannot complete this step.")
    action = _locked(step.action)
    step = Step.objects.select_for_update().get(pk=step.pk)
    if step.is_done:
        raise ValidationError("This step is already done.")
    if action.status in (S.AWAITING_SIGNOFF, S.CLOSED):
        raise TransitionNotAllowed(f"The action is {action.get_status_display().lower()}; its steps are fixed.")
    now = at or timezone.now()
    if action.status in (S.OPEN, S.REOPENED):
        move(action, S.IN_PROGRESS, actor=actor, reason="first step done", at=now)
    step.done_at, step.done_by, step.done_note = now, actor, note
    step.save(update_fields=["done_at", "done_by", "done_note"])
    _audit("step.completed", action, actor, {"step": step.pk, "what": step.what[:200], "note": note})
    if action.status == S.IN_PROGRESS and not action.steps.filter(done_at__isnull=True).exists():
        move(action, S.COMPLETED, actor=actor, reason="all steps done", at=now)
    return step


@transaction.atomic
def undo_step(*, actor, step, reason):
    _require(permissions.can_manage_action(actor, step.action), "You cannot change this action's steps.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the step is not done after all."})
    action = _locked(step.action)
    step = Step.objects.select_for_update().get(pk=step.pk)
    if not step.is_done:
        raise ValidationError("This step is not done.")
    if action.status in (S.AWAITING_SIGNOFF, S.CLOSED):
        raise TransitionNotAllowed(f"The action is {action.get_status_display().lower()}; its steps are fixed.")
    was = {"done_at": step.done_at, "done_by": step.done_by_id}
    step.done_at = step.done_by = None
    step.done_note = ""
    step.save(update_fields=["done_at", "done_by", "done_note"])
    _audit("step.undone", action, actor, {"step": step.pk, "reason": reason, "was": was})
    if action.status in (S.COMPLETED, S.ASSURANCE):
        move(action, S.IN_PROGRESS, actor=actor, reason=f"step reopened: {reason}")
    return step


@transaction.atomic
def add_step(*, actor, action, what, who=None, who_role="", due_date=None, recorded_where="", wording_reason=""):
    """A new step; work that was complete is in progress again."""
    _require(permissions.can_manage_action(actor, action), "You cannot change this action's steps.")
    action = _locked(action)
    if action.status in (S.AWAITING_SIGNOFF, S.CLOSED):
        raise TransitionNotAllowed(
            f"The action is {action.get_status_display().lower()}; decide or reopen it before adding steps."
        )
    fields = {"what": what, "who": who, "who_role": who_role, "due_date": due_date, "recorded_where": recorded_where}
    problems = dict(reversed(step_problems(fields, action=action)))
    findings = lint_step(fields)
    if not problems and (problem := wording_problem(findings, wording_reason)):
        problems["what"] = problem
    if problems:
        raise ValidationError(problems)
    order = (action.steps.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    step = Step.objects.create(
        action=action,
        order=order,
        what=what,
        who=who,
        who_role=who_role,
        due_date=due_date,
        recorded_where=recorded_where,
    )
    data = {"step": step.pk, "what": what[:200]}
    if findings:
        data["wording_kept"] = wording_kept(findings, wording_reason)
    _audit("step.added", action, actor, data)
    if action.status in (S.COMPLETED, S.ASSURANCE):
        move(action, S.IN_PROGRESS, actor=actor, reason="a step was added")
    elif action.status == S.REOPENED:
        move(action, S.IN_PROGRESS, actor=actor, reason="work resumed after reopening")
    return step


# Assurance and closure of an action


@transaction.atomic
def start_assurance(*, actor, action):
    """Completed work moves to the monitored holding stage."""
    _require(permissions.can_manage_action(actor, action), "You cannot change this action.")
    action = _locked(action)
    move(action, S.ASSURANCE, actor=actor, reason="monitoring the improvement before closure")
    return action


@transaction.atomic
def resume_work(*, actor, action):
    _require(permissions.can_manage_action(actor, action), "You cannot change this action.")
    action = _locked(action)
    move(action, S.IN_PROGRESS, actor=actor, reason="work resumed after reopening")
    return action


def _written_fields(**texts):
    missing = {name: f"Write the {label}." for name, (label, text) in texts.items() if not (text or "").strip()}
    if missing:
        raise ValidationError(missing)


@transaction.atomic
def request_closure(*, actor, action, bau_monitoring_plan, closure_learning, residual_risks="", at=None):
    _require(permissions.can_request_closure(actor, action), "You cannot request closure of this action.")
    _written_fields(
        bau_monitoring_plan=("business-as-usual monitoring plan", bau_monitoring_plan),
        closure_learning=("closure learning: what worked and what got in the way", closure_learning),
    )
    action = _locked(action)
    if action.status != S.ASSURANCE:
        raise TransitionNotAllowed(
            f"Closure is requested from assurance; this action is {action.get_status_display().lower()}."
        )
    draft = ClosureRequest(
        organisation_id=action.plan.organisation_id,
        action=action,
        requested_by=actor,
        bau_monitoring_plan=bau_monitoring_plan,
        closure_learning=closure_learning,
        residual_risks=residual_risks,
    )
    result = closure_gate.evaluate_action_closure(action, at=at, request=draft)
    if not result.ready_to_request:
        raise ClosureRefused(result, result.failing_before_request)
    draft.gate_at_request = result.as_json()
    draft.save()
    move(action, S.AWAITING_SIGNOFF, actor=actor, reason="closure requested", data={"request": draft.pk})
    _audit("closure.requested", action, actor, {"request": draft.pk, "gate": _codes(result)})
    notices.signoff_requested(draft)
    return draft


def _codes(result):
    return {criterion.code: criterion.passed for criterion in result.criteria}


def _pending(closure_request):
    request = ClosureRequest.objects.select_for_update().get(pk=closure_request.pk)
    if request.status != RequestStatus.PENDING:
        raise ValidationError(
            f"This closure request has already been decided ({request.get_status_display().lower()})."
        )
    return request


def _check_password(actor, password):
    if not password or not actor.check_password(password):
        raise ValidationError({"password": "That is not your password. Signing needs your current password."})


def _role_label(actor, organisation_id):
    membership = permissions.membership_in(actor, organisation_id)
    return membership.get_role_display() if membership else ""


def _sign(request, actor, decision, *, snapshot, gate_result, statement, reason="", at=None):
    snapshot = normalised(snapshot)
    return SignOff.objects.create(
        closure_request=request,
        signer=actor,
        printed_name=actor.get_full_name(),
        role=_role_label(actor, request.organisation_id),
        signed_at=at or timezone.now(),
        decision=decision,
        meaning=Decision(decision).label,
        statement=statement,
        reason=reason,
        snapshot=snapshot,
        snapshot_hash=snapshot_hash(snapshot),
        gate=gate_result.as_json(),
        stability_rule=gate_result.stability_rule,
        stability_params=gate_result.stability_params,
    )


@transaction.atomic
def approve(*, actor, closure_request, password, code=None, at=None):
    """Sign off a closure. Re-runs the whole gate under the row locks; two approvers give one closure.

    Needs the password again and, from anyone with two-factor sign-in, a current code (step-up).
    """
    request = _pending(closure_request)
    _check_password(actor, password)
    two_factor.check_for_signing(actor, code)
    if request.plan_id:
        return _approve_plan(actor, request, at)
    action = _locked(request.action)
    result = closure_gate.evaluate_action_closure(action, actor=actor, at=at, request=request)
    if not result.passed:
        raise ClosureRefused(result)
    now = at or timezone.now()
    signoff = _sign(
        request,
        actor,
        Decision.APPROVED,
        snapshot=action_snapshot(action),
        gate_result=result,
        statement=APPROVAL_STATEMENT.format(subject=action.title),
        at=now,
    )
    request.status, request.decided_at = RequestStatus.APPROVED, now
    request.save(update_fields=["status", "decided_at"])
    action.closing_signoff, action.closed_at, action.reopen_proposed_at = signoff, now, None
    move(
        action,
        S.CLOSED,
        actor=actor,
        reason="closure approved",
        at=now,
        data={"signoff": signoff.pk, "snapshot_hash": signoff.snapshot_hash},
        also_save=("closing_signoff", "closed_at", "reopen_proposed_at"),
    )
    closed_on = timezone.localdate(now)
    for offset in action.criteria.post_closure_offsets:
        PostClosureCheck.objects.create(
            action=action, signoff=signoff, offset_days=offset, due_on=closed_on + timedelta(days=offset)
        )
    _audit("closure.approved", action, actor, {"signoff": signoff.pk, "snapshot_hash": signoff.snapshot_hash})
    notices.closure_decided(signoff)
    return signoff


def _decide_against(actor, closure_request, decision, reason, at):
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason, so the team knows what to do next."})
    request = _pending(closure_request)
    subject = request.action or request.plan
    if request.action_id:
        action = _locked(request.action)
        result = closure_gate.evaluate_action_closure(action, actor=actor, at=at, request=request)
        snapshot = action_snapshot(action)
    else:
        result = closure_gate.evaluate_plan_closure(request.plan, actor=actor, at=at, request=request)
        snapshot = plan_snapshot(request.plan)
    for code in (closure_gate.SIGNER_ROLE, closure_gate.SIGNER_INDEPENDENT):
        if not result.get(code).passed:
            raise PermissionDenied(result.get(code).sentence)
    now = at or timezone.now()
    signoff = _sign(
        request,
        actor,
        decision,
        snapshot=snapshot,
        gate_result=result,
        statement=f"{Decision(decision).label}: {subject}.",
        reason=reason,
        at=now,
    )
    request.status = RequestStatus.CHALLENGED if decision == Decision.CHALLENGED else RequestStatus.REJECTED
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    return request, signoff


@transaction.atomic
def challenge(*, actor, closure_request, reason, at=None):
    """Not yet: back to assurance with the reason (more evidence, a longer run of readings)."""
    request, signoff = _decide_against(actor, closure_request, Decision.CHALLENGED, reason, at)
    if request.action_id:
        move(request.action, S.ASSURANCE, actor=actor, reason=reason, data={"signoff": signoff.pk})
        _audit("closure.challenged", request.action, actor, {"signoff": signoff.pk, "reason": reason})
    else:
        _plan_back_to_open(request.plan, actor, "closure.challenged", reason, signoff)
    notices.closure_decided(signoff)
    return signoff


@transaction.atomic
def reject(*, actor, closure_request, reason, at=None):
    """No: the work is not done; back to in progress with the reason."""
    request, signoff = _decide_against(actor, closure_request, Decision.REJECTED, reason, at)
    if request.action_id:
        move(request.action, S.IN_PROGRESS, actor=actor, reason=reason, data={"signoff": signoff.pk})
        _audit("closure.rejected", request.action, actor, {"signoff": signoff.pk, "reason": reason})
    else:
        _plan_back_to_open(request.plan, actor, "closure.rejected", reason, signoff)
    notices.closure_decided(signoff)
    return signoff


# Reopening and post-closure checks


@transaction.atomic
def reopen(*, actor, action, reason, trigger=ReopenTrigger.JUDGEMENT, concern=None, failed_check=None, at=None):
    """Reopen a closed action. The earlier closure and its signature stay on the record."""
    _require(
        permissions.can_reopen(actor, action.plan.organisation_id),
        "Only a nominated individual or a quality lead can reopen an action.",
    )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for reopening."})
    action = _locked(action)
    if action.status != S.CLOSED:
        raise TransitionNotAllowed(
            f"Only a closed action can be reopened; this one is {action.get_status_display().lower()}."
        )
    now = at or timezone.now()
    reopening = Reopening.objects.create(
        action=action,
        previous_signoff=action.closing_signoff,
        reopened_by=actor,
        reopened_at=now,
        reason=reason,
        trigger=trigger,
        concern=concern,
        failed_check=failed_check,
    )
    action.post_closure_checks.filter(result=CheckResult.DUE).update(
        result=CheckResult.SUPERSEDED, note="Not needed: the action was reopened.", recorded_by=actor, recorded_at=now
    )
    action.closing_signoff, action.closed_at, action.reopen_proposed_at = None, None, None
    move(
        action,
        S.REOPENED,
        actor=actor,
        reason=reason,
        at=now,
        data={"trigger": trigger, "previous_signoff": reopening.previous_signoff_id},
        also_save=("closing_signoff", "closed_at", "reopen_proposed_at"),
    )
    _audit("action.reopened", action, actor, {"reopening": reopening.pk, "trigger": trigger, "reason": reason})
    notices.action_reopened(reopening)
    plan = Plan.objects.select_for_update().get(pk=action.plan_id)
    if plan.status != PlanStatus.OPEN:
        was = plan.status
        plan.status, plan.closed_at = PlanStatus.OPEN, None
        plan.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(
            action="plan.reopened",
            organisation=plan.organisation_id,
            actor=actor,
            obj=plan,
            data={"from": was, "because_of_action": action.pk},
        )
    return reopening


@transaction.atomic
def record_post_closure_check(*, actor, check, result, note="", evidence=None, at=None):
    """Holding (with evidence) or deteriorated (with the reason), which reopens the action."""
    _require(
        permissions.can_reopen(actor, check.action.plan.organisation_id),
        "Post-closure checks are recorded by a quality lead or nominated individual.",
    )
    check = PostClosureCheck.objects.select_for_update().get(pk=check.pk)
    if check.result != CheckResult.DUE:
        raise ValidationError("This check has already been recorded.")
    if result == CheckResult.HOLDING:
        if evidence is None or evidence.action_id != check.action_id or evidence.withdrawn_at:
            raise ValidationError({"evidence": "Choose the evidence that shows the improvement is holding."})
    elif result == CheckResult.DETERIORATED:
        if not note.strip():
            raise ValidationError({"note": "Say what has deteriorated."})
    else:
        raise ValidationError({"result": "Record the check as holding or deteriorated."})
    now = at or timezone.now()
    check.result, check.note, check.evidence = result, note, evidence
    check.recorded_by, check.recorded_at = actor, now
    check.save(update_fields=["result", "note", "evidence", "recorded_by", "recorded_at"])
    _audit(
        "check.recorded", check.action, actor, {"check": check.pk, "offset_days": check.offset_days, "result": result}
    )
    if result == CheckResult.DETERIORATED:
        reopen(
            actor=actor,
            action=check.action,
            reason=f"{check.offset_days}-day check: {note}",
            trigger=ReopenTrigger.FAILED_CHECK,
            failed_check=check,
            at=now,
        )
    return check


# Plans


@transaction.atomic
def request_plan_closure(*, actor, plan, bau_monitoring_plan, closure_learning, residual_risks="", at=None):
    _require(permissions.can_request_plan_closure(actor, plan), "You cannot request closure of this plan.")
    _written_fields(
        bau_monitoring_plan=("business-as-usual monitoring plan", bau_monitoring_plan),
        closure_learning=("closure learning: what worked and what got in the way", closure_learning),
    )
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.OPEN:
        raise TransitionNotAllowed(f"This plan is {plan.get_status_display().lower()}.")
    draft = ClosureRequest(
        organisation_id=plan.organisation_id,
        plan=plan,
        requested_by=actor,
        bau_monitoring_plan=bau_monitoring_plan,
        closure_learning=closure_learning,
        residual_risks=residual_risks,
    )
    result = closure_gate.evaluate_plan_closure(plan, at=at, request=draft)
    if not result.ready_to_request:
        raise ClosureRefused(result, result.failing_before_request)
    draft.gate_at_request = result.as_json()
    draft.save()
    plan.status = PlanStatus.AWAITING_SIGNOFF
    plan.save(update_fields=["status", "updated_at"])
    audit.record(
        action="plan.closure_requested",
        organisation=plan.organisation_id,
        actor=actor,
        obj=plan,
        data={"request": draft.pk},
    )
    notices.signoff_requested(draft)
    return draft


def _approve_plan(actor, request, at):
    plan = Plan.objects.select_for_update().get(pk=request.plan_id)
    result = closure_gate.evaluate_plan_closure(plan, actor=actor, at=at, request=request)
    if not result.passed:
        raise ClosureRefused(result)
    now = at or timezone.now()
    signoff = _sign(
        request,
        actor,
        Decision.APPROVED,
        snapshot=plan_snapshot(plan),
        gate_result=result,
        statement=APPROVAL_STATEMENT.format(subject=plan),
        at=now,
    )
    request.status, request.decided_at = RequestStatus.APPROVED, now
    request.save(update_fields=["status", "decided_at"])
    plan.status, plan.closed_at = PlanStatus.CLOSED, now
    plan.bau_monitoring_plan = request.bau_monitoring_plan
    plan.closure_learning = request.closure_learning
    plan.residual_risks = request.residual_risks
    plan.save(
        update_fields=["status", "closed_at", "bau_monitoring_plan", "closure_learning", "residual_risks", "updated_at"]
    )
    audit.record(
        action="plan.closed",
        organisation=plan.organisation_id,
        actor=actor,
        obj=plan,
        data={"signoff": signoff.pk, "snapshot_hash": signoff.snapshot_hash},
    )
    notices.closure_decided(signoff)
    return signoff


def _plan_back_to_open(plan, actor, code, reason, signoff):
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    plan.status = PlanStatus.OPEN
    plan.save(update_fields=["status", "updated_at"])
    audit.record(
        action=code,
        organisation=plan.organisation_id,
        actor=actor,
        obj=plan,
        data={"signoff": signoff.pk, "reason": reason},
    )
