"""Reads for the governance agenda: what a meeting on a given date should look at. Each starts from `for_user()`."""

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Lower

from actions.models import Action
from governance import gate
from governance.models import ClosureRequest, Review
from governance.selectors_checks import due_checks
from governance.selectors_dashboard import stalled_plans
from qip.models import Location, Plan, PlanStatus, Role


def _last_review(field):
    return Subquery(
        Review.objects.filter(plan=OuterRef("pk")).order_by("-held_on", "-recorded_at", "-pk").values(field)[:1]
    )


def plans_due(*, user, organisation, meeting):
    """Open plans whose review falls due on or before the meeting, soonest first, and those whose outcome
    was recorded from this meeting's agenda (so the meeting sees what it decided).

    Each has its visible actions (by location), `last_held_on`/`last_decision` of its latest review, and
    `outcome`: the review recorded from this meeting's agenda, if any.
    """
    visible_actions = Action.objects.for_user(user, organisation).select_related("location")
    plans = list(
        Plan.objects.for_user(user, organisation)
        .filter(status__in=[PlanStatus.OPEN, PlanStatus.AWAITING_SIGNOFF])
        .filter(
            Q(next_review_date__lte=meeting)
            | Q(Exists(Review.objects.filter(plan=OuterRef("pk"), meeting_date=meeting)))
        )
        .select_related("owner")
        .prefetch_related(
            Prefetch("actions", queryset=visible_actions.order_by(Lower("location__name"), "pk"), to_attr="shown"),
            Prefetch("locations", queryset=Location.objects.order_by(Lower("name"))),
        )
        .annotate(last_held_on=_last_review("held_on"), last_decision=_last_review("decision"))
        .order_by("next_review_date", "reference")
    )
    outcomes = {
        review.plan_id: review
        for review in Review.objects.for_user(user, organisation)
        .filter(plan__in=[plan.pk for plan in plans], meeting_date=meeting)
        .order_by("recorded_at")
    }
    for plan in plans:
        plan.outcome = outcomes.get(plan.pk)
    return plans


def awaiting_signoff(*, user, organisation):
    """Pending closure requests on actions and plans the user can see, oldest first."""
    visible = Q(action__in=Action.objects.for_user(user, organisation)) | Q(
        plan__in=Plan.objects.for_user(user, organisation)
    )
    requests = list(
        ClosureRequest.objects.for_user(user, organisation)
        .pending()
        .filter(visible)
        .select_related("requested_by", "plan", "action__plan", "action__location", "action__criteria")
        .order_by("requested_at", "pk")
    )
    for request in requests:
        # Who must decide is the gate's rule (a plan always needs a nominated individual).
        needed = gate.required_role(request.action) if request.action_id else Role.NOMINATED_INDIVIDUAL
        request.needs = (
            "Nominated individual" if needed == Role.NOMINATED_INDIVIDUAL else "Quality lead or nominated individual"
        )
    return requests


def checks_due(*, user, organisation, meeting):
    return list(due_checks(user=user, organisation=organisation).filter(due_on__lte=meeting))


def agenda(*, user, organisation, meeting, today):
    return {
        "plans_due": plans_due(user=user, organisation=organisation, meeting=meeting),
        "awaiting_signoff": awaiting_signoff(user=user, organisation=organisation),
        "checks_due": checks_due(user=user, organisation=organisation, meeting=meeting),
        "stalled": list(stalled_plans(user=user, organisation=organisation, today=today)),
    }
