"""The workflow screens end to end in Debian's Chromium: from an empty plan to a closure request.

A registered manager creates a plan and an action, ticks the steps, starts assurance, uploads
evidence, records readings and requests closure, all in the browser; the closure readiness panel
refuses at each stage with a reason; staff add evidence but cannot edit a plan; and the main
screens pass axe (serious and critical) and fit a 768 px tablet.

The live server runs on the real clock, so readings are weekly periods ending on real past
dates: yesterday and the three weeks before it.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from actions import services as action_services
from actions.models import Action, ActionStatus
from evidence import services as evidence_services
from governance import services as governance_services
from qip import plan_services
from qip.models import EvidenceCategory, Location, Organisation, User
from qip.plan_services import uk_date
from qip.tests.browser import screen_problems, sign_in
from qip.tests.domain_factories import PDF_BYTES

pytestmark = pytest.mark.browser

MANAGER = "manager@example.com"  # Sarah Jones, registered manager of Oak House
STAFF = "staff@example.com"  # Amir Khan, staff at Oak House
ACTION_TITLE = (
    "Deputy manager audits 10 falls risk assessments each week against the care plan "
    "and records the findings in the falls audit log"
)
STEPS = [
    "Senior carer reviews each resident's falls risk assessment every month and records the review in the care plan",
    "Registered manager checks 5 reviewed falls risk assessments each week and records the results "
    "in the falls audit log",
]
MEASURE = "% of falls risk assessments reviewed monthly"
WORK_LINES = ["steps_complete", "evidence_sources", "measure_target", "stability", "no_recent_concerns"]
ACTION_URL = re.compile(r"/actions/\d+/$")


@pytest.fixture(autouse=True)
def prompt_failures(page):
    """Fail in seconds, not Playwright's default 30, when a screen does not show what it should."""
    page.set_default_timeout(15_000)


def today():
    return timezone.localdate()


def weekly_period_ends(count):
    """Period ends a week apart, oldest first, the latest yesterday."""
    return [today() - timedelta(days=1 + 7 * weeks_back) for weeks_back in reversed(range(count))]


# The readiness panel


def gate_line(page, code):
    return page.locator(f"#readiness-panel tr.gate-line[data-code='{code}']")


def expect_line(page, code, *, passed, text=""):
    """The panel's line for `code` shows ✔ Met or ✘ Not yet, and says `text`."""
    line = gate_line(page, code)
    expect(line.locator("td").first).to_have_text("✔ Met" if passed else "✘ Not yet")
    if text:
        expect(line).to_contain_text(text)


def expect_no_closure_request(page):
    expect(page.get_by_role("link", name="Request closure")).to_have_count(0)


def done_button(page, number):
    # The hidden words are absolutely positioned, so the accessible name reads "Done : step 1, …".
    return page.get_by_role("button", name=re.compile(rf"^Done: step {number},"))


def expect_status(page, status):
    expect(page.locator("#action-status")).to_have_text(status)


# Forms


def add_evidence(page, *, title, category, kind, pdf):
    """From the action page: "Add evidence", fill the form as assurance collected today, back to the action."""
    action_url = page.url
    page.get_by_role("link", name="Add evidence").click()
    page.get_by_role("heading", name="Add evidence").wait_for()
    page.get_by_label("Title").fill(title)
    page.get_by_label(f"{category} —").check()
    page.get_by_label("Kind of evidence").select_option(label=kind)
    page.get_by_label("Assurance —").check()
    page.get_by_label("Date collected").fill(today().isoformat())
    page.get_by_label("Files").set_input_files(str(pdf))
    page.get_by_role("button", name="Add evidence").click()
    page.wait_for_url(action_url)
    expect(page.locator(".messages")).to_contain_text(f"Evidence added with 1 file: {title}.")


def record_reading(page, period_end, value):
    """The quick entry on the action page (htmx swaps the measure panel in place)."""
    panel = page.locator("#measure")
    panel.get_by_role("textbox", name=re.compile("^Period ending")).fill(period_end.isoformat())
    panel.get_by_role("spinbutton", name=re.compile("^Value")).fill(str(value))
    panel.get_by_role("button", name="Record reading").click()
    expect(page.locator("#measure [role=status]")).to_contain_text(f"week ending {uk_date(period_end)}")


# 1. The walk-through


