"""The action list: every action a member may see, across plans, with filters, sort and pages in the URL."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionStatus
from qip.tests import domain_factories as make

LIST = reverse("action_list")


def today():
    return timezone.localdate()


def titles(response):
    return [action.title for action in response.context["page"].object_list]


def all_titles(client, query=None):
    """The titles the list shows, page after page."""
    response = client.get(LIST, query or {})
    shown = titles(response)
    for number in range(2, response.context["page"].paginator.num_pages + 1):
        shown += titles(client.get(LIST, {**(query or {}), "page": number}))
    return shown


@pytest.fixture
def plans(org, home, branch, manager, other_manager):
    """Plan A at home (the manager's), plan B at the branch (the other manager's)."""
    a = make.PlanFactory(
        organisation=org, reference="QIP-A", title="Medicines records", locations=[home], owner=manager
    )
    b = make.PlanFactory(
        organisation=org, reference="QIP-B", title="Falls at night", locations=[branch], owner=other_manager
    )
    return a, b


@pytest.fixture
def actions(plans, home, branch, manager, other_manager, staff):
    a, b = plans
    due = today() + timedelta(days=10)
    make.ActionFactory(plan=a, location=home, owner=manager, title="Audit MAR charts", due_date=due)
    make.ActionFactory(
        plan=a,
        location=home,
        owner=staff,
        title="Observe rounds",
        high_risk=True,
        status=ActionStatus.IN_PROGRESS,
        due_date=today() - timedelta(days=3),
    )
    make.ActionFactory(
        plan=a,
        location=home,
        owner=manager,
        title="Assure signing",
        status=ActionStatus.ASSURANCE,
        due_date=today() - timedelta(days=5),  # past due but not live, so not overdue
    )
    make.ActionFactory(plan=b, location=branch, owner=other_manager, title="Falls huddle", due_date=None)


def test_a_manager_sees_the_actions_at_their_location_with_the_columns_that_matter(client, actions, manager):
    client.force_login(manager)

    response = client.get(LIST)

    assert response.status_code == 200
    assert titles(response) == ["Assure signing", "Observe rounds", "Audit MAR charts"]  # by due date
    body = response.content.decode()
    assert body.count("<h1") == 1 and "<caption" in body and '<th scope="col"' in body
    assert "Falls huddle" not in body  # the branch is not theirs to see
    assert "QIP-A" in body and "Oak House" in body and "Sam Staff" in body and "In assurance" in body
    assert "✘ Overdue" in body and "High risk" in body
    assert (today() + timedelta(days=10)).strftime("%-d %b %Y") in body  # UK dates
    observe = next(action for action in response.context["page"].object_list if action.title == "Observe rounds")
    assert f'href="{reverse("action_detail", args=[observe.pk])}"' in body
    assert 'method="get"' in body and 'action="/actions/"' in body and ">Filter</button>" in body
    assert "<script" not in body.split("<main", 1)[-1].split("</main>", 1)[0]


def test_the_quality_lead_sees_every_location_and_actions_is_in_everyones_navigation(
    client, actions, quality, staff, viewer
):
    client.force_login(quality)
    assert sorted(titles(client.get(LIST))) == ["Assure signing", "Audit MAR charts", "Falls huddle", "Observe rounds"]
    for member in (staff, viewer):
        client.force_login(member)
        nav = client.get(reverse("home")).content.decode()
        nav = nav[nav.index('id="main-nav"') :]
        assert nav.index(">Plans<") < nav.index(">Actions<")
    assert titles(client.get(LIST)) == ["Falls huddle"]  # the viewer of the branch


def test_another_organisations_actions_never_appear(client, actions, outsider, foreign_org, foreign_location):
    plan = make.PlanFactory(organisation=foreign_org, locations=[foreign_location], owner=outsider)
    make.ActionFactory(plan=plan, location=foreign_location, owner=outsider, title="Foreign action")
    client.force_login(outsider)

    assert titles(client.get(LIST)) == ["Foreign action"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "in_progress"}, ["Observe rounds"]),
        ({"high_risk": "on"}, ["Observe rounds"]),
        ({"overdue": "on"}, ["Observe rounds"]),
        ({"q": "qip-b"}, ["Falls huddle"]),  # the plan's reference, any case
        ({"q": "medicines"}, ["Assure signing", "Observe rounds", "Audit MAR charts"]),  # the plan's title
        ({"q": "huddle"}, ["Falls huddle"]),  # the action's own title
    ],
)
def test_filters_narrow_the_list(client, actions, quality, query, expected):
    client.force_login(quality)

    assert titles(client.get(LIST, query)) == expected


def test_location_and_owner_filters(client, actions, quality, branch, staff):
    client.force_login(quality)

    assert titles(client.get(LIST, {"location": branch.pk})) == ["Falls huddle"]
    assert titles(client.get(LIST, {"owner": staff.pk})) == ["Observe rounds"]
    assert "1 action matches the filters." in client.get(LIST, {"owner": staff.pk}).content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["Assure signing", "Observe rounds", "Audit MAR charts", "Falls huddle"]),  # no due date last
        ("-due", ["Audit MAR charts", "Observe rounds", "Assure signing", "Falls huddle"]),
        # Status follows the workflow (open, in progress, …, in assurance), not the alphabet; due date breaks ties.
        ("status", ["Audit MAR charts", "Falls huddle", "Observe rounds", "Assure signing"]),
        ("location", ["Assure signing", "Observe rounds", "Audit MAR charts", "Falls huddle"]),
        ("-location", ["Falls huddle", "Assure signing", "Observe rounds", "Audit MAR charts"]),
        ("plan", ["Assure signing", "Observe rounds", "Audit MAR charts", "Falls huddle"]),
        ("-plan", ["Falls huddle", "Assure signing", "Observe rounds", "Audit MAR charts"]),
    ],
)
def test_sorts(client, actions, quality, sort, expected):
    client.force_login(quality)

    response = client.get(LIST, {"o": sort})

    assert titles(response) == expected
    header = f'aria-sort="{"descending" if sort.startswith("-") else "ascending"}"'
    assert header in response.content.decode()


def test_pages_of_25_keep_the_filters_and_sort(client, org, home, manager):
    plan = make.PlanFactory(organisation=org, locations=[home], owner=manager)
    for day in range(30):
        make.ActionFactory(
            plan=plan, location=home, owner=manager, title=f"A{day:02d}", due_date=today() + timedelta(day)
        )
    client.force_login(manager)

    first = client.get(LIST, {"o": "-due"})
    assert len(titles(first)) == 25 and titles(first)[0] == "A29"
    body = first.content.decode()
    assert "Page 1 of 2" in body and 'href="?o=-due&amp;page=2"' in body
    assert all_titles(client, {"o": "-due"}) == [f"A{day:02d}" for day in reversed(range(30))]


def test_the_list_costs_the_same_queries_for_5_and_50_actions(client, org, home, branch, manager, quality):
    plan = make.PlanFactory(organisation=org, locations=[home, branch], owner=manager)
    client.force_login(quality)

    def count_queries(number):
        for n in range(number):
            owner = make.member(org, locations=[home])
            make.ActionFactory(plan=plan, location=home if n % 2 else branch, owner=owner)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"o": "-status", "q": "QIP"})
        assert response.status_code == 200
        return len(queries)

    five = count_queries(5)
    fifty = count_queries(45)  # 50 actions in all, two pages
    assert five == fifty, f"{five} queries for 5 actions, {fifty} for 50"
