"""Writes for organisations, locations, people and sessions. Each audits itself."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from qip import audit
from qip.models import Location, Membership, Organisation, Role, User, UserSession
from qip.tenancy import forget_memberships
from qip.validators import normalise_postcode

LOCATION_FIELDS = ("name", "cqc_location_id", "service_type", "postcode")


def _changes(obj, fields, new_values):
    """{field: [old, new]} for the fields whose value changes."""
    return {
        field: [getattr(obj, field), new_values[field]]
        for field in fields
        if field in new_values and getattr(obj, field) != new_values[field]
    }


# Organisations


@transaction.atomic
def create_organisation(*, name, cqc_provider_id="", admin_email, admin_name, admin_role=Role.NOMINATED_INDIVIDUAL):
    """A new organisation with its first organisation admin (who gets a set-password link)."""
    organisation = Organisation.objects.create(name=name, cqc_provider_id=cqc_provider_id)
    audit.record(action="organisation.created", organisation=organisation, obj=organisation, data={"name": name})
    membership, link = invite_person(
        actor=None,
        organisation=organisation,
        email=admin_email,
        full_name=admin_name,
        role=admin_role,
        locations=[],
        is_org_admin=True,
    )
    return organisation, membership, link


# Locations


@transaction.atomic
def add_location(*, actor, organisation, name, service_type, postcode, cqc_location_id=""):
    location = Location(
        organisation=organisation,
        name=name,
        service_type=service_type,
        postcode=normalise_postcode(postcode),
        cqc_location_id=cqc_location_id,
    )
    location.full_clean()
    location.save()
    audit.record(
        action="location.added",
        organisation=organisation,
        actor=actor,
        obj=location,
        data={field: getattr(location, field) for field in LOCATION_FIELDS},
    )
    return location


@transaction.atomic
def update_location(*, actor, location, **values):
    if "postcode" in values:
        values["postcode"] = normalise_postcode(values["postcode"])
    changes = _changes(location, LOCATION_FIELDS, values)
    if not changes:
        return location
    for field, (_old, new) in changes.items():
        setattr(location, field, new)
    location.full_clean()
    location.save()
    audit.record(
        action="location.changed", organisation=location.organisation_id, actor=actor, obj=location, data=changes
    )
    return location


@transaction.atomic
def archive_location(*, actor, location):
    if location.is_archived:
        return location
    location.archived_at = timezone.now()
    location.save(update_fields=["archived_at"])
    audit.record(action="location.archived", organisation=location.organisation_id, actor=actor, obj=location)
    return location


@transaction.atomic
def restore_location(*, actor, location):
    if not location.is_archived:
        return location
    location.archived_at = None
    location.save(update_fields=["archived_at"])
    audit.record(action="location.restored", organisation=location.organisation_id, actor=actor, obj=location)
    return location


# People


def set_password_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("invite_accept", kwargs={"uidb64": uid, "token": token})


def _send_invitation(*, user, organisation, actor, link):
    context = {"user": user, "organisation": organisation, "inviter": actor, "link": link}
    subject = f"You have been invited to {organisation.name} on QIP governance"
    body = render_to_string("emails/invitation.txt", context)
    # After commit: a rolled-back invitation must not have sent a working link.
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


ORGANISATION_WIDE_ROLES = {Role.NOMINATED_INDIVIDUAL}


def scope_problems(*, organisation, role, locations, is_org_admin):
    """Why this role and these locations don't fit together ({} when they do). Forms show these too."""
    if any(location.organisation_id != organisation.pk for location in locations):
        return {"locations": "Choose locations of this organisation."}
    if locations and role in ORGANISATION_WIDE_ROLES:
        return {
            "locations": "A nominated individual oversees the whole organisation, so cannot be limited to "
            "locations. Untick every location."
        }
    if locations and is_org_admin:
        # Admins manage every location and everyone's access; a location-limited view would hide what they manage.
        return {
            "locations": "An organisation admin looks after every location, so cannot be limited to "
            "locations. Untick every location, or untick organisation admin."
        }
    return {}


def _check_scope(organisation, role, locations, is_org_admin):
    problems = scope_problems(organisation=organisation, role=role, locations=locations, is_org_admin=is_org_admin)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def invite_person(*, actor, organisation, email, full_name, role, locations, is_org_admin=False, notify=True):
    """Add someone to the organisation. New people get a set-password link by e-mail.

    Returns (membership, link); link is None when the person can already sign in (has a password).
    """
    _check_scope(organisation, role, locations, is_org_admin)
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user and Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ValidationError({"email": "This person is already a member of this organisation."})
    link = None
    new_account = user is None
    if new_account:
        user = User.objects.create_user(email=email, full_name=full_name.strip())
    if not user.has_usable_password():
        # New, or invited elsewhere and not signed up yet: "sign in as usual" would not work for them.
        link = set_password_link(user)
    membership = Membership.objects.create(user=user, organisation=organisation, role=role, is_org_admin=is_org_admin)
    membership.locations.set(locations)
    audit.record(
        action="membership.created",
        organisation=organisation,
        actor=actor,
        obj=membership,
        object_label=user.get_full_name(),
        data={
            "email": user.email,
            "role": role,
            "locations": sorted(location.name for location in locations),
            "is_org_admin": is_org_admin,
            "new_account": new_account,
        },
    )
    if not notify:
        return membership, link
    if link:
        _send_invitation(user=user, organisation=organisation, actor=actor, link=link)
    else:
        body = render_to_string("emails/added_to_organisation.txt", {"user": user, "organisation": organisation})
        transaction.on_commit(
            lambda: send_mail(f"You now have access to {organisation.name}", body, None, [user.email])
        )
    return membership, link


