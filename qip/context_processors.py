from qip import permissions


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    organisation = getattr(request, "organisation", None)
    return {
        "nav_items": permissions.navigation(user, organisation),
        "current_membership": getattr(request, "membership", None),
        "current_organisation": organisation,
        "other_memberships": [m for m in getattr(request, "memberships", []) if m.organisation != organisation],
    }
