"""The provider oversight page: stalled and long-running plans, closures, the reopen rate and each location."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus
from evidence.models import EvidenceItem, MeasureReading
from governance import selectors_oversight as oversight_selectors
from governance import services
from governance.models import ClosureRequest, Decision, Reopening, RequestStatus, SignOff
from governance.selectors_oversight import LIST_LIMIT, reopen_rate
from governance.views import oversight as oversight_view
from qip import permissions
from qip.models import Plan, PlanStatus, Role
from qip.tests import domain_factories as make
from qip.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

OVERSIGHT = reverse("oversight")
# Sign-in, session, membership and its locations, and the header's unread count take 5 (8 when the session's
# idle clock is saved); the page itself 8 (see test_the_query_count_does_not_grow_with_plans_or_locations).
MAX_QUERIES = 15


def today():
    return timezone.localdate()


def day(offset):
    return today() + timedelta(days=offset)


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def midday(offset):
    """Noon, UK time, on the day `offset` days from today: the same UK date whatever the hour the test runs."""
    return timezone.make_aware(datetime.combine(day(offset), time(12)))


def page(client, user, **params):
    client.force_login(user)
    response = client.get(OVERSIGHT, params)
    assert response.status_code == 200
    return response


def section(response, key):
    """The HTML of the page's section labelled by oversight-<key>."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="oversight-{key}">(.*?)</section>', response.content.decode(), re.S
    )
    assert match, f"no section {key}"
    return match.group(1)


def plan_url(plan):
    return reverse("plan_detail", args=[plan.pk])


def action_url(action):
    return reverse("action_detail", args=[action.pk])


def plan_at(org, locations, owner, **fields):
    return make.PlanFactory(organisation=org, locations=locations, owner=owner, created_by=owner, **fields)


def created(plan, days):
    Plan.objects.filter(pk=plan.pk).update(created_at=days_ago(days))
    plan.refresh_from_db()
    return plan


def measured(plan, values, *, direction="higher", baseline=70.0, location=None):
    """An action of the plan with a measure (baseline given) and weekly readings, the last ending yesterday."""
    action = make.ActionFactory(
        plan=plan,
        location=location or plan.locations.first(),
        owner=plan.owner,
        created_by=plan.owner,
        measure={"direction": direction, "baseline_value": baseline},
    )
    for weeks_back, value in enumerate(reversed(values)):
        make.ReadingFactory(measure=action.measure, value=value, period_end=day(-1 - 7 * weeks_back))
    return action


def signed(*, signer, action=None, plan=None, at=None, decision=Decision.APPROVED):
    """A closure decision recorded straight in the database (an approval closes the action), `at` a moment."""
    organisation = (action.plan if action else plan).organisation
    approved = decision == Decision.APPROVED
    request = ClosureRequest.objects.create(
        organisation=organisation,
        action=action,
        plan=plan,
        requested_by=(action or plan).owner,
        bau_monitoring_plan="Monthly audit.",
        closure_learning="Observation changed practice.",
        status=RequestStatus.APPROVED if approved else RequestStatus.CHALLENGED,
        decided_at=at or timezone.now(),
    )
    signoff = SignOff.objects.create(
        closure_request=request,
        signer=signer,
        printed_name=signer.full_name,
        role="Nominated individual",
        signed_at=at or timezone.now(),
        decision=decision,
        meaning="Approved for closure",
        statement="I approve.",
        reason="" if approved else "Not yet.",
        snapshot={},
        snapshot_hash="0" * 64,
    )
    if approved and action is not None:
        Action.objects.filter(pk=action.pk).update(
            status=ActionStatus.CLOSED, closed_at=signoff.signed_at, closing_signoff=signoff
        )
    if approved and plan is not None:
        Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.CLOSED, closed_at=signoff.signed_at)
    return signoff


def reopened(action, *, by, at=None, reason="The 30-day audit found unsigned MAR entries again."):
    action.refresh_from_db()
    reopening = Reopening.objects.create(
        action=action,
        previous_signoff=action.closing_signoff,
        reopened_by=by,
        reopened_at=at or timezone.now(),
        reason=reason,
        trigger="judgement",
    )
    Action.objects.filter(pk=action.pk).update(status=ActionStatus.REOPENED, closing_signoff=None, closed_at=None)
    return reopening


