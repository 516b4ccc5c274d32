"""Sign-off in Debian's Chromium: a nominated individual opens the request from the inbox, re-enters
the password to approve, and sees the signature on the action page."""

import pytest
from playwright.sync_api import expect

from actions.models import Action, ActionStatus
from governance.models import SignOff
from governance.tests.conftest import Story
from qip.tests.browser import sign_in
from qip.tests.factories import PASSWORD
from qip.tests.two_factor_support import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_nominated_individual_approves_with_password_and_sees_the_signature(
    page, live_server, org, home, manager, staff, ni
):
    page.set_default_timeout(15_000)
    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    story.request()

    sign_in(page, live_server, ni.email, PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Sign-off").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-off")
    page.get_by_role("link", name="Review and decide").first.click()

    approve = page.locator("form.signoff-approve")
    expect(approve).to_contain_text("Approved for closure")
    expect(approve).to_contain_text("I have reviewed the closure evidence")

    approve.get_by_label("Your password").fill("wrong-password")
    approve.get_by_role("button", name="Approve and sign").click()
    expect(page.locator("form.signoff-approve")).to_contain_text("That is not your password")

    page.locator("form.signoff-approve").get_by_label("Your password").fill(PASSWORD)
    page.locator("form.signoff-approve").get_by_label("Code from your authenticator app").fill(code_for(ni))
    page.locator("form.signoff-approve").get_by_role("button", name="Approve and sign").click()

    page.wait_for_url(f"{live_server.url}/actions/{story.action.pk}/#closure-decisions")
    signoff = SignOff.objects.get()
    block = page.locator(".signature-block")
    expect(block).to_contain_text("Nina Nominated")
    expect(block).to_contain_text("Nominated individual")
    expect(block).to_contain_text("Approved for closure")
    expect(block).to_contain_text("(UK time)")
    expect(block.locator(".signature-hash")).to_have_text(signoff.snapshot_hash)
    assert Action.objects.get(pk=story.action.pk).status == ActionStatus.CLOSED
