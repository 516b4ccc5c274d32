"""Reads for the action screens (create, detail, edit, steps, closure request, concerns).

Each starts from `Model.objects.for_user(user, organisation)`, so another organisation's
objects (or a location the user does not work at) are never found: the views turn that into a 404.
"""

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from actions.models import Action, ClosureCriteria, Step
from evidence.models import Concern, EvidenceItem, Measure, MeasureReading
from evidence.selectors_measures import measure_of
from governance.models import RequestStatus, SignOff
from governance.paging import TOTAL, page_of, with_total
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
    """Everything the action page shows, in a fixed number of queries whatever the number of rows.

    The gate, the measure panel and the history read what is loaded here instead of asking again:
    `steps`, `concerns`, `evidence` (withdrawn too, with category and files) and the measure's
    `readings` are prefetched, and the pending closure request is joined on as `pending_closure`
    (None when there is none). `has_decisions` says whether any sign-off exists to be listed.
    """
    action = get_object_or_404(_detail_rows(user, organisation), pk=pk)
    action.pending_closure = getattr(action, "pending_closure", None)  # the join leaves it unset when empty
    prefetch_related_objects([action], *_detail_prefetches(user, organisation, action))
    return action


def _detail_rows(user, organisation):
    pending = FilteredRelation("closure_requests", condition=Q(closure_requests__status=RequestStatus.PENDING))
    return (
        Action.objects.for_user(user, organisation)
        .annotate(
            pending_closure=pending,
            # Most actions have neither: these spare the page two queries that would find nothing.
            has_concerns=Exists(Concern.objects.filter(action=OuterRef("pk"))),
            has_decisions=Exists(SignOff.objects.filter(closure_request__action=OuterRef("pk"))),
        )
        .select_related(
            "plan",
            "location",
            "owner",
            "created_by",
            "criteria",
            "criteria__named_reviewer",
            "measure",
            "pending_closure__requested_by",
        )
    )


def _detail_prefetches(user, organisation, action):
    # Only what the evidence list, the gate and the withdraw check read: each join costs.
    evidence = EvidenceItem.objects.select_related("category", "collected_by", "location").prefetch_related("files")
    concerns = Concern.objects.select_related("logged_by") if action.has_concerns else Concern.objects.none()
    prefetches = [
        Prefetch("steps", queryset=Step.objects.select_related("who", "done_by").order_by("order", "pk")),
        Prefetch("concerns", queryset=concerns),
        Prefetch("evidence", queryset=evidence),
    ]
    if measure_of(action) is not None:
        readings = MeasureReading.objects.for_user(user, organisation).select_related("recorded_by")
        prefetches.append(Prefetch("measure__readings", queryset=readings.order_by("period_end", "pk")))
    return prefetches


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

CRITERIA_CHANGED = Q(object_type=ClosureCriteria._meta.label_lower, action="criteria.changed")


def _about_action(action):
    """{object type: ids as text} of the action and everything on it, read from what the page loaded."""
    measure = measure_of(action)
    objects = {
        Action: [action],
        Step: action.steps.all(),
        ClosureCriteria: [action.criteria],
        Measure: [measure] if measure else [],
        MeasureReading: measure.readings.all() if measure else [],
        EvidenceItem: action.evidence.all(),
        Concern: action.concerns.all(),
    }
    return {model._meta.label_lower: [str(row.pk) for row in rows] for model, rows in objects.items() if rows}


def action_events(*, user, organisation, action):
    """Audit events about the action and everything on it (steps, criteria, measure, readings, evidence,
    concerns), newest first.

    The ids are listed, not subqueries, so PostgreSQL looks each one up in the (object_type, object_id)
    index; with subqueries it scanned every event of the organisation (a second at a million events).
    """
    about = Q()
    for object_type, ids in _about_action(action).items():
        about |= Q(object_type=object_type, object_id__in=ids)
    return AuditEvent.objects.for_user(user, organisation).filter(about).select_related("actor").order_by("-at", "-seq")


def action_history(*, user, organisation, action, page, per_page):
    """(one page of action_events, the criteria changes made after the start, oldest first).

    One query usually: the page comes with the total (so the paginator does not count) and with
    every criteria change, wherever it falls in the history.
    """
    events = action_events(user=user, organisation=organisation, action=action)
    read = {}

    def fetch(number):
        first = (number - 1) * per_page
        rows = read["rows"] = _page_and_criteria_changes(events, first, per_page)
        total = getattr(rows[0], TOTAL) if rows else None
        return [row for row in rows if first < row.position <= first + per_page], total

    shown = page_of(fetch, page=page, per_page=per_page, count=events.count)
    changes = [row for row in read["rows"] if row.is_criteria_change and row.data.get("after_start")]
    return shown, sorted(changes, key=lambda event: (event.at, event.seq))


def _page_and_criteria_changes(events, first, per_page):
    """The events after the `first` newest, `per_page` of them, and every criteria change besides."""
    return list(
        with_total(events)
        .annotate(
            position=Window(RowNumber(), order_by=[F("at").desc(), F("seq").desc()]),
            is_criteria_change=ExpressionWrapper(CRITERIA_CHANGED, output_field=BooleanField()),
        )
        .filter(Q(position__gt=first, position__lte=first + per_page) | CRITERIA_CHANGED)
    )
