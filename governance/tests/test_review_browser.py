"""Reviews in Debian's Chromium, on the demo organisation.

The quality lead opens the governance agenda, records a plan's outcome from it (RAG, evidence seen,
step-down with a reason), comes back to the agenda with the outcome marked, and finds the review on
the plan's timeline; the governance screens pass axe (serious and critical) and fit a 768 px tablet.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import Review
from qip.models import Plan
from qip.plan_services import uk_date
from qip.tests.browser import screen_problems, sign_in

pytestmark = pytest.mark.browser

QUALITY = "quality@example.com"


def test_a_quality_lead_records_a_step_down_from_the_agenda(demo, live_server, page):
    page.set_default_timeout(15_000)
    plan = Plan.objects.get(reference="QIP-2026-001")  # weekly, review due in three days
    today = timezone.localdate()
    meeting = plan.next_review_date
    sign_in(page, live_server, QUALITY)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Agenda").click()
    page.get_by_label("Meeting date").fill(meeting.isoformat())
    page.get_by_role("button", name="Show agenda").click()
    card = page.locator(f"#plan-{plan.pk}")
    expect(card).to_contain_text("QIP-2026-001")
    card.get_by_role("link", name="Record outcome for QIP-2026-001").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Record a review")
    expect(page.get_by_label("Date the review was held")).to_have_value(meeting.isoformat())
    page.get_by_label("Date the review was held").fill(today.isoformat())
    page.get_by_role("radio", name="Step down").check()
    page.get_by_role("button", name="Record review").click()

    # Nothing chosen for the action and no reason: both are asked for beside their fields.
    expect(page.get_by_text("Choose red, amber or green for this action.")).to_be_visible()
    expect(page.get_by_text("Say why reviews can be less frequent")).to_be_visible()
    assert not Review.objects.filter(meeting_date=meeting).exists()

    page.get_by_role("radio", name="Green: on track").check()
    page.get_by_label("Follow-up MAR audit: 20 charts", exact=False).check()
    page.get_by_label("Reason for the decision").fill("Three weeks at target and the night round observed.")
    page.get_by_role("button", name="Record review").click()

    next_review = today + timedelta(days=14)
    expect(page.locator(".alert-success")).to_contain_text(f"Next review of QIP-2026-001 is due {uk_date(next_review)}")
    expect(page.locator(f"#plan-{plan.pk}")).to_contain_text("✔ Outcome recorded: Step down")

    page.locator(f"#plan-{plan.pk}").get_by_role("link", name="QIP-2026-001", exact=False).first.click()
    timeline = page.locator("#reviews")
    expect(timeline).to_contain_text("Fortnightly")
    expect(timeline.locator(".review-entry").first).to_contain_text("Step down")
    expect(timeline.locator(".review-entry").first).to_contain_text("Reviews weekly → fortnightly")
    review = Review.objects.get(meeting_date=meeting)
    assert (review.cadence_before, review.cadence_after) == ("weekly", "fortnightly")
    assert review.evidence_seen.count() == 1


def test_the_governance_screens_pass_axe_and_fit_a_tablet(demo, live_server, page):
    plan = Plan.objects.get(reference="QIP-2026-003")
    review = Review.objects.filter(plan=plan).first()
    paths = {
        "agenda": reverse("governance_agenda"),
        "review form": reverse("review_add", args=[plan.pk]),
        "review": reverse("review_detail", args=[review.pk]),
        "oversight": reverse("oversight"),
        "sign-off inbox": reverse("signoff_inbox"),
        "checks": reverse("check_list"),
        "plan": reverse("plan_detail", args=[plan.pk]),
    }
    sign_in(page, live_server, QUALITY)
    violations, too_wide = screen_problems(page, live_server, paths)
    assert not violations, violations
    assert not too_wide, f"wider than a 768 px tablet: {too_wide}"
