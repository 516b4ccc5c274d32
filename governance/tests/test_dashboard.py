"""The dashboard: what each role finds on the home page, and that every item links to where the work is done."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus
from governance import gate, selectors_dashboard, services
from governance.models import ClosureRequest, PostClosureCheck, RequestStatus, SignOff
from governance.models_notifications import Kind, Notification
from governance.tests.conftest import Story
from qip.models import QualityStatement, Role
from qip.tests import domain_factories as make
from qip.tests.factories import LocationFactory, UserFactory

HOME = reverse("home")


def today():
    return timezone.localdate()


def day(offset):
    return today() + timedelta(days=offset)


def days_ago(days):
    # Midday, so a count of days never straddles midnight or a clock change whatever time the tests run.
    return timezone.make_aware(datetime.combine(day(-days), time(12)))


def page(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def section(response, heading):
    """The HTML of the dashboard section whose h2 is `heading` (None when the role does not see it)."""
    body = response.content.decode()
    match = re.search(rf"<section[^>]*>\s*<h2[^>]*>{re.escape(heading)}</h2>(.*?)</section>", body, re.S)
    return match.group(1) if match else None


def headings(response):
    return re.findall(r"<h2[^>]*>(.*?)</h2>", response.content.decode())


def action_url(action):
    return reverse("action_detail", args=[action.pk])


def plan_url(plan):
    return reverse("plan_detail", args=[plan.pk])


def statement(key_question):
    return QualityStatement.objects.filter(
        key_question__framework__is_current=True, key_question__slug=key_question
    ).first()


def closed(action, *, signer, requested_by=None):
    """Close an action directly in the database (its own approved sign-off), for dashboards that list many."""
    request = ClosureRequest.objects.create(
        organisation=action.plan.organisation,
        action=action,
        requested_by=requested_by or action.owner,
        bau_monitoring_plan="Monthly audit.",
        closure_learning="Observation changed practice.",
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
    )
    signoff = SignOff.objects.create(
        closure_request=request,
        signer=signer,
        printed_name=signer.full_name,
        role="Nominated individual",
        decision="approved",
        meaning="Approved for closure",
        statement="I approve.",
        snapshot={},
        snapshot_hash="0" * 64,
    )
    Action.objects.filter(pk=action.pk).update(
        status=ActionStatus.CLOSED, closed_at=timezone.now(), closing_signoff=signoff
    )
    action.refresh_from_db()
    return signoff


def awaiting_signoff(action, *, requested_by):
    Action.objects.filter(pk=action.pk).update(status=ActionStatus.AWAITING_SIGNOFF)
    return ClosureRequest.objects.create(
        organisation=action.plan.organisation,
        action=action,
        requested_by=requested_by,
        bau_monitoring_plan="Monthly audit.",
        closure_learning="Observation changed practice.",
    )


@pytest.fixture
def plan(org, home, manager):
    return make.PlanFactory(
        organisation=org, locations=[home], owner=manager, created_by=manager, title="Medicines records"
    )


# The page itself


def test_the_home_page_names_the_organisation_and_the_role_and_refuses_post(client, manager, home, branch):
    response = page(client, manager)

    body = response.content.decode()
    assert "<h1>Example Care Group</h1>" in body
    assert body.count("<h1") == 1
    assert "Signed in as Mary Manager, registered manager." in body
    locations = section(response, "Your locations")
    assert "Oak House" in locations and "Riverside Homecare" not in locations
    assert client.post(HOME).status_code == 405


def test_someone_with_no_organisation_is_told_so(client, db):
    response = page(client, UserFactory())
    assert "You are not a member of any organisation" in response.content.decode()


def test_each_role_sees_its_own_sections_in_order(client, ni, quality, manager, staff, viewer, admin):
    oversight = [
        "Awaiting your sign-off",
        "Reopening proposed",
        "Post-closure checks due",
        "Reviews due",
        "Ready to request closure",
        "Your steps",
        "Your actions",
        "Stalled plans",
        "Actions by key question and status",
        "Your locations",
    ]
    assert headings(page(client, ni)) == oversight
    assert headings(page(client, quality)) == oversight
    assert headings(page(client, manager)) == [
        "Your steps",
        "Your actions",
        "Ready to request closure",
        "Reviews due",
        "Stalled plans",
        "Actions by key question and status",
        "Your locations",
    ]
    assert headings(page(client, staff)) == [
        "Your steps",
        "Your actions",
        "Evidence wanted",
        "Actions by key question and status",
        "Your locations",
    ]
    readers = ["Actions by key question and status", "Stalled plans", "Your locations"]
    assert headings(page(client, viewer)) == readers
    assert headings(page(client, admin)) == readers


def test_empty_sections_say_so_plainly(client, ni, manager):
    ni_page = page(client, ni)
    assert "Nothing awaits your sign-off." in section(ni_page, "Awaiting your sign-off")
    assert "No closed action has a proposal to reopen it." in section(ni_page, "Reopening proposed")
    assert "Nothing overdue" in section(ni_page, "Post-closure checks due")
    assert "Nothing overdue" in section(ni_page, "Reviews due")
    assert "No actions are in assurance." in section(ni_page, "Ready to request closure")
    assert "Nothing overdue" in section(ni_page, "Your steps")
    assert "Nothing overdue" in section(ni_page, "Your actions")
    assert "No plan has stalled." in section(ni_page, "Stalled plans")
    assert "No actions at your locations yet." in section(ni_page, "Actions by key question and status")
    assert "<table" not in section(ni_page, "Actions by key question and status")


# Steps and actions of one's own


def test_staff_see_their_steps_overdue_and_due_soon_linking_to_the_action(client, staff, manager, plan):
    action = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Observe medicine rounds")
    overdue = make.StepFactory(action=action, who=staff, due_date=day(-3), what="Observe the night round")
    soon = make.StepFactory(action=action, who=staff, due_date=day(10), what="Observe the lunchtime round")
    make.StepFactory(action=action, who=staff, due_date=day(30), what="Observe the weekend round")
    make.StepFactory(action=action, who=manager, due_date=day(1), what="Brief the night staff")
    done = make.StepFactory(action=action, who=staff, due_date=day(-1), what="Read the policy")
    services.complete_step(actor=staff, step=done)

    steps = section(page(client, staff), "Your steps")

    assert steps.index("Observe the night round") < steps.index("Observe the lunchtime round")
    assert "Observe the weekend round" not in steps  # more than 14 days away
    assert "Brief the night staff" not in steps  # someone else's
    assert "Read the policy" not in steps  # done
    assert steps.count(f'href="{action_url(action)}"') == 2
    assert "✘ Overdue</span> was due " + overdue.due_date.strftime("%-d %b %Y") in steps
    assert "Due " + soon.due_date.strftime("%-d %b %Y") in steps
    assert plan.reference in steps and "Oak House" in steps


def test_managers_see_their_own_actions_due_or_overdue_but_not_closed_ones(client, manager, other_manager, ni, plan):
    late = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Late audit", due_date=day(-2))
    soon = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Soon audit", due_date=day(14))
    make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Distant audit", due_date=day(15))
    make.ActionFactory(plan=plan, owner=other_manager, created_by=manager, title="Their audit", due_date=day(1))
    done = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Closed audit", due_date=day(-5))
    closed(done, signer=ni)

    actions = section(page(client, manager), "Your actions")

    assert actions.index("Late audit") < actions.index("Soon audit")
    assert "Distant audit" not in actions
    assert "Their audit" not in actions
    assert "Closed audit" not in actions
    assert f'href="{action_url(late)}"' in actions and f'href="{action_url(soon)}"' in actions
    assert "✘ Overdue" in actions and "Open" in actions


def test_staff_are_shown_actions_wanting_assurance_evidence(client, staff, story):
    story.do_steps()
    make.ActionFactory(plan=story.plan, owner=story.manager, created_by=story.manager, title="Not started yet")

    evidence = section(page(client, staff), "Evidence wanted")

    assert story.action.title[:40] in evidence
    assert "Not started yet" not in evidence
    assert f'href="{reverse("evidence_add", args=[story.action.pk])}"' in evidence


# Closure: ready to request, awaiting sign-off


def in_assurance(story, *, steps_done=True, categories=("processes", "observation"), readings=(96, 97, 98, 96)):
    """Put a story's action in assurance with what the test says it has."""
    if steps_done:
        story.do_steps()
    for slug in categories:
        story.add_evidence(slug)
    story.add_readings(list(readings))
    Action.objects.filter(pk=story.action.pk).update(status=ActionStatus.ASSURANCE)
    return story.refresh()


