"""The header's unread-notification count, for signed-in members (one COUNT query a page, stopping at 100)."""

from governance import selectors_notifications


def notifications(request):
    user = getattr(request, "user", None)
    organisation = getattr(request, "organisation", None)
    if user is None or not user.is_authenticated or organisation is None:
        return {}
    count = selectors_notifications.unread_count(user=user, organisation=organisation)
    return {"unread_notifications": count, "unread_label": selectors_notifications.unread_label(count)}
