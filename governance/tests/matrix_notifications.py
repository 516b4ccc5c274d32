"""Permission-matrix rows for the notification pages (governance/urls_notifications.py).

Every member has a notification list and settings, whatever their role, and so does the outsider in
their own organisation. Reading or opening one notification is for its recipient alone: the one these
rows point at is the manager's (the world's plan owner), so everyone else, in `org` or not, gets 404.
Marking and opening are POST only (GET: 405).
"""

from qip.tests.permission_matrix import row

EVERY_MEMBER = row("login", everyone_else="ok")
POST_ONLY = row("login", everyone_else=405)
RECIPIENT_ONLY = row("login", manager="ok", everyone_else=404)

ROWS = {
    "notification_list": {"GET": EVERY_MEMBER, "POST": POST_ONLY},
    "notification_settings": {"GET": EVERY_MEMBER, "POST": EVERY_MEMBER},
    "notification_read_all": {"GET": POST_ONLY, "POST": EVERY_MEMBER},
    "notification_read": {"GET": POST_ONLY, "POST": RECIPIENT_ONLY},
    "notification_open": {"GET": POST_ONLY, "POST": RECIPIENT_ONLY},
}


def _managers_notification(world):
    from django.urls import reverse

    from governance import notify
    from governance.models import Kind

    if "notification" not in world:
        plan = world["plan"]
        world["notification"] = notify.notify(
            recipient_id=plan.owner_id,
            organisation_id=world["org"].pk,
            kind=Kind.REVIEW_DUE,
            key=f"review_due:plan:{plan.pk}:matrix",
            title=f"Review of {plan.reference} due",
            url=reverse("plan_detail", args=[plan.pk]),
        )
    return world["notification"]


def kwargs(world):
    notification = _managers_notification(world)
    return {"notification_read": {"pk": notification.pk}, "notification_open": {"pk": notification.pk}}


def post_data(world):
    from governance.forms_notifications import field_name
    from governance.models_notifications import OPTIONAL_KINDS, Channel

    return {"notification_settings": {field_name(kind): Channel.DIGEST for kind in OPTIONAL_KINDS}}