def test_a_registered_manager_takes_an_empty_plan_to_a_closure_request(demo, live_server, page, tmp_path):
    pdf = tmp_path / "falls-audit.pdf"
    pdf.write_bytes(PDF_BYTES)
    sign_in(page, live_server, MANAGER)

    # The plan
    page.goto(live_server.url + reverse("plan_list"))
    page.get_by_role("link", name="New plan").click()
    page.get_by_role("heading", name="New plan", level=1).wait_for()
    page.get_by_label("Title").fill("Falls risk assessments at Oak House")
    page.get_by_label("Problem statement").fill(
        "An internal audit found 9 of 20 falls risk assessments not reviewed after a change in mobility."
    )
    page.get_by_role("combobox", name=re.compile("^Source")).select_option(label="Internal audit")
    page.get_by_label("Quality area").select_option(label="Falls")
    page.get_by_label("Risk likelihood").select_option("3")
    page.get_by_label("Risk impact").select_option("3")
    page.get_by_label("Owner").select_option(label="Sarah Jones")
    page.get_by_label("Oak House").check()
    page.get_by_role("button", name="Create plan").click()
    page.wait_for_url(re.compile(r"/plans/\d+/$"))
    expect(page.locator(".messages")).to_contain_text(re.compile(r"QIP-\d{4}-\d{3} created\."))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Falls risk assessments at Oak House")
    expect(page.locator("#overview")).to_contain_text("Likelihood 3 × impact 3 = 9")
    expect(page.locator("#actions")).to_contain_text("No actions here yet.")

    # The action: two steps, a measure, the default criteria
    page.get_by_role("link", name="Add action").click()
    page.get_by_role("heading", name=re.compile("^New action for")).wait_for()
    the_action = page.get_by_role("group", name="The action", exact=True)
    the_action.get_by_label("Title").fill(ACTION_TITLE)
    the_action.get_by_label("Owner").select_option(label="Sarah Jones")
    the_action.get_by_label("Due date").fill((today() + timedelta(days=60)).isoformat())
    for number, (what, who) in enumerate(zip(STEPS, ["Amir Khan", "Sarah Jones"], strict=True), 1):
        step = page.get_by_role("group", name=f"Step {number}", exact=True)
        step.get_by_label("What is done").fill(what)
        step.get_by_label("Who").select_option(label=who)
        step.get_by_label("Due date").fill((today() + timedelta(days=14 * number)).isoformat())
    measure = page.get_by_role("group", name="Measure", exact=True)
    measure.get_by_label("Measure").fill(MEASURE)
    measure.get_by_label("Unit").fill("%")
    measure.get_by_label("Target").fill("90")
    measure.get_by_label("Higher is better").check()
    page.get_by_role("button", name="Add action", exact=True).click()
    page.wait_for_url(ACTION_URL)
    expect(page.locator(".messages")).to_contain_text("Action added to")
    expect(page.get_by_role("heading", level=1)).to_have_text(ACTION_TITLE)
    expect_status(page, "Open")
    expect_line(page, "steps_complete", passed=False, text="0 of 2 steps done")
    expect_line(page, "measure_target", passed=False, text="No readings are recorded yet.")
    expect_no_closure_request(page)
    action_url = page.url

    # Tick both steps on the action page
    done_button(page, 1).click()
    expect_line(page, "steps_complete", passed=False, text="1 of 2 steps done")
    expect_status(page, "In progress")
    done_button(page, 2).click()
    expect_line(page, "steps_complete", passed=True, text="2 of 2 steps done.")
    expect_status(page, "Completed")
    expect(page.locator("#steps .step-done-mark")).to_have_count(2)

    # Start assurance
    page.get_by_role("button", name="Start assurance monitoring").click()
    page.wait_for_url(action_url)
    expect(page.locator(".messages")).to_contain_text("Assurance monitoring started.")
    expect_status(page, "In assurance")
    expect_line(page, "evidence_sources", passed=False, text="0 of 2 categories")
    expect_no_closure_request(page)

    # Evidence of two categories
    add_evidence(page, title="Falls risk assessment audit, 10 files", category="Processes", kind="Audit", pdf=pdf)
    expect_line(page, "evidence_sources", passed=False, text="1 of 2 categories (Processes)")
    expect(page.locator("#evidence")).to_contain_text("falls-audit.pdf")
    add_evidence(
        page,
        title="Observed mobility reassessment at handover",
        category="Observation",
        kind="Observation of practice",
        pdf=pdf,
    )
    expect_line(page, "evidence_sources", passed=True, text="2 of 2 categories (Observation, Processes)")
    expect_no_closure_request(page)

    # Readings until the gate passes
    ends = weekly_period_ends(4)
    for period_end, value in zip(ends[:3], [91, 94, 92], strict=True):
        record_reading(page, period_end, value)
    # No reload: the readiness panel refreshes itself when a reading is recorded in place.
    expect_line(page, "measure_target", passed=True, text="meets the target 90%")
    expect_line(page, "stability", passed=False, text="3 of the 4 readings needed")
    expect_no_closure_request(page)
    record_reading(page, ends[3], 95)
    expect(page.locator("#measure table.measure-latest tbody tr")).to_have_count(4)
    for code in WORK_LINES:
        expect_line(page, code, passed=True)
    expect_line(page, "stability", passed=True, text="met in all 4 readings")
    expect(page.locator("#readiness-panel")).to_contain_text("request closure with the business-as-usual")

    # Request closure
    page.get_by_role("link", name="Request closure").click()
    page.get_by_role("heading", name="Request closure", level=1).wait_for()
    page.get_by_label("Business-as-usual monitoring plan").fill(
        "Deputy manager audits 10 falls risk assessments every month; results go to the monthly governance meeting."
    )
    page.get_by_label("Closure learning").fill(
        "Weekly audits with named reviewers changed practice; the reminder at handover alone did not."
    )
    page.get_by_role("button", name="Request closure").click()
    page.wait_for_url(action_url)
    expect(page.locator(".messages")).to_contain_text("Closure requested. The action is awaiting sign-off.")
    expect_status(page, "Awaiting sign-off")
    expect(page.locator("#readiness-panel .readiness-awaiting")).to_contain_text(
        "Awaiting sign-off. Needs sign-off by a quality lead or nominated individual."
    )
    expect_line(page, "bau_plan", passed=True, text="The business-as-usual monitoring plan is written.")
    expect_line(page, "closure_learning", passed=True, text="The closure learning is written.")
    expect(page.get_by_role("region", name="Closure request")).to_contain_text("Requested by Sarah Jones")
    expect_no_closure_request(page)
    expect(page.get_by_role("button", name=re.compile("^Done"))).to_have_count(0)

    action = Action.objects.get(title=ACTION_TITLE)
    assert action.status == ActionStatus.AWAITING_SIGNOFF
    assert action.measure.readings.count() == 4
    assert action.evidence.count() == 2


