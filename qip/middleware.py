import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

from qip.tenancy import active_memberships


class IdleTimeoutMiddleware:
    """Signs out a session that has been idle for SESSION_IDLE_TIMEOUT_MINUTES, and says so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get("last_seen")
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_TIMEOUT_MINUTES} minutes without "
                    "activity. Sign in again to carry on.",
                )
                return redirect_to_login(request.get_full_path())
            request.session["last_seen"] = now
        return self.get_response(request)


class CurrentOrganisationMiddleware:
    """Sets request.membership and request.organisation from the session's choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = request.organisation = None
        request.memberships = []
        if request.user.is_authenticated:
            memberships = active_memberships(request.user)
            request.memberships = memberships
            chosen = request.session.get("organisation_id")
            current = next((m for m in memberships if m.organisation_id == chosen), None)
            if current is None and memberships:
                current = max(memberships, key=lambda m: (m.last_used_at is not None, m.last_used_at or 0))
                request.session["organisation_id"] = current.organisation_id
            if current is not None:
                request.membership = current
                request.organisation = current.organisation
        return self.get_response(request)
