"""Closure requests, signatures, closed and reopened actions, post-closure checks and closed plans.

The database refuses a closed action without its own approved sign-off (governance/db_guards.py),
so actions go in awaiting sign-off, their requests and sign-offs follow, and one UPDATE per batch
then closes them by pointing at those sign-offs.
"""

import hashlib
import json
import time
from datetime import timedelta

from django.utils import timezone

from actions.models import Action, ActionStatus
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
from qip.models import PlanStatus

from .common import analyse, bulk, chunks, day_start

S = ActionStatus
BAU = "Monthly audit of ten records by the deputy manager, reported to the governance meeting."
LEARNING = "Observing practice and feeding back the same day changed habits; reminder e-mails did not."
STATEMENT = "I have reviewed the closure evidence, the measure and the monitoring plan, and I approve its closure."


def _closed_on(n, final):
    """When the (first) closure was signed: after the work was completed, and for a reopened action
    long enough ago for its 30-day check to have failed."""
    days = 35 + n % 20 if final == S.REOPENED else 3 + (n * 7) % 55
    return timezone.now() - timedelta(days=days)


def _sign(request, signer, at, subject):
    snapshot = {"subject": subject, "request": request.pk, "signed_at": at.isoformat()}
    return SignOff(
        closure_request=request,
        signer=signer,
        printed_name=signer.full_name,
        role="Nominated individual" if signer.email.startswith("ni.") else "Quality lead",
        signed_at=at,
        decision=Decision.APPROVED,
        meaning="I approve the closure of this action",
        statement=STATEMENT,
        snapshot=snapshot,
        snapshot_hash=hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest(),
    )


def close_actions(people, actions, final, chain, progress):
    since = time.perf_counter()
    org = people.organisation
    index = {action.pk: n for n, action in enumerate(actions)}
    wanted = [(n, a) for n, a in enumerate(actions) if final[n] in (S.CLOSED, S.REOPENED, S.AWAITING_SIGNOFF)]
    signed_at = {a.pk: _closed_on(n, final[n]) for n, a in wanted if final[n] != S.AWAITING_SIGNOFF}
    requests = bulk(
        ClosureRequest,
        [
            ClosureRequest(
                organisation=org,
                action=action,
                requested_by=action.owner,
                requested_at=signed_at.get(action.pk, timezone.now()) - timedelta(days=2),
                bau_monitoring_plan=BAU,
                closure_learning=LEARNING,
                status=RequestStatus.PENDING if final[n] == S.AWAITING_SIGNOFF else RequestStatus.APPROVED,
                decided_at=signed_at.get(action.pk),
            )
            for n, action in wanted
        ],
    )
    approved = [r for r in requests if r.status == RequestStatus.APPROVED]
    signoffs = bulk(
        SignOff,
        [
            _sign(r, people.ni if r.action.high_risk else people.approver(r.action.pk), r.decided_at, r.action.title)
            for r in approved
        ],
    )
    for request in requests:
        chain.add(
            "closure.requested",
            request.action,
            at=request.requested_at,
            actor_id=request.requested_by_id,
            label=request.action.title,
            data={"request": request.pk, "gate": []},
        )
    for signoff in signoffs:
        action = signoff.closure_request.action
        chain.add(
            "closure.approved",
            action,
            at=signoff.signed_at,
            actor_id=signoff.signer_id,
            label=action.title,
            data={"signoff": signoff.pk, "snapshot_hash": signoff.snapshot_hash},
        )
    analyse(Action, ClosureRequest, SignOff)  # the closure trigger looks each sign-off up
    closing = []
    for signoff in signoffs:
        action = signoff.closure_request.action
        if final[index[action.pk]] == S.CLOSED:
            action.status, action.closing_signoff, action.closed_at = S.CLOSED, signoff, signoff.signed_at
            closing.append(action)
    Action.objects.bulk_update(closing, ["status", "closing_signoff", "closed_at"], batch_size=500)
    for batch in chunks([a.pk for n, a in wanted if final[n] == S.REOPENED]):
        Action.objects.filter(pk__in=batch).update(status=S.REOPENED)
    progress.table(
        "closure requests and sign-offs", len(requests) + len(signoffs), len(requests) + len(signoffs), since
    )
    _checks_and_reopenings(people, signoffs, final, actions, chain, progress)


