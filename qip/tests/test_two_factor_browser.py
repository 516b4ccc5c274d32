"""Two-factor sign-in in Debian's Chromium: a nominated individual's first sign-in sets it up from the
QR code page, keeps the backup codes, and the next sign-in asks for the code; the pages pass axe and
fit a tablet."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from qip import two_factor
from qip.tests.browser import axe_violations
from qip.tests.factories import PASSWORD
from qip.tests.two_factor_support import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _fits_and_passes_axe(page):
    for width, height in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        assert not axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_first_sign_in_sets_up_the_authenticator_and_the_next_asks_for_its_code(page, live_server, ni):
    _password(page, live_server, ni)
    page.wait_for_url("**/accounts/two-factor/set-up/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    _fits_and_passes_axe(page)

    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#id_code").locator("..")).to_contain_text("That code does not match")

    device = TOTPDevice.objects.get(user=ni, confirmed=False)
    phone = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Code").fill(str(phone.token()).zfill(6))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    expect(page.locator(".two-factor-codes li")).to_have_count(10)
    _fits_and_passes_axe(page)
    page.get_by_role("link", name="I have kept them: carry on").click()
    page.wait_for_url(f"{live_server.url}/")
    assert two_factor.is_enrolled(ni)

    page.context.clear_cookies()
    _password(page, live_server, ni)
    page.wait_for_url("**/accounts/two-factor/?next=**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    _fits_and_passes_axe(page)
    page.get_by_label("Code").fill(code_for(ni))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")
