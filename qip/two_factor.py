"""Two-factor sign-in (TOTP with django-otp) and its backup codes.

Who must use it: nominated individuals, quality leads and organisation admins, and everyone in an
organisation that asks for it (`Organisation.require_two_factor`). Anyone else may turn it on. A
person with a confirmed authenticator is asked for a code after their password at every sign-in
(qip.middleware.TwoFactorMiddleware), and signing a closure decision asks for a current code too.

Each person has at most one confirmed authenticator (a TOTPDevice) and one set of ten single-use
backup codes (a StaticDevice). Codes are checked against those devices only, so django-otp's
throttling (a growing delay after each wrong code) applies.
"""

import base64
import re

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qip import audit
from qip.models import Role
from qip.tenancy import active_memberships

BACKUP_CODES = 10
ROLES_THAT_MUST = {Role.NOMINATED_INDIVIDUAL, Role.QUALITY_LEAD}
TOTP_CODE = re.compile(r"\d{6}")
WRONG_CODE = "That code is not right. Enter the 6-digit code your app shows now, or one of your backup codes."
TOO_MANY = "Too many wrong codes in a row: wait a few seconds, then enter the code your app shows now."


def must_use(user):
    """True when any of the user's memberships requires two-factor sign-in."""
    return any(
        membership.role in ROLES_THAT_MUST or membership.is_org_admin or membership.organisation.require_two_factor
        for membership in active_memberships(user)
    )


def authenticator(user, *, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def is_enrolled(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _organisations(user):
    return sorted({membership.organisation_id for membership in active_memberships(user)})


def _record(action, user, *, actor=None, data=None):
    for organisation_id in _organisations(user) or [None]:
        audit.record(action=action, organisation=organisation_id, actor=actor or user, obj=user, data=data)


# ---------------------------------------------------------------------------------------- enrolment


def pending_authenticator(user):
    """The unconfirmed authenticator being set up (made on first asking), whose key the QR code carries."""
    device = authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def secret_words(device):
    """The key as an authenticator app takes it typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device):
    """The otpauth:// address (issuer OTP_TOTP_ISSUER) as an inline SVG QR code: no script, no image fetched."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=2, title="QR code for your authenticator app"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the address in it is only encoded as modules


@transaction.atomic
def confirm(request, device, code):
    """Confirm the authenticator with a code it shows; returns the new backup codes. ValidationError on a wrong code."""
    user = request.user
    code = (code or "").replace(" ", "")
    if not TOTP_CODE.fullmatch(code) or verify_token(user, device.persistent_id, code) is None:
        raise ValidationError({"code": "That code does not match. Enter the 6-digit code your app shows now."})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    codes = _new_backup_codes(user)
    otp_login(request, device)
    _record("auth.two_factor_enrolled", user)
    return codes


def _new_backup_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def replace_backup_codes(*, user, password):
    """A fresh set of ten backup codes (the old ones stop working); needs the password again."""
    if not password or not user.check_password(password):
        raise ValidationError({"password": "That is not your password."})
    if not is_enrolled(user):
        raise ValidationError("Set up two-factor sign-in first.")
    codes = _new_backup_codes(user)
    _record("auth.two_factor_backup_codes_replaced", user)
    return codes


def backup_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def reset(*, actor, user):
    """Remove someone's authenticator and backup codes (a lost phone): they set it up again at next sign-in.

    Their sessions end, so a session verified with the lost phone cannot carry on.
    """
    from qip.services import end_sessions

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    end_sessions(user)
    _record("auth.two_factor_reset", user, actor=actor)


@transaction.atomic
def set_required_for_everyone(*, actor, organisation, required):
    """The organisation's "require two-factor sign-in for everyone"; audited when it changes."""
    if organisation.require_two_factor == required:
        return
    organisation.require_two_factor = required
    organisation.save(update_fields=["require_two_factor"])
    audit.record(
        action="organisation.two_factor_required" if required else "organisation.two_factor_not_required",
        organisation=organisation,
        actor=actor,
        obj=organisation,
    )


# ---------------------------------------------------------------------------------------- checking


def check_code(user, code):
    """The device that accepts `code` (a current 6-digit code or an unused backup code).

    ValidationError (on "code") when it is wrong, or while wrong codes in a row make the device wait
    (django-otp's throttling: 1, 2, 4… seconds).
    """
    code = (code or "").replace(" ", "").replace("-", "").lower()
    if TOTP_CODE.fullmatch(code):
        device = authenticator(user)
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if not code or device is None:
        raise ValidationError({"code": WRONG_CODE})
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        raise ValidationError({"code": TOO_MANY})
    verified = verify_token(user, device.persistent_id, code)
    if verified is None:
        raise ValidationError({"code": WRONG_CODE})
    return verified


def verify(request, code):
    """Second step of sign-in: mark the session verified, or raise ValidationError."""
    try:
        device = check_code(request.user, code)
    except ValidationError:
        _record("auth.two_factor_failed", request.user)
        raise
    otp_login(request, device)
    _record("auth.two_factor_verified", request.user, data={"method": "backup code" if is_backup(device) else "app"})
    return device


def is_backup(device):
    return isinstance(device, StaticDevice)


def check_for_signing(user, code):
    """Signing a decision: a current code when the signer has two-factor sign-in. ValidationError otherwise."""
    if not is_enrolled(user):
        if must_use(user):
            raise ValidationError({"code": "Set up two-factor sign-in before you sign decisions."})
        return
    check_code(user, code)


# ---------------------------------------------------------------------------------------- demo only

# The demo organisation's authenticator key, printed by seed_demo so anyone trying the demo can add it
# to an app (or use a printed backup code). Never used outside seed_demo, which refuses production.
DEMO_KEY_HEX = "3132333435363738393031323334353637383930"  # the RFC 6238 test key, "12345678901234567890"


def enrol_for_demo(user):
    """Give a demo person the published demo authenticator and ten backup codes; returns the unused codes."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="Demo authenticator", key=DEMO_KEY_HEX, confirmed=True)
        _new_backup_codes(user)
    return list(
        StaticToken.objects.filter(device__user=user, device__confirmed=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )


def one_time_code_for_demo(user):
    """A single-use code for the demo seed to sign with, as a person would type one of their backup codes."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    token = StaticToken.random_token()
    StaticToken.objects.create(device=device, token=token)
    return token


def demo_secret():
    return secret_words(TOTPDevice(key=DEMO_KEY_HEX))
