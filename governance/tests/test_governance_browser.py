"""The governance rules as people meet them in Debian's Chromium (issue 5's "done when").

Data is set up through the services and factories; the browser drives only the screens under test.
"""

import re

import pytest
from playwright.sync_api import expect

from actions.models import Action, ActionStatus, Step
from governance import services
from governance.models import ClosureRequest, SignOff
from governance.tests.conftest import Story
from governance.tests.test_plan_closure_views import BAU, LEARNING, RISKS, three_location_plan
from qip.models import Plan, PlanStatus
from qip.tests import domain_factories as make
from qip.tests.browser import AXE, sign_in
from qip.tests.factories import PASSWORD
from qip.tests.two_factor_support import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSAL_HEADING = "You cannot decide this closure request"


@pytest.fixture
def tab(page):
    page.set_default_timeout(15_000)
    return page


def open_inbox(page):
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Sign-off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-off")


def decide_url(live_server, closure_request):
    return f"{live_server.url}/signoff/{closure_request.pk}/"


def status_of(action):
    return Action.objects.get(pk=action.pk).status


def test_a_quality_lead_is_not_offered_a_high_risk_closure_and_is_told_why(
    tab, live_server, org, home, manager, staff, quality
):
    story = Story(org=org, home=home, manager=manager, staff=staff, high_risk=True)
    story.make_ready()
    closure_request = story.request()

    sign_in(tab, live_server, quality.email, PASSWORD)
    open_inbox(tab)
    expect(tab.get_by_text("Nothing is waiting for your sign-off.")).to_be_visible()
    expect(tab.get_by_text(story.action.title)).to_have_count(0)

    tab.goto(decide_url(live_server, closure_request))
    expect(tab.get_by_role("heading", level=1)).to_have_text(REFUSAL_HEADING)
    reasons = tab.locator(".signoff-refusal")
    expect(reasons).to_contain_text("Needs a nominated individual (high-risk action)")
    expect(reasons).to_contain_text("Quinn Quality is quality lead")
    expect(tab.get_by_role("button", name="Approve and sign")).to_have_count(0)
    assert status_of(story.action) == ActionStatus.AWAITING_SIGNOFF


def test_the_owner_or_requester_never_sees_their_own_request_as_theirs_to_decide(
    tab, live_server, org, home, manager, staff, ni, quality
):
    # Each signer's role alone would let them sign; owning or asking for the closure rules them out.
    owned_by_ni = Story(org=org, home=home, manager=ni, staff=staff)
    owned_by_ni.make_ready()
    ni_asked = owned_by_ni.request(by=ni)
    asked_by_quality = Story(org=org, home=home, manager=manager, staff=staff)
    asked_by_quality.make_ready()
    quality_asked = asked_by_quality.request(by=quality)

    for signer, own, others, why in (
        (ni, ni_asked, quality_asked, "Nina Nominated is the action's owner, so cannot sign off."),
        (quality, quality_asked, ni_asked, "Quinn Quality is the person who requested closure, so cannot sign off."),
    ):
        tab.context.clear_cookies()
        sign_in(tab, live_server, signer.email, PASSWORD)
        open_inbox(tab)
        expect(tab.locator(f'.signoff-row[data-request="{others.pk}"]')).to_have_count(1)
        expect(tab.locator(f'.signoff-row[data-request="{own.pk}"]')).to_have_count(0)

        tab.goto(decide_url(live_server, own))
        expect(tab.get_by_role("heading", level=1)).to_have_text(REFUSAL_HEADING)
        expect(tab.locator(".signoff-refusal")).to_contain_text(why)
        expect(tab.get_by_role("button", name="Approve and sign")).to_have_count(0)

    assert status_of(owned_by_ni.action) == status_of(asked_by_quality.action) == ActionStatus.AWAITING_SIGNOFF
    assert not SignOff.objects.exists()


