"""Shared fixtures: a small cast in one organisation, and an outsider in another.

`org` has two locations, `home` and `branch`. The cast: `admin` (organisation
admin), `ni`, `quality`, `manager` (registered manager of `home`),
`other_manager` (registered manager of `branch`), `staff` (of `home`),
`viewer` (of `branch`), and `outsider` (registered manager in `foreign_org`).
"""

import time

import pytest

from qip.models import Role
from qip.tests.factories import PASSWORD, LocationFactory, MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a folder of the test's own, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Example Care Group")


@pytest.fixture
def home(org):
    return LocationFactory(organisation=org, name="Oak House")


@pytest.fixture
def branch(org):
    return LocationFactory(organisation=org, name="Riverside Homecare", service_type="homecare")


@pytest.fixture
def foreign_org(db):
    return OrganisationFactory(name="Foreign Care Ltd")


@pytest.fixture
def foreign_location(foreign_org):
    return LocationFactory(organisation=foreign_org, name="Foreign House")


def _member(org, role, locations=(), admin=False, name=None):
    user = UserFactory(full_name=name) if name else UserFactory()
    MembershipFactory(user=user, organisation=org, role=role, locations=list(locations), is_org_admin=admin)
    return user


@pytest.fixture
def admin(org):
    return _member(org, Role.VIEWER, admin=True, name="Alex Admin")


@pytest.fixture
def ni(org):
    return _member(org, Role.NOMINATED_INDIVIDUAL, name="Nina Nominated")


@pytest.fixture
def quality(org):
    return _member(org, Role.QUALITY_LEAD, name="Quinn Quality")


@pytest.fixture
def manager(org, home):
    return _member(org, Role.REGISTERED_MANAGER, [home], name="Mary Manager")


@pytest.fixture
def other_manager(org, branch):
    return _member(org, Role.REGISTERED_MANAGER, [branch], name="Owen Othermanager")


@pytest.fixture
def staff(org, home):
    return _member(org, Role.STAFF, [home], name="Sam Staff")


@pytest.fixture
def viewer(org, branch):
    return _member(org, Role.VIEWER, [branch], name="Vera Viewer")


@pytest.fixture
def outsider(foreign_org, foreign_location):
    return _member(foreign_org, Role.REGISTERED_MANAGER, admin=True, name="Olive Outsider")


# Browser tests (marked `browser`): one Chromium for the session, a fresh context per test.


@pytest.fixture(scope="session")
def browser():
    import os

    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    from qip.tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # bypass_csp lets the tests inject axe-core; the app's own pages never need it.
    context = browser.new_context(viewport={"width": 1024, "height": 768}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    import io

    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _live_server_settles(request):
    """Before a browser test's database is flushed, let the live server finish the requests it is serving.

    On SQLite the live server shares the test's in-memory database; a request still running (the
    browser was closed mid-request) holds a lock that makes the flush fail with "database table is
    locked". Requesting transactional_db and live_server first makes this teardown run before theirs.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    request.getfixturevalue("live_server")
    yield
    import threading
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        serving = [thread for thread in threading.enumerate() if "process_request_thread" in thread.name]
        if not serving:
            break
        for thread in serving:
            thread.join(timeout=0.5)


@pytest.fixture(autouse=True)
def _verified_force_login(monkeypatch):
    """force_login gives a verified session to those who must use two-factor sign-in, as a real sign-in would."""
    from django.test import Client

    real = Client.force_login

    def force_login(self, user, backend=None):
        real(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY

        from qip import two_factor
        from qip.tenancy import forget_memberships

        forget_memberships(user)
        session = self.session
        # As a real sign-in leaves them: so the first page does not write the session and count three more queries.
        session["signed_in_at"] = session["last_seen"] = time.time()
        from qip.middleware import last_used
        from qip.tenancy import active_memberships

        memberships = active_memberships(user)
        if memberships:
            session["organisation_id"] = last_used(memberships).organisation_id
        if two_factor.must_use(user) or two_factor.is_enrolled(user):
            from qip.middleware import NO_AUTHENTICATOR
            from qip.tests.two_factor_support import authenticator_for

            session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
            session[NO_AUTHENTICATOR] = False
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
