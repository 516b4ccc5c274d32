import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY

from qip.models import UserSession
from qip.tenancy import active_memberships

# Writing the session costs three queries on every page: the idle clock is moved at most every 30 seconds,
# and allowed those 30 seconds, so nobody is signed out before their full idle time.
LAST_SEEN_STEP_SECONDS = 30


class SessionTimeoutMiddleware:
    """Ends a session that has been idle too long or has lasted too long since sign-in, and says why.

    Both clocks live in the server-side session, so a client cannot extend them. It also keeps the
    UserSession index on the session key a password change rotates to, so a deactivation still finds it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_before = request.user.pk if request.user.is_authenticated else None
        if user_before is not None:
            ended = self._end_if_expired(request)
            if ended:
                return ended
        elif SESSION_KEY in request.session:
            # The session names someone who can no longer sign in (deactivated or removed): Django
            # already treats the request as anonymous, and this removes the session from the store too.
            logout(request)
        key_before = request.session.session_key

        response = self.get_response(request)

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.pk != user_before:
                # Signed in by this request: both clocks start now, before the first page is even asked for.
                request.session["signed_in_at"] = request.session["last_seen"] = time.time()
            elif request.session.session_key != key_before:
                index_rotated_session(user, key_before, request.session.session_key)
        return response

    def _end_if_expired(self, request):
        now = time.time()
        session = request.session
        # A session signed in before this check existed (or by a test's force_login) starts its clock now.
        signed_in_at = session.setdefault("signed_in_at", now)
        last_seen = session.get("last_seen")
        idle_minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
        absolute_hours = settings.SESSION_ABSOLUTE_TIMEOUT_HOURS
        if now - signed_in_at > absolute_hours * 60 * 60:
            reason = f"You were signed out because you signed in more than {absolute_hours} hours ago."
        elif last_seen is not None and now - last_seen > idle_minutes * 60 + LAST_SEEN_STEP_SECONDS:
            reason = f"You were signed out after {idle_minutes} minutes without activity."
        else:
            if last_seen is None or now - last_seen >= LAST_SEEN_STEP_SECONDS:
                session["last_seen"] = now
            return None
        logout(request)
        messages.info(request, f"{reason} Sign in again to carry on.")
        return redirect_to_login(request.get_full_path())


def index_rotated_session(user, old_key, new_key):
    if not new_key or UserSession.objects.filter(session_key=new_key).exists():
        return
    if not UserSession.objects.filter(session_key=old_key, user=user).update(session_key=new_key):
        UserSession.objects.create(user=user, session_key=new_key)


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
                current = last_used(memberships)
                request.session["organisation_id"] = current.organisation_id
            if current is not None:
                request.membership = current
                request.organisation = current.organisation
        return self.get_response(request)


def last_used(memberships):
    """The membership someone worked in last: where a new session starts."""
    return max(memberships, key=lambda m: (m.last_used_at is not None, m.last_used_at or 0))


# Pages a signed-in person who still owes a second factor may open: the two-factor pages themselves,
# signing out, and the public pages.
TWO_FACTOR_OPEN = {
    "two_factor_verify",
    "two_factor_setup",
    "logout",
    "health",
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "invite_accept",
}
NO_AUTHENTICATOR = "two_factor_none"


class TwoFactorMiddleware:
    """After the password, the code: sends a person to verify (or first set up) two-factor sign-in.

    Anyone with a confirmed authenticator must verify each sign-in; nominated individuals, quality
    leads, admins and members of organisations that require it must set one up first. Everything
    else waits until they have. A session is verified when django_otp.login() has stored the device
    in it; sessions live on the server and end when an authenticator is reset, so that is trusted
    without loading the device on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not is_verified(request):
            redirect_to = self._owed(request)
            if redirect_to:
                return redirect_to
        return self.get_response(request)

    def _owed(self, request):
        from qip import two_factor

        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            return None
        if name in TWO_FACTOR_OPEN:
            return None
        must = two_factor.must_use(request.user)
        if not must and request.session.get(NO_AUTHENTICATOR):
            return None  # noted at sign-in (qip.signals): nothing to verify
        if two_factor.is_enrolled(request.user):
            target = "two_factor_verify"
        elif must:
            target = "two_factor_setup"
        else:
            request.session[NO_AUTHENTICATOR] = True
            return None
        if request.headers.get("HX-Request"):  # HtmxMiddleware comes later
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse(target)
            return response
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def is_verified(request):
    """This session passed the second step of sign-in (django_otp.login stored the device in it)."""
    return DEVICE_ID_SESSION_KEY in request.session