def test_a_challenge_needs_a_reason_and_returns_the_action_to_assurance(
    tab, live_server, org, home, manager, staff, quality
):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    story.request()

    sign_in(tab, live_server, quality.email, PASSWORD)
    open_inbox(tab)
    tab.get_by_role("link", name="Review and decide").click()

    challenge = tab.locator("form.signoff-challenge")
    challenge.get_by_role("button", name="Challenge").click()
    challenge = tab.locator("form.signoff-challenge")
    reason = challenge.get_by_label("Reason")
    # Beside the field and read out with it.
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("Give the reason, so the team knows what to do next."))
    assert status_of(story.action) == ActionStatus.AWAITING_SIGNOFF
    assert not SignOff.objects.exists()

    reason.fill("Two more weeks of night-round readings, please: nights were not sampled.")
    challenge.get_by_role("button", name="Challenge").click()

    tab.wait_for_url(f"{live_server.url}/actions/{story.action.pk}/#closure-decisions")
    expect(tab.get_by_role("status")).to_contain_text("Closure challenged: returned to assurance with your reason.")
    expect(tab.locator("#action-status")).to_have_text("In assurance")
    block = tab.locator(".signature-block")
    expect(block).to_contain_text("Challenged: returned to assurance")
    expect(block).to_contain_text("Quinn Quality")
    expect(block.locator(".signature-reason")).to_have_text(
        "Two more weeks of night-round readings, please: nights were not sampled."
    )
    assert status_of(story.action) == ActionStatus.ASSURANCE


def close_again(story, ni):
    """After reopening, one more step of work, then the whole way to closure once more."""
    services.resume_work(actor=story.manager, action=story.refresh())
    step = Step.objects.create(action=story.action, order=3, what="Observe 3 night rounds", who=story.staff)
    services.complete_step(actor=story.staff, step=step)
    services.start_assurance(actor=story.manager, action=story.refresh())
    return services.approve(actor=ni, closure_request=story.request(), password=PASSWORD, code=code_for(ni))


def test_a_deteriorated_check_reopens_the_action_and_both_closures_stay_on_its_record(
    tab, live_server, org, home, manager, staff, quality, ni
):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    first = services.approve(actor=ni, closure_request=story.request(), password=PASSWORD, code=code_for(ni))

    sign_in(tab, live_server, quality.email, PASSWORD)
    tab.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Checks").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Post-closure checks")
    expect(tab.get_by_text("2 checks to record.")).to_be_visible()
    tab.get_by_role("link", name="Record check").first.click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Record the 30-day check")

    tab.get_by_label("Deteriorated: the action will be reopened").check()
    tab.get_by_label("What has deteriorated?").fill("Two unsigned MAR entries on nights in the last week.")
    tab.get_by_role("button", name="Record check").click()

    tab.wait_for_url(f"{live_server.url}/actions/{story.action.pk}/")
    expect(tab.get_by_role("status")).to_contain_text("Deteriorated: the action has been reopened.")
    expect(tab.locator("#action-status")).to_have_text("Reopened")
    expect(tab.locator(".signature-block")).to_have_count(1)  # the first closure is kept
    expect(tab.locator("#history")).to_contain_text("30-day check: Two unsigned MAR entries")
    assert status_of(story.action) == ActionStatus.REOPENED

    second = close_again(story, ni)
    tab.reload()

    expect(tab.locator("#action-status")).to_have_text("Closed")
    blocks = tab.locator("#closure-decisions .signature-block")
    expect(blocks).to_have_count(2)
    for signoff in (first, second):
        block = tab.locator(f'.signature-block[data-signoff="{signoff.pk}"]')
        expect(block).to_contain_text("Approved for closure")
        expect(block).to_contain_text("Nina Nominated")
        expect(block.locator(".signature-hash")).to_have_text(signoff.snapshot_hash)
    expect(tab.locator("#history")).to_contain_text("Reopened")


