"""End-to-end checks in Debian's Chromium, driven by Playwright, against the live server."""

import pytest

from qip.tests.browser import sign_in

pytestmark = pytest.mark.browser


SENIOR_NAV = ["Home", "Plans", "Actions", "Agenda", "Sign-off", "Checks", "Oversight", "Packs", "Audit log"]


def nav_links(page):
    return page.locator("nav[aria-label='Main navigation'] .navbar-nav.me-auto .nav-link").all_inner_texts()


@pytest.mark.parametrize(
    ("email", "role_badge", "navigation"),
    [
        (
            "admin@example.com",
            "Viewer, admin",
            ["Home", "Plans", "Actions", "Packs", "Audit log", "Locations", "People"],
        ),
        ("ni@example.com", "Nominated individual", SENIOR_NAV),
        ("quality@example.com", "Quality lead", SENIOR_NAV),
        ("manager@example.com", "Registered manager", ["Home", "Plans", "Actions", "Agenda", "Packs"]),
        ("staff@example.com", "Staff", ["Home", "Plans", "Actions", "Packs"]),
        ("viewer@example.com", "Viewer", ["Home", "Plans", "Actions", "Packs"]),
    ],
)
def test_each_demo_login_lands_on_home_with_its_navigation(demo, live_server, page, email, role_badge, navigation):
    sign_in(page, live_server, email)
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Example Care Group"
    assert role_badge in page.get_by_test_id("current-organisation").inner_text()
    assert nav_links(page) == navigation


def test_manager_sees_only_their_home_and_skip_link_is_first_on_the_keyboard(demo, live_server, page):
    sign_in(page, live_server, "manager@example.com")
    page.wait_for_url(f"{live_server.url}/")
    table = page.get_by_role("table", name="Locations you can see").inner_text()
    assert "Oak House" in table
    assert "Riverside Homecare" not in table
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"


def test_quality_lead_switches_organisation_and_sees_which_one_is_current(demo, live_server, page):
    sign_in(page, live_server, "quality@example.com")
    page.wait_for_url(f"{live_server.url}/")
    current = page.get_by_test_id("current-organisation")
    assert "Example Care Group" in current.inner_text()
    page.get_by_label("Switch organisation").select_option(label="Northgate Homecare")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert "Northgate Homecare" in current.inner_text()
    assert "Northgate Homecare Branch" in page.get_by_role("table", name="Locations you can see").inner_text()
    assert "Oak House" not in page.content()


def test_wrong_password_shows_a_message_beside_the_form(demo, live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill("manager@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match an active account" in page.locator("form").inner_text()


TABLET_PAGES = [
    "/",
    "/organisation/audit/",
    "/organisation/locations/",
    "/organisation/locations/add/",
    "/organisation/people/",
    "/organisation/people/invite/",
]


def test_admin_pages_fit_a_tablet_without_sideways_scrolling(demo, live_server, browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    sign_in(page, live_server, "admin@example.com")
    page.wait_for_url(f"{live_server.url}/")
    too_wide = {}
    for path in TABLET_PAGES:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 768:
            too_wide[path] = width
    context.close()
    assert not too_wide, f"pages wider than a 768px tablet: {too_wide}"


def test_every_badge_has_a_background_so_its_white_text_shows(demo, live_server, page):
    """Bootstrap's badges have white text and no background of their own; axe does not catch that."""
    sign_in(page, live_server, "quality@example.com")
    invisible = {}
    for path in ["/", "/plans/", *(f"/plans/{n}/" for n in range(1, 6))]:
        page.goto(live_server.url + path)
        found = page.evaluate(
            """() => [...document.querySelectorAll('.badge')]
                .filter(b => getComputedStyle(b).backgroundColor === 'rgba(0, 0, 0, 0)')
                .map(b => b.className + ': ' + b.textContent.trim())"""
        )
        if found:
            invisible[path] = found
    assert not invisible, invisible