# 2. The readiness panel refuses at each stage


def build_action():
    """A falls plan and action at Oak House, made through the services as the demo manager."""
    manager = User.objects.get(email=MANAGER)
    staff = User.objects.get(email=STAFF)
    org = Organisation.objects.get(name="Example Care Group")
    oak = Location.objects.get(organisation=org, name="Oak House")
    plan = plan_services.create_plan(
        actor=manager,
        organisation=org,
        title="Falls risk assessments at Oak House",
        problem_statement="9 of 20 falls risk assessments were not reviewed after a change in mobility.",
        source="internal_audit",
        quality_area="falls",
        risk_likelihood=3,
        risk_impact=3,
        owner=manager,
        locations=[oak],
    )
    due = today() + timedelta(days=28)
    action = action_services.create_action(
        actor=manager,
        plan=plan,
        location=oak,
        title=ACTION_TITLE,
        owner=manager,
        due_date=due,
        steps=[{"what": STEPS[0], "who": staff, "due_date": due}, {"what": STEPS[1], "who": manager, "due_date": due}],
    )
    measure = evidence_services.create_measure(actor=manager, action=action, name=MEASURE, unit="%", target=90)
    return manager, staff, action, measure


def category(slug):
    return EvidenceCategory.objects.get(framework__is_current=True, slug=slug)