def _audit_membership(action, membership, actor, data=None):
    audit.record(
        action=action,
        organisation=membership.organisation_id,
        actor=actor,
        obj=membership,
        object_label=membership.user.get_full_name(),
        data=data,
    )


@transaction.atomic
def resend_invitation(*, actor, membership):
    user = membership.user
    if user.has_usable_password():
        raise ValidationError("This person has already set a password.")
    link = set_password_link(user)
    _send_invitation(user=user, organisation=membership.organisation, actor=actor, link=link)
    _audit_membership("membership.invitation_resent", membership, actor)
    return link


def _other_active_admins(membership):
    return (
        Membership.objects.filter(organisation=membership.organisation_id, is_org_admin=True, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def update_membership(*, actor, membership, role, locations, is_org_admin):
    _check_scope(membership.organisation, role, locations, is_org_admin)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_org_admin and not is_org_admin and not _other_active_admins(membership):
        raise ValidationError({"is_org_admin": "Every organisation needs at least one active organisation admin."})
    old_locations = sorted(location.name for location in membership.locations.all())
    new_locations = sorted(location.name for location in locations)
    changes = {}
    if membership.role != role:
        changes["role"] = [membership.role, role]
    if membership.is_org_admin != is_org_admin:
        changes["is_org_admin"] = [membership.is_org_admin, is_org_admin]
    if old_locations != new_locations:
        changes["locations"] = [old_locations, new_locations]
    if not changes:
        return membership
    membership.role = role
    membership.is_org_admin = is_org_admin
    membership.save(update_fields=["role", "is_org_admin"])
    membership.locations.set(locations)
    _audit_membership(
        "membership.role_changed" if "role" in changes else "membership.changed", membership, actor, changes
    )
    forget_memberships(membership.user)
    return membership


def end_sessions(user):
    """Delete every server-side session the user holds; returns how many."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def deactivate_membership(*, actor, membership, reason=""):
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        return membership
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError("You cannot deactivate yourself; ask another organisation admin.")
    if membership.is_org_admin and not _other_active_admins(membership):
        raise ValidationError("Every organisation needs at least one active organisation admin.")
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    ended = end_sessions(membership.user)
    _audit_membership("membership.deactivated", membership, actor, data={"reason": reason, "sessions_ended": ended})
    forget_memberships(membership.user)
    return membership


@transaction.atomic
def reactivate_membership(*, actor, membership):
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_active:
        return membership
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    _audit_membership("membership.reactivated", membership, actor)
    forget_memberships(membership.user)
    return membership


def switch_organisation(*, user, session, membership):
    """Make membership's organisation the current one for this session."""
    session["organisation_id"] = membership.organisation_id
    Membership.objects.filter(pk=membership.pk).update(last_used_at=timezone.now())
    audit.record(
        action="organisation.switched_to",
        organisation=membership.organisation_id,
        actor=user,
        obj=membership.organisation,
    )


# Sign-in events (called from qip.signals)


def _client(request):
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }


def _organisations_of(user):
    return list(
        Membership.objects.filter(user=user, is_active=True).values_list("organisation_id", flat=True).order_by()
    )


@transaction.atomic
def record_sign_in(*, user, request):
    client = _client(request)
    if request is not None and request.session.session_key:
        UserSession.objects.update_or_create(
            session_key=request.session.session_key,
            defaults={"user": user, "ip_address": client.get("ip") or None, "user_agent": client.get("user_agent", "")},
        )
    for organisation_id in _organisations_of(user):
        audit.record(action="auth.signed_in", organisation=organisation_id, actor=user, obj=user, data=client)


@transaction.atomic
def record_sign_out(*, user, request):
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    if user is None:
        return
    for organisation_id in _organisations_of(user):
        audit.record(
            action="auth.signed_out", organisation=organisation_id, actor=user, obj=user, data=_client(request)
        )


@transaction.atomic
def record_failed_sign_in(*, username, request):
    data = {"username": (username or "")[:254], **_client(request)}
    user = User.objects.filter(email__iexact=(username or "").strip()).first()
    organisations = _organisations_of(user) if user else []
    for organisation_id in organisations or [None]:
        audit.record(action="auth.sign_in_failed", organisation=organisation_id, obj=user, data=data)