def test_actions_whose_gate_passes_are_ready_to_request_closure(client, manager, staff, story, plan):
    story.make_ready()
    not_ready = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Still gathering evidence")
    Action.objects.filter(pk=not_ready.pk).update(status=ActionStatus.ASSURANCE)

    ready = section(page(client, manager), "Ready to request closure")

    assert f'href="{action_url(story.action)}"' in ready
    assert "✔ Steps, evidence and the measure pass the gate" in ready
    assert "Still gathering evidence" not in ready
    assert "not checked here" not in ready
    assert section(page(client, staff), "Ready to request closure") is None  # staff do not ask for closure


def test_the_dashboard_says_ready_exactly_when_the_gate_does(client, org, home, manager, staff, story):
    world = {"org": org, "home": home, "manager": manager, "staff": staff}
    story.make_ready()
    in_assurance(Story(**world, target=99.0))  # the latest reading is short of the target
    in_assurance(Story(**world), categories=["processes"])  # one category of two
    in_assurance(Story(**world), steps_done=False)
    in_assurance(Story(**world), readings=(96, 97))  # too few readings in the window
    in_assurance(Story(**world), readings=(96, 80, 97, 98))  # one missed the target in the window
    in_assurance(Story(**world, min_evidence_categories=1), categories=["processes"])
    early = Story(**world)
    early.add_evidence("outcomes", collected_on=day(-30))  # collected before the work was done
    in_assurance(early, categories=["processes"])
    concerned = in_assurance(Story(**world))
    make.ConcernFactory(action=concerned, occurred_on=day(-3))  # restarts the window
    spc = in_assurance(Story(**world, stability_rule="spc", spc_baseline_points=4), readings=[70] * 4 + [96] * 8)

    listed = page(client, manager).context["ready"]["actions"]

    in_assurance_now = Action.objects.filter(status=ActionStatus.ASSURANCE).order_by("pk")
    expected = [action.pk for action in in_assurance_now if gate.evaluate_action_closure(action).ready_to_request]
    assert sorted(action.pk for action in listed) == expected
    assert story.action.pk in expected and spc.pk in expected and len(expected) == 3