def action_in(plan, status, location=None):
    action = make.ActionFactory(
        plan=plan, location=location or plan.locations.first(), owner=plan.owner, created_by=plan.owner
    )
    Action.objects.filter(pk=action.pk).update(status=status)
    return action


# Who may see it


def test_quality_leads_and_nominated_individuals_see_it_and_everyone_else_is_refused(
    client, quality, ni, staff, manager, other_manager, viewer, admin, outsider
):
    for person in (quality, ni):
        assert "<h1>Provider oversight</h1>" in page(client, person).content.decode()
    for person in (staff, manager, other_manager, viewer, admin, outsider):
        client.force_login(person)
        assert client.get(OVERSIGHT).status_code == 403
    client.logout()
    response = client.get(OVERSIGHT)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(quality)
    assert client.post(OVERSIGHT).status_code == 405


def test_oversight_follows_checks_in_the_navigation_of_those_who_may_see_it(org, quality, ni, manager, admin):
    labels = [label for label, _ in permissions.navigation(quality, org)]
    assert labels.index("Oversight") == labels.index("Checks") + 1
    assert ("Oversight", "oversight") in permissions.navigation(ni, org)
    assert ("Oversight", "oversight") not in permissions.navigation(manager, org)
    assert ("Oversight", "oversight") not in permissions.navigation(admin, org)  # a viewer by role


# Stalled plans: one rule, three screens


def test_overdue_plans_with_nothing_new_for_two_review_cycles_are_stalled_and_busy_ones_are_not(
    client, org, home, manager, ni
):
    quiet = plan_at(org, [home], manager, title="Quiet", target_date=day(-10), review_cadence="monthly")
    old = make.EvidenceFactory(action=make.ActionFactory(plan=quiet, owner=manager, created_by=manager))
    EvidenceItem.objects.filter(pk=old.pk).update(added_at=midday(-61))
    busy = plan_at(org, [home], manager, title="Busy", target_date=day(-10), review_cadence="monthly")
    make.EvidenceFactory(action=make.ActionFactory(plan=busy, owner=manager, created_by=manager))
    plan_at(org, [home], manager, title="On time", target_date=day(10))

    stalled = section(page(client, ni), "stalled")

    assert f'href="{plan_url(quiet)}"' in stalled
    assert "Past its target date of " + day(-10).strftime("%-d %b %Y") in stalled
    assert "No evidence added and no measure reading recorded since " + day(-60).strftime("%-d %b %Y") in stalled
    assert "two monthly review cycles" in stalled
    assert "Last evidence added " + day(-61).strftime("%-d %b %Y") in stalled
    assert "Busy" not in stalled and "On time" not in stalled
    assert "No measurable movement" not in stalled


def test_plans_whose_measures_have_not_moved_from_baseline_for_two_cycles_are_stalled_before_their_target(
    client, org, home, manager, ni
):
    flat = created(plan_at(org, [home], manager, title="Flat", target_date=day(60), review_cadence="monthly"), 70)
    measured(flat, [65, 70, 68, 70])  # higher is better; none above the baseline of 70
    falling = created(plan_at(org, [home], manager, title="Falls down", target_date=day(60)), 70)
    measured(falling, [12, 11, 9], direction="lower", baseline=10)  # lower is better: 9 beats 10
    rising = created(plan_at(org, [home], manager, title="Rising", target_date=day(60)), 70)
    measured(rising, [70, 71])
    young = created(plan_at(org, [home], manager, title="Young", target_date=day(60)), 20)
    measured(young, [60, 65])  # under two cycles old: not yet expected to move
    stuck_lower = created(plan_at(org, [home], manager, title="Stuck lower", target_date=day(60)), 70)
    measured(stuck_lower, [12, 10], direction="lower", baseline=10)
    no_baseline = created(plan_at(org, [home], manager, title="No baseline", target_date=day(60)), 70)
    measured(no_baseline, [10, 10], baseline=None)

    response = page(client, ni)

    stalled = section(response, "stalled")
    assert [plan.title for plan in response.context["stalled"]] == ["Flat", "Stuck lower"]
    assert "No measurable movement: no reading for a period since " + day(-60).strftime("%-d %b %Y") in stalled
    assert "Past its target date" not in stalled
    assert "No evidence added" not in stalled  # readings were recorded: the plan is active, just not moving


