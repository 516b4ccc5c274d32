"""The one place that answers "may this user do X (to this object)?".

Views, templates and services all ask here. Roles are those of DESIGN.md §1;
`is_org_admin` on a membership adds the management of people and locations.
"""

from qip.models import Plan, Role
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


OVERSIGHT_READERS = {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}


def can_view_oversight(user, organisation):
    """The provider oversight page: quality leads and nominated individuals (an admin by their role, as ever)."""
    membership = membership_in(user, organisation)
    return bool(membership and membership.role in OVERSIGHT_READERS)


# Plans, measures, evidence, readings and concerns (DESIGN §1). The services ask these before writing.
# Registered managers and above manage plans, actions, steps, criteria and measures where they work;
# staff and above (never viewers) add evidence, record readings and log concerns where they work.

PLAN_MANAGERS = ACTION_MANAGERS
CONTRIBUTORS = ACTION_MANAGERS | {Role.STAFF}
EVIDENCE_WITHDRAWERS = ACTION_MANAGERS


def _role_in(user, organisation, locations):
    """The user's role in organisation when they can see every one of its `locations`, else None.

    Locations of another organisation are not this question: the services refuse them as invalid choices.
    """
    membership = membership_in(user, organisation)
    if membership is None:
        return None
    organisation_id = getattr(organisation, "pk", organisation)
    for location in locations:
        if location.organisation_id == organisation_id and not can_see_location(user, location):
            return None
    return membership.role


def _role_at_plan(user, plan):
    """The user's role where they can see at least one of the plan's locations, else None.

    A membership covering the whole organisation sees every plan of it.
    """
    membership = membership_in(user, plan.organisation_id)
    if membership is None:
        return None
    if not membership.location_ids or any(can_see_location(user, location) for location in plan.locations.all()):
        return membership.role
    return None


def can_create_plan(user, organisation, locations):
    """Registered managers and above, only at locations they can see."""
    return _role_in(user, organisation, locations) in PLAN_MANAGERS


def can_edit_plan(user, plan):
    """Registered managers and above who can see at least one of the plan's locations."""
    return _role_at_plan(user, plan) in PLAN_MANAGERS


def can_record_review(user, plan):
    """Registered managers, quality leads and nominated individuals run the review cycle (DESIGN §1)."""
    return can_edit_plan(user, plan)


def can_view_agenda(user, organisation):
    """The governance agenda is for those who record reviews: registered managers and above."""
    membership = membership_in(user, organisation)
    return bool(membership and membership.role in PLAN_MANAGERS)


def _on_plan(plan, location):
    return location is not None and plan.locations.filter(pk=location.pk).exists()


def can_create_action(user, plan, location):
    """Registered managers and above, at one of the plan's locations that they can see.

    With no location, or one that is not the plan's, this is the plan's question; the service
    then says which location to choose.
    """
    if not _on_plan(plan, location):
        return can_edit_plan(user, plan)
    return _role_at(user, location) in ACTION_MANAGERS


def can_edit_step(user, step):
    return can_manage_action(user, step.action)


def can_change_criteria(user, criteria):
    return can_manage_action(user, criteria.action)


def can_manage_measure(user, action):
    """Set or change an action's measure: as for the action itself."""
    return can_manage_action(user, action)


def can_add_evidence(user, action_or_plan, location=None):
    """Staff and above where the action is.

    For a plan: at the plan location given, or else where they can see one of its locations
    (a location that is not the plan's is the service's to refuse).
    """
    if isinstance(action_or_plan, Plan):
        plan = action_or_plan
        if _on_plan(plan, location):
            return _role_at(user, location) in CONTRIBUTORS
        return _role_at_plan(user, plan) in CONTRIBUTORS
    return _role_at(user, action_or_plan.location) in CONTRIBUTORS


def can_withdraw_evidence(user, evidence):
    """Registered managers and above where the evidence is from (plan-level evidence: as for the plan)."""
    if evidence.location_id is not None:
        return _role_at(user, evidence.location) in EVIDENCE_WITHDRAWERS
    return _role_at_plan(user, evidence.plan) in EVIDENCE_WITHDRAWERS


def can_record_reading(user, measure):
    """Staff and above where the measure's action is."""
    return _role_at(user, measure.action.location) in CONTRIBUTORS


def can_log_concern(user, action):
    """Staff and above where the action is."""
    return _role_at(user, action.location) in CONTRIBUTORS


def navigation(user, organisation):
    """(label, url name) pairs for the main navigation, by role."""
    items = [("Home", "home")]
    if organisation is None:
        return items
    items.append(("Plans", "plan_list"))
    items.append(("Actions", "action_list"))
    if can_view_agenda(user, organisation):
        items.append(("Agenda", "governance_agenda"))
    if can_decide_closures(user, organisation):
        items.append(("Sign-off", "signoff_inbox"))
    if can_reopen(user, organisation):
        items.append(("Checks", "check_list"))
    if can_view_oversight(user, organisation):
        items.append(("Oversight", "oversight"))
    items.append(("Packs", "pack_list"))
    if can_view_audit_log(user, organisation):
        items.append(("Audit log", "audit_log"))
    if can_manage_locations(user, organisation):
        items.append(("Locations", "location_list"))
    if can_manage_people(user, organisation):
        items.append(("People", "people_list"))
    return items


# Sign-off inbox and decision page (issue 5). Who may decide a particular request is the gate's
# signer_role / signer_independent; this only says who has a sign-off inbox at all.

CLOSURE_DECIDERS = {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}


def can_decide_closures(user, organisation):
    """Quality leads and nominated individuals decide closure requests (each request's gate says which)."""
    membership = membership_in(user, organisation)
    return bool(membership and membership.role in CLOSURE_DECIDERS)


# Commissioner packs (issue 7). Quality leads and nominated individuals make them; any member may list
# and download the packs that hold nothing from a location they cannot see (Pack.objects.for_user),
# so a viewer of one location (a commissioner) downloads that location's packs.

PACK_MAKERS = {Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL}


def can_make_packs(user, organisation):
    membership = membership_in(user, organisation)
    return bool(membership and membership.role in PACK_MAKERS)
