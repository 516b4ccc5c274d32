"""Notifications in Debian's Chromium: a registered manager requests closure; the independent nominated
individual sees the unread count in the header, opens the sign-off request from the notification list
(it becomes read, the count goes down) and lands on the decision page."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from governance import notify
from governance.models import ClosureRequest, Kind, Notification
from governance.tests.conftest import Story
from qip.tests.browser import screen_problems, sign_in
from qip.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_nominated_individual_opens_a_signoff_request_from_the_notifications(
    page, live_server, org, home, manager, staff, ni, quality
):
    page.set_default_timeout(15_000)
    story = Story(org=org, home=home, manager=manager, staff=staff, high_risk=True)
    story.make_ready()

    sign_in(page, live_server, manager.email, PASSWORD)
    page.goto(f"{live_server.url}/actions/{story.action.pk}/request-closure/")
    page.get_by_label("Business-as-usual monitoring plan").fill("Monthly MAR audit by the deputy manager.")
    page.get_by_label("Closure learning").fill("Observed rounds changed practice; reminder e-mails did not.")
    page.get_by_role("button", name="Request closure").click()
    page.wait_for_url(f"{live_server.url}/actions/{story.action.pk}/")
    request = ClosureRequest.objects.get(action=story.action)
    assert [message.to for message in mail.outbox] == [[ni.email]]  # high risk: not the quality lead
    page.context.clear_cookies()

    sign_in(page, live_server, ni.email, PASSWORD)
    header = page.get_by_role("navigation", name="Main navigation")
    expect(header.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    header.get_by_role("link", name="Notifications, 1 unread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")

    item = page.locator(".notification").first
    expect(item).to_contain_text("Unread")
    expect(item).to_contain_text("Mary Manager asked for closure of this action at Oak House")
    item.get_by_role("button", name=f"Sign-off requested: {story.action.title}", exact=True).click()

    page.wait_for_url(f"{live_server.url}/signoff/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closure decision")
    expect(header.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert Notification.objects.get(recipient=ni, kind=Kind.SIGNOFF_REQUESTED).read_at is not None

    header.get_by_role("link", name="Notifications", exact=True).click()
    expect(page.locator(".notification-unread")).to_have_count(0)

    # The pages pass axe and fit a 768 px tablet; so does the header of a quality lead, who has the most links.
    violations, too_wide = screen_problems(
        page, live_server, {"notifications": "/notifications/", "settings": "/notifications/settings/"}
    )
    page.context.clear_cookies()
    notify.notify(recipient_id=quality.pk, organisation_id=org.pk, kind=Kind.STEP_DUE, key="step:1", title="Step due")
    sign_in(page, live_server, quality.email, PASSWORD)
    more, wider = screen_problems(page, live_server, {"quality lead's home": "/"}, sizes=((768, 1024),))
    assert not violations | more, violations | more
    assert not too_wide | wider, too_wide | wider