def test_the_ready_check_reads_a_limited_number_and_says_how_many_more(client, manager, plan, monkeypatch):
    monkeypatch.setattr(selectors_dashboard, "READY_CHECK_LIMIT", 2)
    for n in range(5):
        action = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title=f"Audit {n}")
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.ASSURANCE)

    ready = section(page(client, manager), "Ready to request closure")

    assert "No action is ready yet: 2 actions in assurance still have something to show." in ready
    assert "And 3 more actions in assurance not checked here (the dashboard checks the first 2" in ready
    assert 'href="/actions/?status=assurance"' in ready
    queries, _ = count_queries(client, manager)
    for n in range(5):
        action = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title=f"More {n}")
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.ASSURANCE)
    assert count_queries(client, manager)[0] == queries


def test_a_quality_lead_and_the_ni_see_a_request_they_may_sign_and_the_owner_does_not(
    client, quality, ni, manager, story
):
    story.make_ready()
    story.request()

    for signer in (quality, ni):
        signoffs = section(page(client, signer), "Awaiting your sign-off")
        assert f'href="{action_url(story.action)}"' in signoffs
        assert "Requested by Mary Manager" in signoffs
    assert section(page(client, manager), "Awaiting your sign-off") is None


def test_a_high_risk_request_waits_for_the_nominated_individual_only(client, quality, ni, high_risk_story):
    high_risk_story.make_ready()
    high_risk_story.request()

    assert "Nothing awaits your sign-off." in section(page(client, quality), "Awaiting your sign-off")
    signoffs = section(page(client, ni), "Awaiting your sign-off")
    assert f'href="{action_url(high_risk_story.action)}"' in signoffs
    assert "high-risk: nominated individual sign-off" in signoffs


def test_someone_who_did_a_step_or_is_not_the_named_reviewer_is_not_asked_to_sign(
    client, org, home, manager, quality, ni
):
    from governance.tests.conftest import Story

    story = Story(org=org, home=home, manager=manager, staff=quality)  # the quality lead did the steps
    story.make_ready()
    story.action.criteria.named_reviewer = ni
    story.action.criteria.save()
    story.request()

    assert "Nothing awaits your sign-off." in section(page(client, quality), "Awaiting your sign-off")
    assert f'href="{action_url(story.action)}"' in section(page(client, ni), "Awaiting your sign-off")


