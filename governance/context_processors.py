"""The header's unread-notification count, for signed-in members (one COUNT query a page)."""

from governance import selectors_notifications


def notifications(request):
    user = getattr(request, "user", None)
    organisation = getattr(request, "organisation", None)
    if user is None or not user.is_authenticated or organisation is None:
        return {}
    return {"unread_notifications": selectors_notifications.unread_count(user=user, organisation=organisation)}
