"""Recording a review of a plan, and reading one back (issue 5). Plain forms: no JavaScript needed."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from governance import selectors_agenda, selectors_plans, selectors_reviews, services_reviews
from governance.forms_reviews import ReviewForm
from governance.models import ReviewDecision
from qip import permissions
from qip.decorators import member_required, permission_required
from qip.forms_admin import add_service_errors
from qip.models import PlanStatus
from qip.plan_services import uk_date

NEXT_STEP = {
    ReviewDecision.REVISE: "Edit the plan to make the agreed revisions.",
    ReviewDecision.READY_TO_CLOSE: "Put the plan forward for closure once every action is closed.",
}


def meeting_date(request):
    """The governance meeting a review is recorded from (?meeting=YYYY-MM-DD), or None."""
    try:
        return date.fromisoformat(request.POST.get("meeting") or request.GET.get("meeting") or "")
    except ValueError:
        return None


@member_required
def review_add(request, plan_pk):
    user, organisation = request.user, request.organisation
    plan = get_object_or_404(selectors_plans.plan_for_detail(user=user, organisation=organisation), pk=plan_pk)
    if not permissions.can_record_review(user, plan):
        raise PermissionDenied
    if plan.status == PlanStatus.CLOSED:
        messages.error(request, f"{plan.reference} is closed; it is no longer reviewed.")
        return redirect("plan_detail", pk=plan.pk)
    meeting = meeting_date(request)
    actions = selectors_reviews.reviewable_actions(user=user, plan=plan)
    evidence = selectors_reviews.evidence_for_review(user=user, plan=plan)
    last = selectors_reviews.latest_review(user=user, organisation=organisation, plan=plan)
    form = ReviewForm(
        request.POST if request.method == "POST" else None,
        plan=plan,
        actions=actions,
        evidence=evidence,
        new_since=last.recorded_at if last else None,
        initial={"held_on": meeting or selectors_plans.uk_today()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            review = services_reviews.record_review(
                actor=user, plan=plan, meeting_date=meeting, **form.service_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = f"Review recorded. Next review of {plan.reference} is due {uk_date(review.next_review_on)}."
            if review.decision in NEXT_STEP:
                text += " " + NEXT_STEP[review.decision]
            messages.success(request, text)
            if meeting:
                return redirect(f"{reverse('governance_agenda')}?date={meeting.isoformat()}#plan-{plan.pk}")
            return redirect(reverse("plan_detail", args=[plan.pk]) + "#reviews")
    context = {
        "plan": plan,
        "form": form,
        "meeting": meeting,
        "last_review": last,
        "new_since": last.recorded_at if last else None,
        "evidence": evidence,
        "decision_notes": form.decision_notes(),
        "review_overdue": plan.next_review_date is not None and plan.next_review_date < selectors_plans.uk_today(),
    }
    return render(request, "governance/review_form.html", context)


@member_required
@require_GET
def review_detail(request, pk):
    review = selectors_reviews.review_for_user(user=request.user, organisation=request.organisation, pk=pk)
    return render(request, "governance/review_detail.html", {"review": review, "plan": review.plan})


@permission_required(permissions.can_view_agenda)
@require_GET
def governance_agenda(request):
    """The printable agenda for a meeting date: plans due for review, sign-offs waiting, checks due, stalled plans."""
    today = selectors_plans.uk_today()
    meeting, problem = today, ""
    if request.GET.get("date"):
        try:
            meeting = date.fromisoformat(request.GET["date"])
        except ValueError:
            problem = "Enter the meeting date as a real date, for example 2026-12-01."
    context = {
        "meeting": meeting,
        "problem": problem,
        "today": today,
        **selectors_agenda.agenda(user=request.user, organisation=request.organisation, meeting=meeting, today=today),
    }
    for plan in context["plans_due"]:
        plan.can_record = permissions.can_record_review(request.user, plan)
    return render(request, "governance/agenda.html", context)