def test_the_plan_list_and_the_home_page_flag_the_same_stalled_plans(client, org, home, manager, ni):
    flat = created(plan_at(org, [home], manager, reference="QIP-S-1", target_date=day(60)), 70)
    measured(flat, [65, 66])
    quiet = plan_at(org, [home], manager, reference="QIP-S-2", target_date=day(-1), review_cadence="weekly")
    rising = created(plan_at(org, [home], manager, reference="QIP-S-3", target_date=day(60)), 70)
    measured(rising, [80])
    client.force_login(ni)

    listed = client.get(reverse("plan_list"), {"stalled": "on"}).context["page"].object_list
    home_page = client.get(reverse("home")).context["stalled"]
    oversight = page(client, ni).context["stalled"]

    expected = [flat.pk, quiet.pk]
    assert [plan.pk for plan in listed] == expected
    assert sorted(plan.pk for plan in home_page) == expected
    assert sorted(plan.pk for plan in oversight) == expected
    assert "✘ No measurable movement" in client.get(reverse("home")).content.decode()


def test_a_plan_whose_only_measured_action_is_closed_has_not_stopped_moving(client, org, home, manager, ni):
    plan = created(plan_at(org, [home], manager, target_date=day(60)), 70)
    signed(action=measured(plan, [60, 60]), signer=ni)

    assert page(client, ni).context["stalled"] == []


# Long-running plans


def test_open_plans_are_counted_in_age_bands_and_the_oldest_are_listed_first(client, org, home, manager, ni):
    for title, days in (("Month", 30), ("Four months", 125), ("Eight months", 245), ("Fourteen months", 430)):
        created(plan_at(org, [home], manager, title=title), days)
    closed = created(plan_at(org, [home], manager, title="Closed long ago"), 600)
    Plan.objects.filter(pk=closed.pk).update(status=PlanStatus.CLOSED, closed_at=days_ago(10))

    response = page(client, ni)

    assert [(band["label"], band["count"]) for band in response.context["age_bands"]] == [
        ("Under 3 months", 1),
        ("3 to 6 months", 1),
        ("6 to 12 months", 1),
        ("Over 12 months", 1),
    ]
    assert [plan.title for plan in response.context["oldest"]] == [
        "Fourteen months",
        "Eight months",
        "Four months",
        "Month",
    ]
    ages = section(response, "age")
    assert "14 months" in ages and "Closed long ago" not in ages
    assert '<th scope="row">Over 12 months</th><td class="text-end">1</td>' in ages


# Closures and the reopen rate


def test_closures_in_the_period_show_who_signed_and_the_period_can_be_widened(client, org, home, manager, quality, ni):
    plan = plan_at(org, [home], manager)
    recent = make.close_action(
        make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Hoist checks"), signer=quality
    )
    earlier = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Bed rails")
    signed(action=earlier, signer=ni, at=days_ago(120))
    challenged = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Challenged")
    signed(action=challenged, signer=ni, decision=Decision.CHALLENGED)
    finished = plan_at(org, [home], manager, title="Finished plan")
    signed(plan=finished, signer=ni, at=days_ago(3))

    closures = section(page(client, ni), "closures")

    assert f'href="{action_url(recent)}"' in closures and "Quinn Quality" in closures
    assert "Bed rails" not in closures and "Challenged" not in closures
    assert f'href="{plan_url(finished)}"' in closures and "Nina Nominated" in closures
    wider = page(client, ni, period="half")
    assert [signoff.closure_request.action for signoff in wider.context["action_closures"]] == [recent, earlier]
    assert "Last 6 months" in wider.content.decode()


def test_the_reopen_rate_is_reopenings_over_closures_in_the_period_with_each_reopening_listed(
    client, org, home, manager, ni
):
    plan = plan_at(org, [home], manager)
    first = make.close_action(make.ActionFactory(plan=plan, owner=manager, created_by=manager), signer=ni)
    second = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Fluids charts")
    signed(action=second, signer=ni, at=days_ago(5))
    services.reopen(actor=ni, action=first, reason="Two unsigned MAR entries in the 30-day audit.")

    response = page(client, ni)

    reopenings = section(response, "reopenings")
    assert "1 of 2 closures reopened (50%)." in reopenings
    assert f'href="{action_url(first)}"' in reopenings
    assert "The reviewer&#x27;s judgement" in reopenings
    assert "Two unsigned MAR entries in the 30-day audit." in reopenings
    assert "Fluids charts" not in reopenings


