"""Reads for the evidence screens. Each starts from `for_user()`, so tenancy cannot be forgotten.

The action and plan pages list evidence with `evidence_for_action()` / `evidence_for_plan()` and
render `templates/evidence/_evidence_list.html`: category, people and files come with the items,
so the list costs the same few queries whatever its length.
"""

from django.db.models import Prefetch, Q

from evidence.models import EvidenceFile, EvidenceItem
from qip.audit_text import describe
from qip.models import AuditEvent, Location, Membership, Role, User

_LIST_RELATED = ("category", "collected_by", "withdrawn_by", "location")


def _with_files(queryset):
    return queryset.prefetch_related(Prefetch("files", queryset=EvidenceFile.objects.order_by("pk")))


def evidence_for_action(user, organisation, action):
    """The action's evidence the user may see, newest first, withdrawn included (shown as withdrawn)."""
    items = EvidenceItem.objects.for_user(user, organisation).filter(action=action)
    return _with_files(items.select_related(*_LIST_RELATED))


def evidence_for_plan(user, organisation, plan, *, include_actions=False):
    """The plan's own (plan-level) evidence the user may see; with include_actions, its actions' too.

    Each item has `action` loaded, so a list can say which action an item belongs to.
    """
    items = EvidenceItem.objects.for_user(user, organisation).filter(plan=plan)
    if not include_actions:
        items = items.filter(action__isnull=True)
    return _with_files(items.select_related(*_LIST_RELATED, "action"))


def evidence_detail(user, organisation):
    """Evidence items the user may see, with everything the evidence page shows loaded (get one by pk)."""
    items = EvidenceItem.objects.for_user(user, organisation).select_related(
        *_LIST_RELATED, "plan", "action", "assures_step", "added_by"
    )
    return _with_files(items)


def evidence_file_for_download(user, organisation):
    """Evidence files the user may see (get one by pk), with their evidence item."""
    return EvidenceFile.objects.for_user(user, organisation).select_related("evidence")


# History


def evidence_history(user, organisation, evidence, *, files=None, limit=100):
    """Audit events about one evidence item and its files (added, each download, withdrawn), oldest first,
    each with `.description`. Downloads are recorded against the file, so the action's history stays short."""
    files = evidence.files.all() if files is None else files
    about = Q(object_type=EvidenceItem._meta.label_lower, object_id=str(evidence.pk)) | Q(
        object_type=EvidenceFile._meta.label_lower, object_id__in=[str(file.pk) for file in files]
    )
    events = list(
        AuditEvent.objects.for_user(user, organisation).filter(about).select_related("actor").order_by("-seq")[:limit]
    )
    events.reverse()
    for event in events:
        event.description = describe(event)
    return events


# Choices for the add form


def collector_choices(user, organisation, *, location=None):
    """People who can be named as having collected evidence: active, not read-only, working at location."""
    memberships = (
        Membership.objects.for_user(user, organisation).active().filter(user__is_active=True).exclude(role=Role.VIEWER)
    )
    if location is not None:
        memberships = memberships.filter(Q(locations__isnull=True) | Q(locations=location))
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by("full_name", "email")


def plan_location_choices(user, organisation, plan):
    """The plan's current locations that the user may see."""
    return Location.objects.for_user(user, organisation).current().filter(plans=plan).order_by("name")