def test_a_plan_closure_request_waits_for_the_nominated_individual(client, quality, ni, manager, plan):
    action = make.ActionFactory(plan=plan, owner=manager, created_by=manager)
    make.close_action(action, signer=ni)
    services.request_plan_closure(
        actor=manager, plan=plan, bau_monitoring_plan="Monthly audit.", closure_learning="Observation worked."
    )

    signoffs = section(page(client, ni), "Awaiting your sign-off")
    assert f'href="{plan_url(plan)}"' in signoffs
    assert f"Whole plan: {plan.reference}" in signoffs
    assert "Nothing awaits your sign-off." in section(page(client, quality), "Awaiting your sign-off")


def test_requests_at_locations_a_quality_lead_does_not_cover_are_not_shown(client, org, branch, ni, story):
    story.make_ready()
    story.request()
    limited = make.member(org, Role.QUALITY_LEAD, locations=[branch], full_name="Lee Limited")

    assert "Nothing awaits your sign-off." in section(page(client, limited), "Awaiting your sign-off")


# Reviews, checks, reopening, stalled plans


def test_reviews_due_are_the_managers_own_and_the_whole_organisations_for_the_quality_lead(
    client, org, home, manager, quality, plan
):
    plan.next_review_date = day(-1)
    plan.save()
    colleague = make.member(org, Role.REGISTERED_MANAGER, locations=[home], full_name="Carl Colleague")
    theirs = make.PlanFactory(
        organisation=org, locations=[home], owner=colleague, title="Falls", next_review_date=day(7)
    )
    make.PlanFactory(organisation=org, locations=[home], owner=manager, title="Later", next_review_date=day(8))

    mine = section(page(client, manager), "Reviews due")
    assert f'href="{plan_url(plan)}"' in mine and "✘ Overdue" in mine
    assert "Falls" not in mine and "Later" not in mine

    everyone = section(page(client, quality), "Reviews due")
    assert f'href="{plan_url(plan)}"' in everyone and f'href="{plan_url(theirs)}"' in everyone
    assert "owner Carl Colleague" in everyone
    assert "Later" not in everyone


def test_post_closure_checks_due_and_proposed_reopenings_are_shown_to_the_quality_lead(
    client, quality, manager, ni, plan
):
    action = make.ActionFactory(plan=plan, owner=manager, created_by=manager, title="Hoist checks")
    make.close_action(action, signer=ni)
    PostClosureCheck.objects.filter(action=action, offset_days=30).update(due_on=day(-1))
    Action.objects.filter(pk=action.pk).update(reopen_proposed_at=timezone.now())

    response = page(client, quality)

    checks = section(response, "Post-closure checks due")
    assert f'href="{action_url(action)}"' in checks
    assert "30-day check: Hoist checks" in checks and "90-day" not in checks
    assert "✘ Overdue" in checks
    reopen = section(response, "Reopening proposed")
    assert f'href="{action_url(action)}"' in reopen
    assert section(page(client, manager), "Post-closure checks due") is None


def test_a_plan_past_its_target_with_nothing_new_for_two_review_cycles_is_stalled(
    client, org, home, manager, viewer, plan
):
    plan.target_date = day(-10)
    plan.review_cadence = "monthly"
    plan.save()
    action = make.ActionFactory(plan=plan, owner=manager, created_by=manager, measure=True)
    make.EvidenceFactory(action=action, added_at=days_ago(61))
    make.ReadingFactory(measure=action.measure, recorded_at=days_ago(70))
    moving = make.PlanFactory(organisation=org, locations=[home], owner=manager, title="Moving", target_date=day(-10))
    moving_action = make.ActionFactory(plan=moving, owner=manager, created_by=manager, measure=True)
    make.ReadingFactory(measure=moving_action.measure, recorded_at=days_ago(5))
    make.PlanFactory(organisation=org, locations=[home], owner=manager, title="On time", target_date=day(10))
    weekly = make.PlanFactory(
        organisation=org, locations=[home], owner=manager, title="Weekly", target_date=day(-1), review_cadence="weekly"
    )
    make.EvidenceFactory(action=None, plan=weekly, added_at=days_ago(15))
    recent_weekly = make.PlanFactory(
        organisation=org, locations=[home], owner=manager, title="Recent", target_date=day(-1), review_cadence="weekly"
    )
    make.EvidenceFactory(action=None, plan=recent_weekly, added_at=days_ago(13))

    stalled = section(page(client, manager), "Stalled plans")

    assert f'href="{plan_url(plan)}"' in stalled
    assert "last evidence added " + day(-61).strftime("%-d %b %Y") in stalled
    assert "last reading recorded " + day(-70).strftime("%-d %b %Y") in stalled
    assert f'href="{plan_url(weekly)}"' in stalled  # 15 days since evidence: two weekly cycles
    assert "Recent" not in stalled  # 13 days: within two weekly cycles
    assert "Moving" not in stalled and "On time" not in stalled
    assert "No plan has stalled." in section(page(client, viewer), "Stalled plans")  # branch only


