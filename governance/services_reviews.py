"""Reviews of a plan and its review cadence (DESIGN §5). Each service audits itself.

Cadence moves one notch at a time. A review may step it down (weekly → fortnightly → monthly) while
the plan is open, with a reason; an escalation at a review, or a concern logged against one of the
plan's actions, steps it back up. The next review is due one cadence after the review was held; a
concern brings it forward to one (faster) cadence from the day it was logged, never later than it was.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from governance.models import CadenceChange, CadenceTrigger, Rag, Review, ReviewDecision, ReviewLine
from governance.selectors_reviews import reviewable_actions
from qip import audit, permissions
from qip.models import CADENCE_DAYS, Plan, PlanStatus, ReviewCadence
from qip.plan_services import date_problem, uk_date

STEP_DOWN = {ReviewCadence.WEEKLY: ReviewCadence.FORTNIGHTLY, ReviewCadence.FORTNIGHTLY: ReviewCadence.MONTHLY}
STEP_UP = {
    ReviewCadence.QUARTERLY: ReviewCadence.MONTHLY,
    ReviewCadence.MONTHLY: ReviewCadence.FORTNIGHTLY,
    ReviewCadence.FORTNIGHTLY: ReviewCadence.WEEKLY,
    ReviewCadence.WEEKLY: ReviewCadence.WEEKLY,
}
NEEDS_REASON = {
    ReviewDecision.ESCALATE: "Say why the plan is escalated and what the escalation asks for.",
    ReviewDecision.REVISE: "Say what is to be revised in the plan.",
    ReviewDecision.STEP_DOWN: "Say why reviews can be less frequent (what shows the improvement is holding).",
}
NEEDS_PROGRESS = {Rag.RED, Rag.AMBER}


def next_review(day, cadence):
    return day + timedelta(days=CADENCE_DAYS[cadence])


def cadence_after(decision, cadence):
    """The cadence a review's decision leaves the plan on (step-down refuses where it cannot go lower)."""
    if decision == ReviewDecision.STEP_DOWN:
        if cadence not in STEP_DOWN:
            label = ReviewCadence(cadence).label.lower()
            raise ValidationError(
                {"decision": f"Reviews are already {label}; an open plan steps down no further than monthly."}
            )
        return STEP_DOWN[cadence]
    if decision == ReviewDecision.ESCALATE:
        return STEP_UP[cadence]
    return cadence


def _line_problems(actions, lines):
    problems = {}
    by_action = {line["action"].pk: line for line in lines}
    for action in actions:
        line = by_action.get(action.pk)
        if line is None or line.get("rag") not in Rag.values:
            problems[f"rag_{action.pk}"] = "Choose red, amber or green for this action."
        elif line["rag"] in NEEDS_PROGRESS and not (line.get("progress") or "").strip():
            problems[f"progress_{action.pk}"] = "Say what is behind or at risk, and what is being done about it."
    unknown = set(by_action) - {action.pk for action in actions}
    if unknown:
        problems["__all__"] = "The review includes an action that is closed or not on this plan."
    return problems


def _evidence_problem(plan, evidence_seen):
    wrong = [item for item in evidence_seen if item.plan_id != plan.pk]
    return "Choose evidence of this plan only." if wrong else ""