def test_the_reopen_rate_says_so_when_nothing_closed(client, org, home, manager, ni):
    assert "No closures and no reopenings." in section(page(client, ni), "reopenings")
    action = make.ActionFactory(plan=plan_at(org, [home], manager), owner=manager, created_by=manager)
    signed(action=action, signer=ni, at=days_ago(200))
    reopened(action, by=ni)

    assert "1 reopening and no closures: no rate to give." in section(page(client, ni), "reopenings")


def test_the_reopen_rate_rounds_to_a_whole_percent():
    assert reopen_rate(reopened=2, closed=14)["sentence"] == "2 of 14 closures reopened (14%)"
    assert reopen_rate(reopened=0, closed=1)["sentence"] == "0 of 1 closure reopened (0%)"
    assert reopen_rate(reopened=0, closed=0)["percent"] is None


# By location


def test_each_location_has_its_counts_and_the_counts_link_to_the_plans(
    client, org, home, branch, manager, other_manager, ni
):
    at_home = plan_at(org, [home], manager, next_review_date=day(-1))
    for status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.COMPLETED, ActionStatus.ASSURANCE):
        action_in(at_home, status)
    action_in(at_home, ActionStatus.AWAITING_SIGNOFF)
    signed(action=action_in(at_home, ActionStatus.ASSURANCE), signer=ni)
    signed(action=action_in(at_home, ActionStatus.ASSURANCE), signer=ni)
    reopened(Action.objects.filter(plan=at_home, status=ActionStatus.CLOSED).first(), by=ni)
    both = plan_at(org, [home, branch], manager, target_date=day(-5), next_review_date=day(3))  # stalled: quiet
    action_in(both, ActionStatus.IN_PROGRESS, location=branch)
    plan_at(org, [branch], other_manager, status=PlanStatus.CLOSED, closed_at=timezone.now())

    response = page(client, ni)

    rows = {
        row.name: (
            row.open_plans,
            row.live_actions,
            row.assurance_actions,
            row.awaiting_actions,
            row.closed_in_period,
            row.reopened_in_period,
            row.stalled_plans,
            row.overdue_reviews,
        )
        for row in response.context["locations"]
    }
    # home: live = open, in progress and the reopened one; in assurance = completed and assurance.
    assert rows == {"Oak House": (2, 3, 2, 1, 2, 1, 1, 1), "Riverside Homecare": (1, 1, 0, 0, 0, 0, 1, 0)}
    table = section(response, "locations")
    assert '<th scope="row">Oak House</th>' in table
    assert f'href="{reverse("plan_list")}?location={home.pk}&amp;status=open"' in table
    assert f'href="{reverse("plan_list")}?location={branch.pk}&amp;status=open&amp;stalled=on"' in table
    assert f'href="{OVERSIGHT}?period=quarter&amp;location={home.pk}#oversight-closures"' in table
    assert "<caption>" in table


def test_the_location_table_shows_a_page_of_locations_and_the_totals_still_count_them_all(
    client, org, home, branch, manager, ni, monkeypatch
):
    monkeypatch.setattr(oversight_view, "LOCATIONS_PER_PAGE", 2)
    last = LocationFactory(organisation=org, name="Zephyr Court")
    for location in (home, last):
        plan = plan_at(org, [location], manager)
        signed(action=action_in(plan, ActionStatus.ASSURANCE, location=location), signer=ni)

    first = page(client, ni, period="half")

    assert [row.name for row in first.context["locations"]] == ["Oak House", "Riverside Homecare"]
    table = section(first, "locations")
    assert "by name: 1 to 2 of 3." in table and "Page 1 of 2" in table
    assert 'href="?period=half&amp;page=2">Next</a>' in table
    assert "Actions closed (2)" in section(first, "closures")
    assert "0 of 2 closures reopened (0%)." in section(first, "reopenings")
    second = page(client, ni, period="half", page=2)
    assert [(row.name, row.open_plans, row.closed_in_period) for row in second.context["locations"]] == [
        ("Zephyr Court", 1, 1)
    ]
    assert 'href="?period=half&amp;page=1">Previous</a>' in section(second, "locations")
    assert "Pages of locations" not in section(page(client, ni, location=last.pk), "locations")


def test_an_organisation_with_no_locations_yet_has_a_page_that_says_so(client, org, ni):
    body = page(client, ni).content.decode()

    assert "No locations to show." in body and "No plan has stalled." in body
    assert "No closures and no reopenings." in body


