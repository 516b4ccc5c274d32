"""Sign-in, sign-out and failed sign-in are audited from Django's auth signals."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from qip import services


@receiver(user_logged_in, dispatch_uid="qip_audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    services.record_sign_in(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="qip_audit_sign_out")
def audit_sign_out(sender, request, user, **kwargs):
    services.record_sign_out(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="qip_audit_failed_sign_in")
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    services.record_failed_sign_in(username=credentials.get("username"), request=request)


@receiver(user_logged_in, dispatch_uid="qip_two_factor_sign_in")
def note_authenticator(sender, request, user, **kwargs):
    """Whether this sign-in owes a code is asked once, here, not on every page (qip.middleware)."""
    from qip import two_factor
    from qip.middleware import NO_AUTHENTICATOR

    if request is not None and hasattr(request, "session"):
        request.session[NO_AUTHENTICATOR] = not two_factor.is_enrolled(user)
