"""The one place that answers "may this user do X (to this object)?".

Views, templates and services all ask here. Roles are those of DESIGN.md §1;
`is_org_admin` on a membership adds the management of people and locations.
"""

from qip.models import Role
from qip.tenancy import active_memberships

READ_WHOLE_ORGANISATION = {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}
AUDIT_READERS = {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}


def membership_in(user, organisation):
    """The user's active membership of organisation, or None."""
    organisation_id = getattr(organisation, "pk", organisation)
    for membership in active_memberships(user):
        if membership.organisation_id == organisation_id:
            return membership
    return None


def is_member(user, organisation):
    return membership_in(user, organisation) is not None


def is_org_admin(user, organisation):
    membership = membership_in(user, organisation)
    return bool(membership and membership.is_org_admin)


def can_manage_locations(user, organisation):
    return is_org_admin(user, organisation)


def can_manage_people(user, organisation):
    return is_org_admin(user, organisation)


def can_view_audit_log(user, organisation):
    membership = membership_in(user, organisation)
    return bool(membership and (membership.is_org_admin or membership.role in AUDIT_READERS))


def can_see_location(user, location):
    membership = membership_in(user, location.organisation_id)
    if membership is None:
        return False
    return not membership.location_ids or location.pk in membership.location_ids


# Plans and actions (DESIGN §1). Location-limited roles act only at their locations.

ACTION_MANAGERS = {Role.REGISTERED_MANAGER, Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}
REOPENERS = {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}


def _role_at(user, location):
    """The user's role where `location` is, or None when they cannot see it."""
    if not can_see_location(user, location):
        return None
    return membership_in(user, location.organisation_id).role


def can_manage_action(user, action):
    """Create and edit actions and steps, move them on, record reviews: registered managers and above."""
    return _role_at(user, action.location) in ACTION_MANAGERS


def can_complete_step(user, step):
    """Staff tick the steps given to them; managers any step of their actions."""
    role = _role_at(user, step.action.location)
    return role in ACTION_MANAGERS or (role == Role.STAFF and step.who_id == user.pk)


def can_request_closure(user, action):
    return can_manage_action(user, action)


def can_request_plan_closure(user, plan):
    membership = membership_in(user, plan.organisation_id)
    return bool(membership and membership.role in REOPENERS | {Role.REGISTERED_MANAGER})


def can_reopen(user, organisation):
    membership = membership_in(user, organisation)
    return bool(membership and membership.role in REOPENERS)


def navigation(user, organisation):
    """(label, url name) pairs for the main navigation, by role."""
    items = [("Home", "home")]
    if organisation is None:
        return items
    if can_view_audit_log(user, organisation):
        items.append(("Audit log", "audit_log"))
    if can_manage_locations(user, organisation):
        items.append(("Locations", "location_list"))
    if can_manage_people(user, organisation):
        items.append(("People", "people_list"))
    return items
