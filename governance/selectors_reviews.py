"""Reads for the review screens and the plan's review timeline. Each starts from `for_user()`."""

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from actions.models import Action, ActionStatus, Step
from evidence.models import EvidenceItem, MeasureReading
from governance.models import CadenceChange, Rag, Review, ReviewLine


def reviewable_actions(*, user, plan):
    """The plan's actions a review covers: those the reviewer can see that are not closed.

    Each has its steps, its measure with readings (newest first) and `last_line`: its line at the
    plan's latest review, or None.
    """
    actions = list(
        Action.objects.for_user(user, plan.organisation_id)
        .filter(plan=plan)
        .exclude(status=ActionStatus.CLOSED)
        .select_related("location", "owner", "measure")
        .prefetch_related(
            Prefetch("steps", queryset=Step.objects.order_by("order", "pk")),
            Prefetch("measure__readings", queryset=MeasureReading.objects.order_by("-period_end", "-pk")),
        )
        .order_by(Lower("location__name"), "location_id", "pk")
    )
    latest = Review.objects.filter(plan=plan).order_by("-held_on", "-recorded_at", "-pk").first()
    lines = {}
    if latest is not None:
        lines = {line.action_id: line for line in ReviewLine.objects.filter(review=latest)}
    for action in actions:
        action.last_line = lines.get(action.pk)
        action.steps_done = sum(step.done_at is not None for step in action.steps.all())
        action.steps_total = len(action.steps.all())
        measure = getattr(action, "measure", None)
        action.latest_reading = next(iter(measure.readings.all()), None) if measure else None
    return actions


def evidence_for_review(*, user, plan):
    """The plan's evidence (its own and its actions') the reviewer can see, newest first; none withdrawn."""
    return list(
        EvidenceItem.objects.for_user(user, plan.organisation_id)
        .filter(plan=plan, withdrawn_at__isnull=True)
        .select_related("category", "action")
        .order_by("-collected_on", "-pk")
    )


def latest_review(*, user, organisation, plan):
    return Review.objects.for_user(user, organisation).filter(plan=plan).order_by("-held_on", "-recorded_at").first()


def review_for_user(*, user, organisation, pk):
    """One review of a plan the user can see (else 404), with its lines and the evidence seen."""
    reviews = (
        Review.objects.for_user(user, organisation)
        .select_related("plan", "recorded_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReviewLine.objects.filter(action__in=Action.objects.for_user(user, organisation))
                .select_related("action", "action__location")
                .order_by(Lower("action__location__name"), "action_id"),
            ),
            Prefetch(
                "evidence_seen",
                queryset=EvidenceItem.objects.for_user(user, organisation).select_related("category", "action"),
            ),
        )
    )
    return get_object_or_404(reviews, pk=pk)


def _rag_counts():
    return {f"rag_{rag}": Count("lines", filter=Q(lines__rag=rag)) for rag in Rag.values}


def timeline(*, user, organisation, plan, with_reviews=True, with_changes=True):
    """The plan's reviews and the cadence changes made outside a review, newest first.

    Each entry is {"kind": "review"|"cadence", "at": date, "obj": ...}; reviews carry rag_red,
    rag_amber and rag_green counts. A caller that knows there are no reviews (or no such changes)
    says so with with_reviews=False (with_changes=False), sparing the query.
    """
    reviews = (
        Review.objects.for_user(user, organisation)
        .filter(plan=plan)
        .select_related("recorded_by")
        .annotate(**_rag_counts())
        if with_reviews
        else []
    )
    changes = (
        CadenceChange.objects.for_user(user, organisation)
        .filter(plan=plan, review__isnull=True)
        .select_related("changed_by", "concern")
        if with_changes
        else []
    )
    entries = [{"kind": "review", "on": review.held_on, "at": review.recorded_at, "obj": review} for review in reviews]
    entries += [
        {"kind": "cadence", "on": timezone.localdate(change.changed_at), "at": change.changed_at, "obj": change}
        for change in changes
    ]
    return sorted(entries, key=lambda entry: (entry["on"], entry["at"]), reverse=True)
