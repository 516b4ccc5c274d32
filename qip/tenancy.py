"""Tenant scoping: the one way a queryset learns what a user may see."""

from django.db import models
from django.db.models import Q


def active_memberships(user):
    """The user's active memberships, loaded once per user object (one request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_qip_memberships", None)
    if cached is None:
        from qip.models import Membership

        cached = list(
            Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
            .select_related("organisation")
            .prefetch_related("locations")
            .order_by("organisation__name")
        )
        user._qip_memberships = cached
    return cached


def forget_memberships(user):
    """Drop the cached memberships after they change (services call this)."""
    if hasattr(user, "_qip_memberships"):
        del user._qip_memberships


class TenantQuerySet(models.QuerySet):
    """Base for every tenant-owned model.

    `organisation_path` is the lookup to the owning Organisation; `location_path`
    the lookup to a Location when the model belongs to one (None for objects that
    belong to the whole organisation). A membership with no listed locations sees
    every location of its organisation.
    """

    organisation_path = "organisation"
    location_path = None

    def for_user(self, user, organisation=None):
        allowed = Q(pk__in=[])
        for membership in active_memberships(user):
            if organisation is not None and membership.organisation_id != getattr(organisation, "pk", organisation):
                continue
            scope = Q(**{self.organisation_path: membership.organisation_id})
            location_ids = membership.location_ids
            if self.location_path and location_ids:
                scope &= Q(**{f"{self.location_path}__in": location_ids})
            allowed |= scope
        return self.filter(allowed)


TenantManager = models.Manager.from_queryset(TenantQuerySet)