def _check(action, signoff, offset, result, by):
    due = timezone.localdate(signoff.signed_at) + timedelta(days=offset)
    recorded = result != CheckResult.DUE
    return PostClosureCheck(
        action=action,
        signoff=signoff,
        offset_days=offset,
        due_on=due,
        result=result,
        note={
            CheckResult.DETERIORATED: "Audit score fell to 70%.",
            CheckResult.SUPERSEDED: "Not needed: reopened.",
        }.get(result, "Audit still at target." if recorded else ""),
        recorded_by=by if recorded else None,
        recorded_at=day_start(due) if recorded else None,
    )


def _checks_and_reopenings(people, signoffs, final, actions, chain, progress):
    """Checks 30 and 90 days after each closure; a reopened action failed its 30-day check."""
    since = time.perf_counter()
    today = timezone.localdate()
    index = {action.pk: n for n, action in enumerate(actions)}
    rows = []
    for signoff in signoffs:
        action = signoff.closure_request.action
        reviewer = people.approver(action.pk)
        for offset in (30, 90):
            if final[index[action.pk]] == S.REOPENED:
                result = CheckResult.DETERIORATED if offset == 30 else CheckResult.SUPERSEDED
            else:
                due = timezone.localdate(signoff.signed_at) + timedelta(days=offset)
                result = CheckResult.HOLDING if due <= today else CheckResult.DUE
            rows.append(_check(action, signoff, offset, result, reviewer))
    checks = bulk(PostClosureCheck, rows)
    recorded = [check for check in checks if check.result != CheckResult.DUE]
    for check in recorded:
        chain.add(
            "check.recorded",
            check.action,
            at=check.recorded_at,
            actor_id=check.recorded_by_id,
            label=check.action.title,
            data={"check": check.pk, "offset_days": check.offset_days, "result": check.result},
        )
    failed = [check for check in checks if check.result == CheckResult.DETERIORATED]
    reopenings = bulk(
        Reopening,
        [
            Reopening(
                action=check.action,
                previous_signoff=check.signoff,
                reopened_by=check.recorded_by,
                reopened_at=check.recorded_at,
                reason=f"30-day check: {check.note}",
                trigger=ReopenTrigger.FAILED_CHECK,
                failed_check=check,
            )
            for check in failed
        ],
    )
    for reopening in reopenings:
        chain.add(
            "action.reopened",
            reopening.action,
            at=reopening.reopened_at,
            actor_id=reopening.reopened_by_id,
            label=reopening.action.title,
            data={"reopening": reopening.pk, "trigger": reopening.trigger, "reason": reopening.reason},
        )
    progress.table(
        "post-closure checks, reopenings", len(checks) + len(reopenings), len(recorded) + len(reopenings), since
    )


def close_plans(people, plans, chain, progress):
    """Plans whose actions are all closed: one awaits the nominated individual, one is signed off."""
    since = time.perf_counter()
    ready = [plan for plan in plans if plan.status != PlanStatus.OPEN]
    requests = bulk(
        ClosureRequest,
        [
            ClosureRequest(
                organisation=people.organisation,
                plan=plan,
                requested_by=plan.owner,
                requested_at=(plan.closed_at or timezone.now()) - timedelta(days=3),
                bau_monitoring_plan=BAU,
                closure_learning=LEARNING,
                status=RequestStatus.APPROVED if plan.status == PlanStatus.CLOSED else RequestStatus.PENDING,
                decided_at=plan.closed_at,
            )
            for plan in ready
        ],
    )
    signoffs = bulk(SignOff, [_sign(r, people.ni, r.decided_at, str(r.plan)) for r in requests if r.decided_at])
    for request in requests:
        chain.add(
            "plan.closure_requested",
            request.plan,
            at=request.requested_at,
            actor_id=request.requested_by_id,
            label=str(request.plan),
            data={"request": request.pk},
        )
    for signoff in signoffs:
        plan = signoff.closure_request.plan
        chain.add(
            "plan.closed",
            plan,
            at=signoff.signed_at,
            actor_id=signoff.signer_id,
            label=str(plan),
            data={"signoff": signoff.pk, "snapshot_hash": signoff.snapshot_hash},
        )
    count = len(requests) + len(signoffs)
    progress.table("plan closures", count, count, since)
