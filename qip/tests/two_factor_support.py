"""Two-factor sign-in in tests: an authenticator for a person, and the code it shows.

`force_login` in the test client (see conftest.py) gives the people who must use two-factor sign-in a
verified session, as signing in with password and code would. Browser tests type the code from
`code_for()` like a person reading their phone.
"""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# Wide enough that a test may use several codes within one 30-second step: each use must be newer
# than the last (django-otp refuses a code already used), so later uses take the next steps' codes.
TEST_TOLERANCE = 20


def authenticator_for(user):
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True, tolerance=TEST_TOLERANCE)
    return device


def code_for(user):
    """A code the user's authenticator would accept now, newer than any used before."""
    device = authenticator_for(user)
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = max(totp.t(), (device.last_t or -1) + 1)
    totp.time = device.t0 + (step - device.drift) * device.step
    return str(totp.token()).zfill(device.digits)