# Counts by key question


def test_counts_by_key_question_and_status_for_my_locations(client, org, home, branch, manager, other_manager, ni):
    safe_and_effective = make.PlanFactory(
        organisation=org,
        locations=[home, branch],
        owner=manager,
        quality_statements=[statement("safe"), statement("effective")],
    )
    second_safe = QualityStatement.objects.filter(key_question=statement("safe").key_question)[1]
    safe_only = make.PlanFactory(
        organisation=org, locations=[home], owner=manager, quality_statements=[statement("safe"), second_safe]
    )
    unlinked = make.PlanFactory(organisation=org, locations=[home], owner=manager)
    make.ActionFactory(plan=safe_and_effective, location=home, owner=manager, created_by=manager)
    make.ActionFactory(plan=safe_and_effective, location=branch, owner=other_manager, created_by=other_manager)
    started = make.ActionFactory(plan=safe_only, location=home, owner=manager, created_by=manager)
    Action.objects.filter(pk=started.pk).update(status=ActionStatus.IN_PROGRESS)
    make.ActionFactory(plan=unlinked, location=home, owner=manager, created_by=manager)

    response = page(client, manager)

    counts = response.context["counts"]
    rows = {row["key_question"].name: row["cells"] for row in counts["rows"]}
    assert counts["columns"][:2] == ["Open", "In progress"]
    assert rows["Safe"] == [1, 1, 0, 0, 0, 0, 0]  # two statements of Safe: counted once
    assert rows["Effective"] == [1, 0, 0, 0, 0, 0, 0]
    assert rows["Caring"] == [0] * 7
    assert counts["all"] == {"cells": [2, 1, 0, 0, 0, 0, 0], "total": 3}  # the branch's action is not mine
    table = section(response, "Actions by key question and status")
    assert '<th scope="col" class="text-end">Awaiting sign-off</th>' in table
    assert '<th scope="row">Well-led</th>' in table
    assert "<caption>" in table
    assert page(client, ni).context["counts"]["all"]["total"] == 4


# Queries


def populate(n, *, org, home, manager, staff, ni, start=0):
    """n of everything the nominated individual's dashboard lists, at Oak House."""
    for i in range(start, start + n):
        plan = make.PlanFactory(
            organisation=org,
            locations=[home],
            owner=manager,
            next_review_date=day(-1),
            target_date=day(-30),
            quality_statements=[statement("safe")],
        )
        # The NI's own work sits in a plan of its own: an action owner may not sign off the plan's closure.
        own_plan = make.PlanFactory(organisation=org, locations=[home], owner=manager)
        mine = make.ActionFactory(plan=own_plan, owner=ni, created_by=manager, due_date=day(1), title=f"Mine {i}")
        make.StepFactory(action=mine, who=ni, due_date=day(2))
        make.StepFactory(action=mine, who=staff, due_date=day(2))
        asked = make.ActionFactory(plan=plan, owner=manager, created_by=manager, steps=[{"who": staff}])
        awaiting_signoff(asked, requested_by=manager)
        done = make.ActionFactory(plan=plan, owner=manager, created_by=manager, due_date=day(-1))
        signoff = closed(done, signer=ni)
        PostClosureCheck.objects.create(action=done, signoff=signoff, offset_days=30, due_on=day(1))
        Action.objects.filter(pk=done.pk).update(reopen_proposed_at=timezone.now())
        ClosureRequest.objects.create(
            organisation=org, plan=plan, requested_by=manager, bau_monitoring_plan="x", closure_learning="y"
        )


def count_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries), response


def notifications(n, *, org, people):
    Notification.objects.bulk_create(
        Notification(organisation=org, recipient=person, kind=Kind.STEP_DUE, key=f"test:{n}:{i}", title="Due")
        for person in people
        for i in range(n)
    )