def test_the_readiness_panel_refuses_closure_at_each_stage_with_its_reason(demo, live_server, page):
    manager, staff, action, measure = build_action()
    steps = list(action.steps.order_by("order"))
    sign_in(page, live_server, MANAGER)
    url = live_server.url + reverse("action_detail", args=[action.pk])

    page.goto(url)
    expect_status(page, "Open")
    expect_line(page, "steps_complete", passed=False, text="0 of 2 steps done")
    expect_line(page, "evidence_sources", passed=False, text="0 of 2 categories")
    expect_line(page, "stability", passed=False, text="No readings are recorded yet.")
    expect_no_closure_request(page)

    governance_services.complete_step(actor=staff, step=steps[0])
    page.reload()
    expect_line(page, "steps_complete", passed=False, text="1 of 2 steps done")
    expect_no_closure_request(page)

    governance_services.complete_step(actor=manager, step=steps[1])
    page.reload()
    expect_line(page, "steps_complete", passed=True, text="2 of 2 steps done.")
    expect_line(page, "evidence_sources", passed=False, text="0 of 2 categories")
    # In assurance from here on, so only the gate keeps "Request closure" away.
    page.get_by_role("button", name="Start assurance monitoring").click()
    page.wait_for_url(url)
    expect_status(page, "In assurance")
    expect_no_closure_request(page)

    def add(slug, kind):
        evidence_services.add_evidence(
            actor=manager,
            action=action,
            category=category(slug),
            kind=kind,
            purpose="assurance",
            title=f"{slug} evidence",
            collected_on=today(),
        )

    add("processes", "audit")
    page.reload()
    expect_line(page, "evidence_sources", passed=False, text="1 of 2 categories")
    expect_no_closure_request(page)

    add("observation", "observation")
    ends = weekly_period_ends(4)
    for period_end in ends[:2]:
        evidence_services.record_reading(actor=staff, measure=measure, period_end=period_end, value=95)
    page.reload()
    expect_line(page, "evidence_sources", passed=True, text="2 of 2 categories")
    expect_line(page, "measure_target", passed=True)
    expect_line(page, "stability", passed=False, text="readings needed")
    expect_no_closure_request(page)

    for period_end in ends[2:]:
        evidence_services.record_reading(actor=staff, measure=measure, period_end=period_end, value=95)
    page.reload()
    for code in WORK_LINES:
        expect_line(page, code, passed=True)
    expect(page.get_by_role("link", name="Request closure")).to_be_visible()


# 3. Staff


def oak_house_action():
    """A demo action at Oak House that is still being worked on or monitored."""
    return (
        Action.objects.filter(location__name="Oak House", plan__organisation__name="Example Care Group")
        .filter(status__in=[ActionStatus.IN_PROGRESS, ActionStatus.COMPLETED, ActionStatus.ASSURANCE])
        .select_related("plan")
        .order_by("plan__reference", "pk")
        .first()
    )


def test_staff_add_evidence_to_an_oak_house_action_but_cannot_edit_its_plan(demo, live_server, page, tmp_path):
    action = oak_house_action()
    pdf = tmp_path / "night-checks.pdf"
    pdf.write_bytes(PDF_BYTES)
    sign_in(page, live_server, STAFF)
    action_url = live_server.url + reverse("action_detail", args=[action.pk])
    page.goto(action_url)

    page.get_by_role("link", name="Add evidence").click()
    page.wait_for_url(re.compile(r"/evidence/action/\d+/add/$"))
    page.get_by_label("Title").fill("Night checks observed, 3 rounds")
    page.get_by_label("Observation —").check()
    page.get_by_label("Kind of evidence").select_option(label="Observation of practice")
    page.get_by_label("Assurance —").check()
    page.get_by_label("Files").set_input_files(str(pdf))
    page.get_by_role("button", name="Add evidence").click()
    page.wait_for_url(action_url)
    expect(page.locator(".messages")).to_contain_text("Evidence added with 1 file: Night checks observed, 3 rounds.")
    row = page.locator("#evidence tr", has_text="Night checks observed, 3 rounds")
    expect(row).to_contain_text("Observation")
    expect(row).to_contain_text("Amir Khan")
    expect(row).to_contain_text("night-checks.pdf")

    page.goto(live_server.url + reverse("plan_detail", args=[action.plan_id]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(action.plan.reference)
    expect(page.get_by_role("link", name="Edit plan")).to_have_count(0)

    response = page.goto(live_server.url + reverse("plan_edit", args=[action.plan_id]))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)


# 4. Accessibility and the tablet


def test_the_main_screens_pass_axe_and_fit_a_tablet(demo, live_server, page):
    action = oak_house_action()
    plan = action.plan
    paths = {
        "dashboard": reverse("home"),
        "plan list": reverse("plan_list"),
        "plan detail": reverse("plan_detail", args=[plan.pk]),
        "action detail": reverse("action_detail", args=[action.pk]),
        "evidence upload": reverse("evidence_add", args=[action.pk]),
    }
    sign_in(page, live_server, MANAGER)
    violations, too_wide = screen_problems(page, live_server, paths)
    assert not violations, violations
    assert not too_wide, f"wider than a 768 px tablet: {too_wide}"
