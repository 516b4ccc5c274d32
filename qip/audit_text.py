"""Audit events in plain English, for history lists and the audit log page.

A description is about the event's object (shown beside it as "About"), so it
does not repeat the object's name.
"""

from qip.models import Role, ServiceType

ROLE_LABELS = dict(Role.choices)
SERVICE_TYPES = dict(ServiceType.choices)

FIELD_NAMES = {
    "name": "name",
    "cqc_location_id": "CQC location ID",
    "service_type": "service type",
    "postcode": "postcode",
}

SIMPLE = {
    "organisation.created": "Organisation created",
    "organisation.switched_to": "Switched to this organisation",
    "location.added": "Location added",
    "location.archived": "Location archived",
    "location.restored": "Location restored",
    "membership.invitation_resent": "Invitation e-mail sent again",
    "membership.reactivated": "Reactivated",
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
}


def _role(value):
    return ROLE_LABELS.get(value, value)


def _locations(names):
    return ", ".join(names) if names else "all locations"


def _field_value(field, value):
    if field == "service_type":
        return SERVICE_TYPES.get(value, value)
    return value or "none"


def _capitalise(text):
    return text[:1].upper() + text[1:]


def _location_changes(data):
    parts = [
        f"{FIELD_NAMES[field]} from {_field_value(field, pair[0])} to {_field_value(field, pair[1])}"
        for field, pair in data.items()
        if field in FIELD_NAMES
    ]
    return "Changed: " + "; ".join(parts) if parts else "Details changed"


def _membership_changes(data):
    parts = []
    if "role" in data:
        old, new = data["role"]
        parts.append(f"role changed from {_role(old)} to {_role(new)}")
    if "locations" in data:
        old, new = data["locations"]
        parts.append(f"locations changed from {_locations(old)} to {_locations(new)}")
    if "is_org_admin" in data:
        parts.append("made an organisation admin" if data["is_org_admin"][1] else "no longer an organisation admin")
    return _capitalise("; ".join(parts) or "details changed")


def _membership_created(data):
    how = "Invited" if data.get("new_account") else "Given access with their existing account"
    text = f"{how} as {_role(data.get('role'))} for {_locations(data.get('locations'))}"
    return text + (", as an organisation admin" if data.get("is_org_admin") else "")


def _deactivated(data):
    text = "Deactivated"
    if data.get("reason"):
        text += f": {data['reason']}"
    ended = data.get("sessions_ended") or 0
    if ended:
        text += f" (signed out of {ended} session{'s' if ended != 1 else ''})"
    return text


def _failed_sign_in(data):
    return f"Failed sign-in for {data.get('username') or 'an unknown address'}"


DESCRIBERS = {
    "location.changed": _location_changes,
    "membership.created": _membership_created,
    "membership.changed": _membership_changes,
    "membership.role_changed": _membership_changes,
    "membership.deactivated": _deactivated,
    "auth.sign_in_failed": _failed_sign_in,
}


# Apps above qip add the wording for their own events when they load (see register()).
REGISTERED = {}


def register(describers):
    """Add {action code: function(data) -> sentence} for events that apps above qip write."""
    REGISTERED.update(describers)


def describe(event):
    """One sentence for an audit event."""
    if event.action in SIMPLE:
        return SIMPLE[event.action]
    describer = DESCRIBERS.get(event.action) or REGISTERED.get(event.action)
    if describer is not None:
        try:
            return describer(event.data or {})
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # an older event without the fields today's wording expects
    return _capitalise(event.action.replace(".", ": ").replace("_", " "))