@transaction.atomic
def record_review(
    *, actor, plan, held_on, decision, lines, evidence_seen=(), summary="", reason="", meeting_date=None, at=None
):
    """Record a review: each open action's RAG and progress, the evidence seen, and the decision.

    `lines` is [{"action": Action, "rag": "red"|"amber"|"green", "progress": str}], one per action
    of reviewable_actions(). The plan's cadence and next review date follow the decision.
    """
    if not permissions.can_record_review(actor, plan):
        raise PermissionDenied("You cannot record a review of this plan.")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.CLOSED:
        raise ValidationError("This plan is closed; it is no longer reviewed.")
    problems = {}
    if decision not in ReviewDecision.values:
        problems["decision"] = "Choose the review's decision."
    if held_on is None:
        problems["held_on"] = "Give the date the review was held."
    elif problem := date_problem(held_on, what="The review date"):
        problems["held_on"] = problem
    elif held_on < timezone.localdate(plan.created_at):
        problems["held_on"] = "The review date cannot be before the plan was created."
    if decision in NEEDS_REASON and not (reason or "").strip():
        problems["reason"] = NEEDS_REASON[decision]
    actions = reviewable_actions(user=actor, plan=plan)
    problems.update(_line_problems(actions, lines))
    evidence_seen = list(evidence_seen)
    if problem := _evidence_problem(plan, evidence_seen):
        problems["evidence_seen"] = problem
    new_cadence = plan.review_cadence
    if "decision" not in problems:
        try:
            new_cadence = cadence_after(decision, plan.review_cadence)
        except ValidationError as error:
            problems.update(error.message_dict)
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})

    now = at or timezone.now()
    review = Review.objects.create(
        plan=plan,
        held_on=held_on,
        recorded_by=actor,
        recorded_at=now,
        decision=decision,
        summary=(summary or "").strip(),
        reason=(reason or "").strip(),
        cadence_before=plan.review_cadence,
        cadence_after=new_cadence,
        next_review_before=plan.next_review_date,
        next_review_on=next_review(held_on, new_cadence),
        meeting_date=meeting_date,
    )
    by_action = {line["action"].pk: line for line in lines}
    ReviewLine.objects.bulk_create(
        ReviewLine(
            review=review,
            action=action,
            rag=by_action[action.pk]["rag"],
            progress=(by_action[action.pk].get("progress") or "").strip(),
            action_status=action.status,
            steps_done=action.steps_done,
            steps_total=action.steps_total,
        )
        for action in actions
    )
    if evidence_seen:
        review.evidence_seen.set(evidence_seen)
    if review.cadence_changed:
        trigger = CadenceTrigger.STEP_DOWN if decision == ReviewDecision.STEP_DOWN else CadenceTrigger.ESCALATION
        CadenceChange.objects.create(
            plan=plan,
            changed_at=now,
            changed_by=actor,
            trigger=trigger,
            from_cadence=review.cadence_before,
            to_cadence=review.cadence_after,
            next_review_before=plan.next_review_date,
            next_review_on=review.next_review_on,
            reason=review.reason,
            review=review,
        )
    plan.review_cadence, plan.next_review_date = new_cadence, review.next_review_on
    plan.save(update_fields=["review_cadence", "next_review_date", "updated_at"])
    audit.record(
        action="review.recorded",
        organisation=plan.organisation_id,
        actor=actor,
        obj=plan,
        data={
            "review": review.pk,
            "held_on": held_on,
            "decision": decision,
            "rag": {str(pk): line["rag"] for pk, line in by_action.items()},
            "cadence": [review.cadence_before, review.cadence_after],
            "next_review_on": review.next_review_on,
            "reason": review.reason,
        },
    )
    return review


def step_up_for_concern(sender, *, concern, actor, **kwargs):
    """A concern on an action of an open plan: review one notch more often, and sooner."""
    plan = Plan.objects.select_for_update().get(pk=concern.action.plan_id)
    if plan.status == PlanStatus.CLOSED:
        return None
    today = timezone.localdate(concern.logged_at)
    new_cadence = STEP_UP[plan.review_cadence]
    sooner = next_review(today, new_cadence)
    new_next = min(plan.next_review_date, sooner) if plan.next_review_date else sooner
    if new_cadence == plan.review_cadence and new_next == plan.next_review_date:
        return None
    change = CadenceChange.objects.create(
        plan=plan,
        changed_at=concern.logged_at,
        changed_by=actor,
        trigger=CadenceTrigger.CONCERN,
        from_cadence=plan.review_cadence,
        to_cadence=new_cadence,
        next_review_before=plan.next_review_date,
        next_review_on=new_next,
        reason=f"{concern.get_kind_display()} on {uk_date(concern.occurred_on)}: {concern.summary[:200]}",
        concern=concern,
    )
    plan.review_cadence, plan.next_review_date = new_cadence, new_next
    plan.save(update_fields=["review_cadence", "next_review_date", "updated_at"])
    audit.record(
        action="plan.cadence_stepped_up",
        organisation=plan.organisation_id,
        actor=actor,
        obj=plan,
        data={
            "change": change.pk,
            "concern": concern.pk,
            "cadence": [change.from_cadence, change.to_cadence],
            "next_review_on": new_next,
        },
    )
    return change