def test_choosing_a_location_narrows_every_section_to_it(client, org, home, branch, manager, other_manager, ni):
    home_plan = plan_at(org, [home], manager, title="Home plan", target_date=day(-5))
    signed(action=action_in(home_plan, ActionStatus.ASSURANCE), signer=ni)
    branch_plan = plan_at(org, [branch], other_manager, title="Branch plan", target_date=day(-5))
    signed(action=action_in(branch_plan, ActionStatus.ASSURANCE), signer=ni)

    response = page(client, ni, location=branch.pk, period="year")

    assert [plan.title for plan in response.context["stalled"]] == ["Branch plan"]
    assert [plan.title for plan in response.context["oldest"]] == ["Branch plan"]
    assert [s.closure_request.action.plan for s in response.context["action_closures"]] == [branch_plan]
    assert [row.name for row in response.context["locations"]] == ["Riverside Homecare"]
    assert "Showing Riverside Homecare" in response.content.decode()


def test_a_location_or_period_that_is_not_on_offer_is_explained_and_the_page_shows_everything(
    client, org, home, manager, ni, foreign_location
):
    plan_at(org, [home], manager, title="Home plan", target_date=day(-5))

    response = page(client, ni, location=foreign_location.pk, period="decade")

    body = response.content.decode()
    assert "Choose one of your locations." in body and "Choose one of the periods listed." in body
    assert [plan.title for plan in response.context["stalled"]] == ["Home plan"]
    assert response.context["period"] == "quarter"


# Tenancy


def test_another_organisations_plans_and_closures_never_appear(client, org, home, ni, foreign_org, foreign_location):
    foreign_owner = make.member(foreign_org, Role.REGISTERED_MANAGER, locations=[foreign_location])
    foreign_ni = make.member(foreign_org, Role.NOMINATED_INDIVIDUAL, full_name="Fay Foreign")
    theirs = plan_at(foreign_org, [foreign_location], foreign_owner, title="Foreign plan", target_date=day(-30))
    signed(action=action_in(theirs, ActionStatus.ASSURANCE), signer=foreign_ni)
    reopened(Action.objects.get(plan=theirs), by=foreign_ni)
    signed(plan=plan_at(foreign_org, [foreign_location], foreign_owner, title="Foreign closed"), signer=foreign_ni)

    response = page(client, ni)

    body = response.content.decode()
    assert "Foreign" not in body and "Fay" not in body
    assert response.context["stalled"] == [] and response.context["oldest"] == []
    assert response.context["reopenings"] == [] and response.context["plan_closures"] == []
    assert [row.name for row in response.context["locations"]] == ["Oak House"]


def test_a_quality_lead_limited_to_one_location_sees_only_that_location(
    client, org, home, branch, manager, other_manager, ni
):
    limited = make.member(org, Role.QUALITY_LEAD, locations=[branch], full_name="Lee Limited")
    home_plan = plan_at(org, [home], manager, title="Home plan", target_date=day(-5))
    home_action = action_in(home_plan, ActionStatus.ASSURANCE)
    signed(action=home_action, signer=ni)
    reopened(home_action, by=ni)
    signed(plan=plan_at(org, [home], manager, title="Home closed plan"), signer=ni)
    branch_plan = plan_at(org, [branch], other_manager, title="Branch plan", target_date=day(-5))
    signed(action=action_in(branch_plan, ActionStatus.ASSURANCE), signer=ni)

    response = page(client, limited)

    body = response.content.decode()
    assert "Home plan" not in body and "Home closed plan" not in body and "Oak House" not in body
    assert [plan.title for plan in response.context["stalled"]] == ["Branch plan"]
    assert [s.closure_request.action.plan for s in response.context["action_closures"]] == [branch_plan]
    assert response.context["reopenings"] == [] and response.context["plan_closures"] == []
    assert [row.name for row in response.context["locations"]] == ["Riverside Homecare"]
    assert list(response.context["form"].fields["location"].offered.values()) == [branch]
    assert "Choose one of your locations." in page(client, limited, location=home.pk).content.decode()


# Queries


