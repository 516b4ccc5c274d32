"""Reads for the organisation screens. Each starts from `for_user()`, so tenancy cannot be forgotten."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower

from qip.audit_text import describe
from qip.models import AuditEvent, Location, Membership

# Locations


def locations_for_admin(*, user, organisation):
    """Every location the user may see, with `active_people`: active memberships that list it."""
    return (
        Location.objects.for_user(user, organisation)
        .annotate(active_people=Count("memberships", filter=Q(memberships__is_active=True), distinct=True))
        .order_by(Lower("name"), "pk")
    )


def people_with_every_location(*, user, organisation):
    """How many active memberships list no location, and so work at every location."""
    return Membership.objects.for_user(user, organisation).active().filter(locations__isnull=True).count()


def location_choices(*, user, organisation, include=()):
    """Locations to offer in a picker: current ones, plus any archived ones already chosen (`include`)."""
    return (
        Location.objects.for_user(user, organisation)
        .filter(Q(archived_at__isnull=True) | Q(pk__in=list(include)))
        .order_by(Lower("name"), "pk")
    )


# People

ACTIVE, INVITED, DEACTIVATED = "active", "invited", "deactivated"
STATUSES = [(ACTIVE, "Active"), (INVITED, "Invited"), (DEACTIVATED, "Deactivated")]
_STATUS_FILTERS = {
    ACTIVE: Q(is_active=True) & ~Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX),
    INVITED: Q(is_active=True, user__password__startswith=UNUSABLE_PASSWORD_PREFIX),
    DEACTIVATED: Q(is_active=False),
}


def membership_status(membership):
    """active, invited (no password set yet) or deactivated."""
    if not membership.is_active:
        return DEACTIVATED
    if not membership.user.has_usable_password():
        return INVITED
    return ACTIVE


def people_for_admin(*, user, organisation, status=None):
    """Memberships of the organisation with user and locations loaded; each gets `.status`."""
    memberships = (
        Membership.objects.for_user(user, organisation)
        .select_related("user")
        .prefetch_related(Prefetch("locations", queryset=Location.objects.order_by(Lower("name"), "pk")))
        .order_by(Lower("user__full_name"), "user__email")
    )
    if status in _STATUS_FILTERS:
        memberships = memberships.filter(_STATUS_FILTERS[status])
    people = list(memberships)
    for membership in people:
        membership.status = membership_status(membership)
    return people


def people_counts(*, user, organisation):
    """{status: count} for every status, plus "all", in one query."""
    counts = Membership.objects.for_user(user, organisation).aggregate(
        all=Count("pk"), **{status: Count("pk", filter=condition) for status, condition in _STATUS_FILTERS.items()}
    )
    return counts


# History


def membership_history(*, user, organisation, membership, limit=20):
    """The latest audit events about a membership, newest first, each with `.description`."""
    events = list(
        AuditEvent.objects.for_user(user, organisation)
        .for_object(membership)
        .select_related("actor")
        .order_by("-seq")[:limit]
    )
    for event in events:
        event.description = describe(event)
    return events