def assurance(n, *, org, home, manager):
    for _ in range(n):
        action = make.ActionFactory(plan=make.PlanFactory(organisation=org, locations=[home], owner=manager))
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.ASSURANCE)


QUERY_BUDGET = 15  # sign-in, session and membership (four), the notifications badge (one), and the page's own


def test_every_roles_dashboard_keeps_to_the_query_budget_whatever_the_data(
    client, org, home, manager, staff, quality, ni
):
    viewer = make.member(org, Role.VIEWER, locations=[home], full_name="Hattie Home-viewer")
    cast = {"ni": ni, "quality": quality, "manager": manager, "staff": staff, "viewer": viewer}
    world = {"org": org, "home": home, "manager": manager, "staff": staff, "ni": ni}

    populate(2, **world)
    assurance(2, org=org, home=home, manager=manager)
    notifications(2, org=org, people=cast.values())
    few = {name: count_queries(client, user)[0] for name, user in cast.items()}
    populate(28, **world, start=2)
    assurance(25, org=org, home=home, manager=manager)
    notifications(30, org=org, people=cast.values())
    many = {name: count_queries(client, user) for name, user in cast.items()}

    assert {name: count for name, (count, _) in many.items()} == few
    assert max(few.values()) <= QUERY_BUDGET, few
    ni_page = many["ni"][1].context
    for name, total in [("signoffs", 60), ("steps", 30), ("actions", 30), ("reviews", 30), ("checks", 30)]:
        assert (len(ni_page[name]), ni_page[name].total) == (10, total), name
    for name in ("reopenings", "stalled"):
        assert (len(ni_page[name]), ni_page[name].total) == (10, 30), name
    assert (ni_page["ready"]["checked"], ni_page["ready"]["unchecked"]) == (20, 7)
    assert ni_page["counts"]["rows"][0]["total"] == 60  # Safe: the awaiting and the closed actions
    assert ni_page["counts"]["all"]["total"] == 117


def test_long_lists_show_their_first_rows_and_link_to_the_rest(client, org, home, manager, staff, ni, monkeypatch):
    monkeypatch.setattr(selectors_dashboard, "LIST_LIMIT", 3)
    populate(5, org=org, home=home, manager=manager, staff=staff, ni=ni)

    response = page(client, ni)

    more = {
        "Awaiting your sign-off": ("And 7 more", 'href="/signoff/"'),
        "Reopening proposed": ("And 2 more", f'href="{reverse("check_list")}"'),
        "Post-closure checks due": ("And 2 more", f'href="{reverse("check_list")}"'),
        "Reviews due": ("And 2 more", f'href="{reverse("plan_list")}?status=open&amp;o=review"'),
        "Your steps": ("And 2 more of your steps", None),
        "Your actions": ("And 2 more", f'href="{reverse("action_list")}?owner={ni.pk}&amp;o=due"'),
        "Stalled plans": ("And 2 more", f'href="{reverse("plan_list")}?status=open&amp;stalled=on"'),
    }
    for heading, (words, link) in more.items():
        html = section(response, heading)
        assert html.count('class="list-group-item"') == 3, heading
        assert words in html, heading
        assert link is None or link in html, heading


def test_a_whole_organisation_members_locations_are_cut_and_link_to_oversight(client, org, ni, monkeypatch):
    monkeypatch.setattr(selectors_dashboard, "LIST_LIMIT", 3)
    for n in range(5):
        LocationFactory(organisation=org, name=f"Location {n}")

    locations = section(page(client, ni), "Your locations")

    assert locations.count("<tr><td>") == 3
    assert f'And 2 more: <a href="{reverse("oversight")}">' in locations


def test_the_requests_to_sign_are_the_first_the_gate_lets_each_signer_decide(
    client, org, home, manager, staff, quality, ni
):
    populate(12, org=org, home=home, manager=manager, staff=staff, ni=ni)
    own = make.ActionFactory(plan=make.PlanFactory(organisation=org, locations=[home], owner=manager), owner=quality)
    awaiting_signoff(own, requested_by=manager)  # the quality lead owns it: only the NI may decide it

    for signer in (ni, quality):
        listed = page(client, signer).context["signoffs"]
        decidable = selectors_dashboard.awaiting_my_signoff(user=signer, organisation=org)
        assert [request.pk for request in listed] == [request.pk for request in decidable][:10]
        assert listed.total == len(decidable)
