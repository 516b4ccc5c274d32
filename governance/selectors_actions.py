"""Reads for the action screens (create, detail, edit, steps, closure request, concerns).

Each starts from `Model.objects.for_user(user, organisation)`, so another organisation's
objects (or a location the user does not work at) are never found: the views turn that into a 404.
"""

from django.db.models import CharField, Prefetch, Q
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from actions.models import Action, ClosureCriteria, Step
from evidence.models import Concern, EvidenceItem, Measure, MeasureReading
from qip import permissions
from qip.models import AuditEvent, Membership, Plan, Role, User

# Objects


def plan_for_user(*, user, organisation, pk):
    return get_object_or_404(Plan.objects.for_user(user, organisation).prefetch_related("locations"), pk=pk)


def action_for_user(*, user, organisation, pk):
    """The action with what its forms and permission checks read (plan, location, owner, criteria)."""
    return get_object_or_404(
        Action.objects.for_user(user, organisation).select_related("plan", "location", "owner", "criteria"), pk=pk
    )


def step_for_user(*, user, organisation, pk):
    return get_object_or_404(
        Step.objects.for_user(user, organisation).select_related("action__plan", "action__location"), pk=pk
    )


def action_for_detail(*, user, organisation, pk):
    """Everything the action page shows, loaded in a fixed number of queries whatever the number of rows.

    `steps` and `concerns` are prefetched (the closure gate reads them from the prefetch too);
    `evidence_items` holds every evidence item (withdrawn ones included) with category and files.
    """
    evidence = EvidenceItem.objects.select_related(
        "category", "collected_by", "added_by", "withdrawn_by", "assures_step", "location"
    ).prefetch_related("files")
    return get_object_or_404(
        Action.objects.for_user(user, organisation)
        .select_related("plan", "location", "owner", "created_by", "criteria", "criteria__named_reviewer", "measure")
        .prefetch_related(
            Prefetch("steps", queryset=Step.objects.select_related("who", "done_by").order_by("order", "pk")),
            Prefetch("concerns", queryset=Concern.objects.select_related("logged_by")),
            Prefetch("evidence", queryset=evidence, to_attr="evidence_items"),
        ),
        pk=pk,
    )


def pending_closure_request(*, action):
    """The action's closure request awaiting a decision, or None."""
    return action.closure_requests.filter(status="pending").select_related("requested_by").first()


# Choices on the forms


def manageable_locations(*, user, plan):
    """The plan's current locations where the user may add an action."""
    return [
        location
        for location in plan.locations.all()
        if not location.is_archived and permissions.can_create_action(user, plan, location)
    ]


def assignable_people(*, user, organisation, locations, include=()):
    """Active people who can be given work (owner, step) at one of `locations`: not viewers.

    A membership with no listed locations covers every location; the service checks the exact
    location. `include` adds people already chosen (a current owner), so an edit form shows them.
    """
    location_ids = [location.pk for location in locations]
    memberships = (
        Membership.objects.for_user(user, organisation)
        .active()
        .exclude(role=Role.VIEWER)
        .filter(Q(locations__isnull=True) | Q(locations__in=location_ids))
        .values("user_id")
    )
    chosen = [person.pk for person in include if person is not None]
    return User.objects.filter(Q(pk__in=memberships, is_active=True) | Q(pk__in=chosen)).order_by("full_name", "pk")


# History


def _ids_as_text(queryset):
    return queryset.annotate(text_id=Cast("pk", output_field=CharField())).values("text_id")


def action_events(*, user, organisation, action):
    """Audit events about the action and everything on it (steps, criteria, measure, readings, evidence,
    concerns), newest first: one query whatever the number of rows."""
    related = {
        "actions.step": Step.objects.filter(action=action),
        "actions.closurecriteria": ClosureCriteria.objects.filter(action=action),
        "evidence.measure": Measure.objects.filter(action=action),
        "evidence.measurereading": MeasureReading.objects.filter(measure__action=action),
        "evidence.evidenceitem": EvidenceItem.objects.filter(action=action),
        "evidence.concern": Concern.objects.filter(action=action),
    }
    about = Q(object_type="actions.action", object_id=str(action.pk))
    for object_type, queryset in related.items():
        about |= Q(object_type=object_type, object_id__in=_ids_as_text(queryset))
    return AuditEvent.objects.for_user(user, organisation).filter(about).select_related("actor").order_by("-at", "-seq")