def populate(n, *, org, manager, ni):
    """n locations, each with a stalled plan, a flat one, actions in every state, closures and a reopening."""
    for _ in range(n):
        location = LocationFactory(organisation=org)
        quiet = plan_at(org, [location], manager, target_date=day(-30), next_review_date=day(-1))
        created(quiet, 400)
        flat = created(plan_at(org, [location], manager, target_date=day(30)), 70)
        measured(flat, [60, 61])
        for status in (ActionStatus.IN_PROGRESS, ActionStatus.ASSURANCE, ActionStatus.AWAITING_SIGNOFF):
            action_in(quiet, status)
        signed(action=action_in(quiet, ActionStatus.ASSURANCE), signer=ni)
        reopened(action_in_closed(quiet, ni), by=ni)
        signed(plan=plan_at(org, [location], manager), signer=ni)


def action_in_closed(plan, signer):
    action = action_in(plan, ActionStatus.ASSURANCE)
    signed(action=action, signer=signer)
    return action


def count_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(OVERSIGHT, params)
    assert response.status_code == 200
    return len(queries), response


def test_the_query_count_does_not_grow_with_plans_or_locations(
    client, org, home, manager, ni, django_assert_max_num_queries
):
    client.force_login(ni)
    populate(2, org=org, manager=manager, ni=ni)
    few, _ = count_queries(client)
    few_at_home, _ = count_queries(client, location=home.pk, period="year")
    populate(12, org=org, manager=manager, ni=ni)
    # The page's own 8: the locations (the filter and the table), the stalled plans' ids and locations, the
    # stalled plans listed, the actions closed, the plans closed (with their total), the reopenings, the oldest
    # plans, and one UNION of every count (age bands, the table, the totals). A session save can add 3.
    with django_assert_max_num_queries(MAX_QUERIES):
        many, response = count_queries(client)
    with django_assert_max_num_queries(MAX_QUERIES):
        many_at_home, _ = count_queries(client, location=home.pk, period="year")

    assert (many, many_at_home) == (few, few_at_home)
    assert few <= MAX_QUERIES
    # The lists stop at LIST_LIMIT; the counts above them and in the table still cover every row.
    context = response.context
    assert context["stalled_total"] == 28 and len(context["stalled"]) == LIST_LIMIT
    assert context["action_closures_total"] == 28 and len(context["action_closures"]) == LIST_LIMIT
    assert context["reopenings_total"] == 14 and context["plan_closures_total"] == 14
    assert context["reopen_rate"]["sentence"] == "14 of 28 closures reopened (50%)"
    assert len(context["locations"]) == 15
    assert sum(row.closed_in_period for row in context["locations"]) == 28
    assert sum(row.stalled_plans for row in context["locations"]) == 28
    assert MeasureReading.objects.count() == 28


def test_long_lists_show_their_first_rows_and_say_how_many_more_and_where(client, org, home, manager, ni, monkeypatch):
    monkeypatch.setattr(oversight_selectors, "LIST_LIMIT", 2)
    populate(3, org=org, manager=manager, ni=ni)  # 6 stalled plans, 6 action closures, 3 plan closures, 3 reopenings

    response = page(client, ni)

    stalled = section(response, "stalled")
    assert "Stalled plans (6)" in stalled and stalled.count('<td><a href="/plans/') == 2
    assert "Showing 2 of 6, earliest target date first, and 4 more" in stalled
    assert (
        f'<a href="{reverse("plan_list")}?status=open&amp;stalled=on">all 6 stalled plans in the plan list</a>'
        in stalled
    )
    closures = section(response, "closures")
    assert "Actions closed (6)" in closures and "Showing the newest 2 of 6, and 4 more." in closures
    assert f'href="{reverse("action_list")}?status=closed">closed actions in the action list</a>' in closures
    assert "Plans closed (3)" in closures and "Showing the newest 2 of 3, and 1 more" in closures
    assert f'href="{reverse("plan_list")}?status=closed">closed plans in the plan list</a>' in closures
    reopenings = section(response, "reopenings")
    assert "3 of 6 closures reopened (50%)." in reopenings
    assert "Showing the newest 2 of 3, and 1 more." in reopenings
    assert f'href="{reverse("action_list")}?status=reopened">actions now reopened in the action list</a>' in reopenings

    at_one = section(page(client, ni, location=response.context["locations"][0].pk), "closures")
    assert "Actions closed (2)" in at_one and "oversight-more" not in at_one


def test_short_lists_say_nothing_more(client, org, home, manager, ni):
    populate(1, org=org, manager=manager, ni=ni)

    body = page(client, ni).content.decode()

    assert "oversight-more" not in body
    assert "The stalled plans in the plan list" in body