def axe_in(page, selector):
    """Serious and critical axe-core findings inside `selector` (the context bypasses CSP to inject it)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async (selector) => await axe.run({include: [selector]}, {resultTypes: ['violations']})", selector
    )
    return [f"{v['id']}: {v['help']}" for v in results["violations"] if v["impact"] in ("serious", "critical")]


def fits_across(page, selector):
    """Nothing in `selector` reaches past the right edge of the window (no sideways scrolling on a tablet)."""
    return page.evaluate(
        "(selector) => [...document.querySelectorAll(selector + ', ' + selector + ' *')]"
        ".every(e => e.getBoundingClientRect().right <= window.innerWidth)",
        selector,
    )


def test_a_plan_closes_once_every_location_is_business_as_usual_and_a_nominated_individual_signs(
    tab, live_server, org, home, branch, manager, quality, ni
):
    plan, actions = three_location_plan(org, home, branch, manager, quality)
    make.close_action(actions["home"], signer=ni)
    make.close_action(actions["elm"], signer=ni)
    tab.set_viewport_size({"width": 768, "height": 1024})  # a tablet, upright

    sign_in(tab, live_server, quality.email, PASSWORD)
    tab.goto(f"{live_server.url}/plans/{plan.pk}/")
    locations = tab.locator("#actions h3")
    expect(locations.filter(has_text="Elm Court")).to_contain_text("Business as usual")
    expect(locations.filter(has_text="Oak House")).to_contain_text("Business as usual")
    expect(locations.filter(has_text="Riverside Homecare")).to_contain_text("Live")
    closure = tab.locator("#closure")
    expect(closure).to_contain_text("2 of 3 locations in business as usual; still live: Riverside Homecare.")
    expect(closure).to_contain_text("Plan closure cannot be requested yet.")
    expect(closure.locator('[data-code="all_actions_closed"]')).to_contain_text("2 of 3 actions closed")
    expect(closure.get_by_role("link", name="Request plan closure")).to_have_count(0)
    assert axe_in(tab, "#closure") == []
    assert fits_across(tab, "#closure")

    make.close_action(actions["branch"], signer=ni)
    tab.reload()
    expect(closure).to_contain_text("3 of 3 locations in business as usual.")
    request_link = closure.get_by_role("link", name="Request plan closure")
    request_link.focus()
    tab.keyboard.press("Enter")  # the way in works from the keyboard

    expect(tab.get_by_role("heading", level=1)).to_have_text("Request plan closure")
    assert axe_in(tab, "main") == []
    assert fits_across(tab, "main")
    tab.get_by_label("Business-as-usual monitoring plan").fill(BAU)
    tab.get_by_label("Closure learning").fill(LEARNING)
    tab.get_by_label("Residual risks").fill(RISKS)
    tab.get_by_role("button", name="Request plan closure").click()

    tab.wait_for_url(f"{live_server.url}/plans/{plan.pk}/#closure")
    expect(tab.get_by_role("status")).to_contain_text("Plan closure requested.")
    expect(tab.locator(".badge.plan-status-awaiting_signoff")).to_have_text("Awaiting sign-off")
    expect(closure).to_contain_text("Closure was requested by Quinn Quality")
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.AWAITING_SIGNOFF

    tab.context.clear_cookies()
    sign_in(tab, live_server, ni.email, PASSWORD)
    open_inbox(tab)
    row = tab.locator(".signoff-row").filter(has_text=plan.reference)
    expect(row).to_contain_text("Whole plan")
    row.get_by_role("link", name="Review and decide").click()
    approve = tab.locator("form.signoff-approve")
    approve.get_by_label("Your password").fill(PASSWORD)
    approve.get_by_label("Code from your authenticator app").fill(code_for(ni))
    approve.get_by_role("button", name="Approve and sign").click()

    tab.wait_for_url(f"{live_server.url}/plans/{plan.pk}/#main")
    expect(tab.get_by_role("status")).to_contain_text("Plan closure approved and signed.")
    expect(tab.locator(".badge.plan-status-closed")).to_have_text("Closed")
    expect(closure.locator(".plan-closure-state")).to_contain_text("✔ Closed")
    expect(closure.locator(".plan-closure-record")).to_contain_text(RISKS)
    signoff = SignOff.objects.get(closure_request=ClosureRequest.objects.get(plan=plan))
    block = closure.locator(".signature-block")
    expect(block).to_contain_text("Nina Nominated")
    expect(block).to_contain_text("Nominated individual")
    expect(block).to_contain_text("Approved for closure")
    expect(block).to_contain_text("(UK time)")
    expect(block.locator(".signature-hash")).to_have_text(signoff.snapshot_hash)
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.CLOSED
