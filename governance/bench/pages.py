"""Time the busy pages in-process, through every middleware, as the people who use them.

Each page is fetched a few times to warm up, then `runs` times against the clock, then once more
with the queries captured. The client is Django's test client with a real session: a nominated
individual's or quality lead's session is marked as past two-factor sign-in, as a real sign-in
would leave it.
"""

import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY

from actions.models import Action, ActionStatus
from governance.models import ClosureRequest, Notification, RequestStatus
from qip import two_factor
from qip.middleware import NO_AUTHENTICATOR
from qip.models import Membership, Plan, PlanStatus, Role

WARM_UP = 3


@dataclass
class Page:
    name: str
    role: str
    url: str
    runs_ms: list = field(default_factory=list)
    queries: int = 0
    status: int = 0

    @property
    def median(self):
        return statistics.median(self.runs_ms)

    @property
    def p95(self):
        ordered = sorted(self.runs_ms)
        return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def people(organisation):
    """{role: user}: the first member of each role, a nominated individual and a quality lead who can sign in."""
    found = {}
    memberships = Membership.objects.filter(organisation=organisation, is_active=True).select_related("user")
    for role in (Role.NOMINATED_INDIVIDUAL, Role.QUALITY_LEAD, Role.REGISTERED_MANAGER, Role.STAFF, Role.VIEWER):
        candidates = memberships.filter(role=role).order_by("pk")
        enrolled = [m.user for m in candidates[:20] if two_factor.is_enrolled(m.user)]
        member = enrolled[0] if enrolled else (candidates.first() and candidates.first().user)
        if member is not None:
            found[role] = member
    return found


def client_for(user):
    client = Client()
    client.force_login(user)
    if two_factor.must_use(user) or two_factor.is_enrolled(user):
        if two_factor.authenticator(user) is None:
            two_factor.enrol_for_demo(user)
        device = two_factor.authenticator(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[NO_AUTHENTICATOR] = False
        session.save()
    return client


def targets(organisation, cast):
    """The pages of issue 9, each with the busiest record of its kind the data holds."""
    manager = cast[Role.REGISTERED_MANAGER]
    location = Membership.objects.get(organisation=organisation, user=manager).locations.order_by("pk").first()
    plan = (
        Plan.objects.filter(organisation=organisation, locations=location)
        .annotate(n=Count("actions"))
        .order_by("-n", "pk")
        .first()
    )
    action = (
        Action.objects.filter(plan__organisation=organisation, location=location, status=ActionStatus.ASSURANCE)
        .annotate(n=Count("evidence"))
        .order_by("-n", "pk")
        .first()
    ) or Action.objects.filter(plan=plan).order_by("pk").first()
    busiest = (
        Notification.objects.filter(organisation=organisation)
        .values("recipient")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    reader = manager
    if busiest:
        reader = Membership.objects.get(organisation=organisation, user_id=busiest["recipient"]).user
    query = f"?status={PlanStatus.OPEN}&location={location.pk}&o=-risk"
    pages = [Page("trivial signed-in page", "registered manager", "/bench/trivial/")]
    pages += [Page("dashboard", Role(role).label.lower(), "/") for role in cast]
    pages += [
        Page("plan list, filtered", "quality lead", f"/plans/{query}"),
        Page("plan detail", "registered manager", f"/plans/{plan.pk}/"),
        Page("action detail with gate", "registered manager", f"/actions/{action.pk}/"),
        Page("sign-off inbox", "nominated individual", "/signoff/"),
        Page("notification list", "busiest reader", "/notifications/"),
        Page("provider oversight", "nominated individual", "/oversight/"),
    ]
    users = {Role(role).label.lower(): user for role, user in cast.items()}
    users["busiest reader"] = reader
    pending = ClosureRequest.objects.filter(organisation=organisation, status=RequestStatus.PENDING).count()
    return pages, users, {"pending closure requests": pending, "plan actions": plan.n}


def measure(page, client, runs):
    for _ in range(WARM_UP):
        page.status = client.get(page.url).status_code
    if page.status != 200:
        raise RuntimeError(f"{page.name} ({page.url}) answered {page.status} for the {page.role}")
    for _ in range(runs):
        started = time.perf_counter()
        client.get(page.url)
        page.runs_ms.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(page.url)
    page.queries = len(captured)
    return page
