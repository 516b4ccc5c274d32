"""Helpers for browser tests: Debian's Chromium through Playwright, and axe-core checks."""

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "demo-password-2026"


def sign_in(page, live_server, email, password=DEMO_PASSWORD):
    """Sign in as a person would: password, then (for those who use two-factor sign-in) the app's code."""
    from qip import two_factor
    from qip.models import User
    from qip.tests.two_factor_support import authenticator_for, code_for

    user = User.objects.get(email__iexact=email)
    with_code = two_factor.must_use(user) or two_factor.is_enrolled(user)
    if with_code:
        authenticator_for(user)  # their phone was set up before this test
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if with_code:
        page.wait_for_url("**/accounts/two-factor/**")
        page.get_by_label("Code").fill(code_for(user))
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")


def axe_violations(page, impacts=("serious", "critical")):
    """Run axe-core on the current page; the context must be made with bypass_csp=True to inject it."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(n['target'][0] for n in v['nodes'][:3])}"
        for v in results["violations"]
        if v["impact"] in impacts
    ]


def screen_problems(page, live_server, paths, sizes=((1024, 768), (768, 1024))):
    """Open each of `paths` ({name: path}) at each size; return (axe violations, pages wider than a 768 px tablet)."""
    violations, too_wide = {}, {}
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        for name, path in paths.items():
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{name}: {response.status}"
            page.get_by_role("heading", level=1).first.wait_for()
            if found := axe_violations(page):
                violations[f"{name} at {width}px"] = found
            if width == 768 and (scroll := page.evaluate("document.documentElement.scrollWidth")) > 768:
                too_wide[name] = scroll
    return violations, too_wide
