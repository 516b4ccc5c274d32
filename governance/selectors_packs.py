"""Reads for the commissioner pack (DESIGN.md §8). Each starts from `for_user()`.

`pack_plans` is one query (plus prefetches) for every plan in the pack; `plan_records` is a fixed
number of queries per plan whatever its number of actions, steps, evidence items or reviews.
Nothing here decides what is printed: governance.packs does (and redacts).
"""

from django.db.models import Prefetch, Q
from django.db.models.functions import Lower

from actions.models import Action, ClosureCriteria, Step
from evidence.models import Concern, EvidenceItem, MeasureReading
from governance.models import CadenceChange, ClosureRequest, PostClosureCheck, Reopening, Review, ReviewLine, SignOff
from governance.selectors_plans import with_flags
from qip.models import AuditEvent, EvidenceCategory, Location, Plan, PlanStatus, QualityStatement, Regulation


def _plan_ids(plans):
    return [getattr(plan, "pk", plan) for plan in plans]


def pack_plans(*, user, organisation, plans, date_from, date_to, include_closed, locations=None, today=None):
    """The plans asked for that the user may see in `organisation`, live at some time in the period.

    `plans`: Plan objects or primary keys; any the user cannot see in this organisation (another
    organisation's, say) are silently left out. "Live in the period" = created on or before
    `date_to` and not closed before `date_from`. Closed plans only with `include_closed`.
    With `locations`, only plans at one of them. Ordered by reference.
    """
    visible = Plan.objects.for_user(user, organisation).filter(
        organisation=organisation, pk__in=_plan_ids(plans), created_at__date__lte=date_to
    )
    visible = visible.filter(Q(closed_at__isnull=True) | Q(closed_at__date__gte=date_from))
    if not include_closed:
        visible = visible.exclude(status=PlanStatus.CLOSED)
    if locations is not None:
        visible = visible.filter(pk__in=Plan.objects.filter(locations__in=_plan_ids(locations)).values("pk"))
    visible = visible.select_related("owner").prefetch_related(
        Prefetch("locations", queryset=Location.objects.order_by(Lower("name"), "pk")),
        Prefetch(
            "quality_statements",
            queryset=QualityStatement.objects.select_related("key_question").order_by(
                "key_question__order", "order", "pk"
            ),
        ),
        Prefetch("regulations", queryset=Regulation.objects.order_by("framework", "order")),
    )
    return list(with_flags(visible, today=today).order_by("reference", "pk"))


def evidence_categories():
    """The six evidence categories of the current framework, in order."""
    return list(EvidenceCategory.objects.filter(framework__is_current=True).order_by("order", "pk"))


def plan_records(*, user, organisation, plan, locations=None):
    """Everything the pack prints about one plan, as lists, in a fixed number of queries.

    Returns a dict: actions (location, owner, criteria, measure with readings oldest first, steps with
    who/done_by, concerns newest first), evidence (oldest first), reviews (oldest first, with lines),
    cadence_changes, closure_requests (oldest first, with requested_by and sign-offs oldest first),
    checks, reopenings and criteria_changes (the "criteria.changed" audit events after the action
    started, oldest first).

    With `locations` (a pack for some locations), only the actions at those locations and the evidence
    of those actions or of the plan as a whole (plan evidence at another location is left out).
    """
    actions = Action.objects.for_user(user, organisation).filter(plan=plan)
    evidence = EvidenceItem.objects.for_user(user, organisation).filter(plan=plan)
    if locations is not None:
        location_ids = _plan_ids(locations)
        actions = actions.filter(location_id__in=location_ids)
        evidence = evidence.filter(Q(location__isnull=True) | Q(location_id__in=location_ids))
    actions = list(
        actions.select_related("location", "owner", "criteria", "measure")
        .prefetch_related(
            Prefetch("measure__readings", queryset=MeasureReading.objects.order_by("period_end", "pk")),
            Prefetch("steps", queryset=Step.objects.select_related("who", "done_by").order_by("order", "pk")),
            Prefetch("concerns", queryset=Concern.objects.order_by("occurred_on", "pk")),
        )
        .order_by(Lower("location__name"), "location_id", "due_date", "pk")
    )
    action_ids = [action.pk for action in actions]
    evidence = list(
        evidence.filter(Q(action__isnull=True) | Q(action_id__in=action_ids))
        .select_related("category", "action", "collected_by")
        .order_by("collected_on", "pk")
    )
    reviews = list(
        Review.objects.for_user(user, organisation)
        .filter(plan=plan)
        .select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReviewLine.objects.filter(action_id__in=action_ids).select_related("action").order_by("pk"),
            )
        )
        .order_by("held_on", "recorded_at", "pk")
    )
    cadence_changes = list(
        CadenceChange.objects.for_user(user, organisation)
        .filter(plan=plan)
        .select_related("changed_by")
        .order_by("changed_at", "pk")
    )
    closure_requests = list(
        ClosureRequest.objects.for_user(user, organisation)
        .filter(Q(plan=plan) | Q(action_id__in=action_ids))
        .select_related("requested_by", "action")
        .prefetch_related(Prefetch("signoffs", queryset=SignOff.objects.order_by("signed_at", "pk")))
        .order_by("requested_at", "pk")
    )
    checks = list(
        PostClosureCheck.objects.for_user(user, organisation)
        .filter(action_id__in=action_ids)
        .select_related("action", "recorded_by", "evidence")
        .order_by("due_on", "pk")
    )
    reopenings = list(
        Reopening.objects.for_user(user, organisation)
        .filter(action_id__in=action_ids)
        .select_related("action", "reopened_by", "previous_signoff")
        .order_by("reopened_at", "pk")
    )
    criteria_ids = [str(action.criteria.pk) for action in actions if has_related(action, "criteria")]
    criteria_events = (
        AuditEvent.objects.for_user(user, organisation)
        .filter(action="criteria.changed", object_type=ClosureCriteria._meta.label_lower, object_id__in=criteria_ids)
        .select_related("actor")
        .order_by("at", "seq")
    )
    criteria_changes = [event for event in criteria_events if (event.data or {}).get("after_start")]
    return {
        "actions": actions,
        "evidence": evidence,
        "reviews": reviews,
        "cadence_changes": cadence_changes,
        "closure_requests": closure_requests,
        "checks": checks,
        "reopenings": reopenings,
        "criteria_changes": criteria_changes,
    }


def has_related(obj, name):
    """True when a reverse one-to-one (`criteria`, `measure`) exists; it was loaded with select_related."""
    try:
        getattr(obj, name)
    except (Action.criteria.RelatedObjectDoesNotExist, Action.measure.RelatedObjectDoesNotExist):
        return False
    return True
