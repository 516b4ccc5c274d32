"""The plan screens as a registered manager meets them: list, filters, new plan, edit, plan page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionStatus
from evidence import services as evidence_services
from evidence.models import EvidenceItem
from governance import selectors_plans, services
from governance.selectors_reviews import reviewable_actions
from governance.services_reviews import record_review
from qip import plan_services
from qip.models import AuditEvent, KeyQuestion, Plan, QualityStatement, Regulation
from qip.tests import domain_factories as make

LIST = reverse("plan_list")
CREATE = reverse("plan_create")
PAGE_QUERY_BUDGET = 15  # in all, with the session, user and membership reads every page makes


def today():
    return timezone.localdate()


def references(response):
    return [plan.reference for plan in response.context["page"].object_list]


def plan_at(org, location, owner, **fields):
    return make.PlanFactory(organisation=org, locations=[location], owner=owner, created_by=owner, **fields)


def statement(slug):
    return QualityStatement.objects.get(key_question__framework__is_current=True, slug=slug)


def first_statement_of(key_question_slug):
    return QualityStatement.objects.filter(
        key_question__framework__is_current=True, key_question__slug=key_question_slug
    ).first()


# The list


def test_manager_sees_their_plans_with_the_columns_that_matter(client, org, home, branch, manager, other_manager):
    mine = plan_at(
        org, home, manager, reference="QIP-2026-001", title="Medicines records", risk_likelihood=4, risk_impact=4
    )
    make.ActionFactory(plan=mine, location=home, owner=manager, created_by=manager)
    make.ActionFactory(plan=mine, location=home, owner=manager, created_by=manager, status=ActionStatus.ASSURANCE)
    plan_at(org, branch, other_manager, reference="QIP-2026-002", title="Branch only")
    client.force_login(manager)

    response = client.get(LIST)

    assert response.status_code == 200
    assert references(response) == ["QIP-2026-001"]  # the branch's plan is not theirs to see
    body = response.content.decode()
    assert "<h1" in body and body.count("<h1") == 1
    assert "Medicines records" in body and "Branch only" not in body
    assert "Oak House" in body and "Mary Manager" in body
    assert '16 <span class="small">(high)</span>' in body
    assert "0 of 2" in body
    assert f'href="{reverse("plan_detail", args=[mine.pk])}"' in body
    assert 'action="/plans/"' in body and 'hx-get="/plans/"' in body and 'hx-push-url="true"' in body
    assert ">Filter</button>" in body
    assert "<caption" in body and '<th scope="col"' in body
    assert 'href="/plans/new/"' in body  # a manager may start a plan


def test_staff_see_plans_but_no_new_plan_button_and_plans_is_in_the_navigation(client, org, home, manager, staff):
    plan_at(org, home, manager)
    client.force_login(staff)

    body = client.get(LIST).content.decode()

    assert 'href="/plans/new/"' not in body
    nav = body[body.index('id="main-nav"') :]
    assert nav.index(">Home<") < nav.index(">Plans<")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "awaiting_signoff"}, ["B"]),
        ({"quality_area": "medicines"}, ["B"]),
        ({"risk": "high"}, ["B"]),
        ({"risk": "medium"}, ["A"]),
        ({"risk": "low"}, ["C"]),
        ({"q": "falls"}, ["C"]),  # in the problem statement
        ({"q": "qip-x-b"}, ["B"]),  # the reference, any case
        ({"q": "MAR"}, ["A", "B"]),
        ({"overdue": "on"}, ["C"]),
        ({"key_question": "safe"}, ["A"]),
        ({"quality_statement": "safe-systems-pathways-transitions"}, ["A"]),
    ],
)
def test_filters_narrow_the_list(client, org, home, manager, query, expected):
    a = plan_at(org, home, manager, reference="QIP-X-A", title="MAR gaps", risk_likelihood=3, risk_impact=3)
    a.quality_statements.set([statement("safe-systems-pathways-transitions"), statement("medicines-optimisation")])
    b = plan_at(
        org,
        home,
        manager,
        reference="QIP-X-B",
        title="MAR signing",
        quality_area="medicines",
        status="awaiting_signoff",
        risk_likelihood=5,
        risk_impact=3,
    )
    b.quality_statements.set([first_statement_of("caring")])
    plan_at(
        org,
        home,
        manager,
        reference="QIP-X-C",
        title="Night checks",
        problem_statement="Falls at night were not reviewed.",
        risk_likelihood=1,
        risk_impact=2,
        target_date=today() - timedelta(days=1),
    )
    if "key_question" in query:
        query = {"key_question": KeyQuestion.objects.get(framework__is_current=True, slug=query["key_question"]).pk}
    if "quality_statement" in query:
        query = {"quality_statement": statement(query["quality_statement"]).pk}
    client.force_login(manager)

    response = client.get(LIST, query)

    assert references(response) == [f"QIP-X-{letter}" for letter in expected]
    assert "match" in response.content.decode()  # "1 plan matches the filters."


def test_location_and_owner_filters(client, org, home, branch, manager, quality):
    plan_at(org, home, manager, reference="QIP-X-1")
    plan_at(org, branch, quality, reference="QIP-X-2")
    both = make.PlanFactory(organisation=org, locations=[home, branch], owner=quality, reference="QIP-X-3")
    client.force_login(quality)

    assert references(client.get(LIST, {"location": branch.pk})) == ["QIP-X-2", "QIP-X-3"]
    assert references(client.get(LIST, {"owner": quality.pk})) == ["QIP-X-2", both.reference]
    assert references(client.get(LIST, {"owner": quality.pk, "location": home.pk})) == ["QIP-X-3"]


def test_a_plan_in_several_key_question_statements_is_listed_once(client, org, home, manager):
    plan = plan_at(org, home, manager)
    plan.quality_statements.set(QualityStatement.objects.filter(key_question__slug="safe")[:3])
    client.force_login(manager)

    response = client.get(LIST, {"key_question": KeyQuestion.objects.get(slug="safe", framework__is_current=True).pk})

    assert references(response) == [plan.reference]
    assert response.context["page"].paginator.count == 1


def test_stalled_means_overdue_with_nothing_new_for_two_review_cycles(client, org, home, manager):
    past = today() - timedelta(days=5)
    quiet = plan_at(org, home, manager, reference="QIP-S-1", target_date=past, review_cadence="monthly")
    old_evidence = make.EvidenceFactory(
        action=make.ActionFactory(plan=quiet, location=home, owner=manager, created_by=manager)
    )
    EvidenceItem.objects.filter(pk=old_evidence.pk).update(added_at=timezone.now() - timedelta(days=61))
    busy = plan_at(org, home, manager, reference="QIP-S-2", target_date=past, review_cadence="monthly")
    make.EvidenceFactory(action=make.ActionFactory(plan=busy, location=home, owner=manager, created_by=manager))
    measured = plan_at(org, home, manager, reference="QIP-S-3", target_date=past, review_cadence="weekly")
    action = make.ActionFactory(plan=measured, location=home, owner=manager, created_by=manager, measure=True)
    make.ReadingFactory(measure=action.measure)
    plan_at(org, home, manager, reference="QIP-S-4", target_date=today() + timedelta(days=5))  # not overdue
    client.force_login(manager)

    response = client.get(LIST, {"stalled": "on"})

    assert references(response) == ["QIP-S-1"]
    assert "✘ Stalled" in response.content.decode()
    assert references(client.get(LIST, {"overdue": "on"})) == ["QIP-S-1", "QIP-S-2", "QIP-S-3"]


def test_closed_plans_are_never_overdue_or_stalled(client, org, home, manager):
    plan_at(org, home, manager, status="closed", closed_at=timezone.now(), target_date=today() - timedelta(days=90))
    client.force_login(manager)

    assert references(client.get(LIST, {"overdue": "on"})) == []
    assert references(client.get(LIST, {"stalled": "on"})) == []


def test_sorting_by_a_column_keeps_the_filters_and_links_the_other_way(client, org, home, manager):
    for reference, likelihood in (("QIP-R-1", 2), ("QIP-R-2", 5), ("QIP-R-3", 4)):
        plan_at(
            org, home, manager, reference=reference, risk_likelihood=likelihood, risk_impact=4, quality_area="falls"
        )
    plan_at(org, home, manager, reference="QIP-R-9", quality_area="records")
    client.force_login(manager)

    response = client.get(LIST, {"quality_area": "falls", "o": "-risk"})

    assert references(response) == ["QIP-R-2", "QIP-R-3", "QIP-R-1"]
    body = response.content.decode()
    risk_heading = re.search(r'<th scope="col" aria-sort="descending">\s*<a href="([^"]+)"', body)
    assert risk_heading, "the risk column says it is sorted descending"
    link = risk_heading.group(1).replace("&amp;", "&")
    assert "quality_area=falls" in link and "o=risk" in link and "o=-risk" not in link
    assert references(client.get(LIST + link)) == ["QIP-R-1", "QIP-R-3", "QIP-R-2"]
    # Filtering again keeps the sort: it travels with the filter form.
    assert 'name="o" value="-risk" form="plan-filter"' in body


def test_sorting_by_target_date_puts_plans_without_one_last(client, org, home, manager):
    plan_at(org, home, manager, reference="QIP-T-1", target_date=today() + timedelta(days=30))
    plan_at(org, home, manager, reference="QIP-T-2", target_date=None)
    plan_at(org, home, manager, reference="QIP-T-3", target_date=today() + timedelta(days=10))
    client.force_login(manager)

    assert references(client.get(LIST, {"o": "target"})) == ["QIP-T-3", "QIP-T-1", "QIP-T-2"]
    assert references(client.get(LIST, {"o": "-target"})) == ["QIP-T-1", "QIP-T-3", "QIP-T-2"]


def test_pages_of_25_keep_the_filters(client, org, home, manager):
    for number in range(30):
        plan_at(org, home, manager, reference=f"QIP-P-{number:03d}", quality_area="falls")
    plan_at(org, home, manager, reference="QIP-P-999", quality_area="records")
    client.force_login(manager)

    first = client.get(LIST, {"quality_area": "falls", "o": "-reference"})

    assert len(references(first)) == 25
    assert references(first)[0] == "QIP-P-029"
    body = first.content.decode()
    next_link = re.search(r'<a class="page-link" href="([^"]+)"[^>]*>Next</a>', body).group(1).replace("&amp;", "&")
    assert "quality_area=falls" in next_link and "o=-reference" in next_link and "page=2" in next_link
    second = client.get(LIST + next_link)
    assert references(second) == [f"QIP-P-{number:03d}" for number in range(4, -1, -1)]


def test_bad_filter_values_do_not_break_the_list(client, org, home, manager):
    plan_at(org, home, manager)
    client.force_login(manager)

    response = client.get(LIST, {"risk": "extreme", "location": "abc", "o": "nonsense", "page": "99"})

    assert response.status_code == 200
    assert len(references(response)) == 1


def test_htmx_gets_only_the_results_and_the_page_varies_on_it(client, org, home, manager):
    plan_at(org, home, manager, reference="QIP-H-1")
    client.force_login(manager)

    response = client.get(LIST, {"q": "QIP-H"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert "<html" not in body and "<form" not in body
    assert "QIP-H-1" in body
    assert "HX-Request" in response["Vary"]
    restored = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.content.decode()


def test_the_list_costs_the_same_few_queries_for_5_and_50_plans(client, org, home, branch, manager, quality):
    client.force_login(quality)
    safe = KeyQuestion.objects.get(slug="safe", framework__is_current=True)
    every_filter = {
        "status": "open",
        "location": home.pk,
        "owner": manager.pk,
        "key_question": safe.pk,
        "quality_statement": statement("safe-systems-pathways-transitions").pk,
        "quality_area": "care_planning",
        "o": "-risk",
    }

    def count_queries(number):
        for _ in range(number):
            plan = make.PlanFactory(
                organisation=org, locations=[home, branch], owner=manager, quality_area="care_planning"
            )
            plan.quality_statements.set([statement("safe-systems-pathways-transitions")])
            action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, measure=True)
            make.ReadingFactory.create_batch(2, measure=action.measure)
            make.EvidenceFactory(action=action)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, every_filter)
        assert response.status_code == 200
        assert response.context["filter"].active and response.context["page"].object_list
        return len(queries)

    five = count_queries(5)
    fifty = count_queries(45)  # 50 plans in all, two pages
    assert five == fifty <= PAGE_QUERY_BUDGET, f"{five} queries for 5 plans, {fifty} for 50"


def test_the_list_pages_count_without_asking_twice_and_a_page_past_the_end_shows_the_last(client, org, home, quality):
    for number in range(30):
        plan_at(org, home, quality, reference=f"QIP-P-{number:02}")
    client.force_login(quality)

    second = client.get(LIST, {"page": "2"})
    beyond = client.get(LIST, {"page": "9"})
    nonsense = client.get(LIST, {"page": "x"})

    assert references(second) == [f"QIP-P-{number:02}" for number in range(25, 30)]
    assert "30 plans." in second.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert references(beyond) == references(second)
    assert references(nonsense)[0] == "QIP-P-00"


# New plan


def valid_form(home, owner, **overrides):
    return {
        "title": "Night-time falls are reviewed",
        "problem_statement": "Four falls at night in October were not reviewed by the nurse in charge.",
        "source": "incident",
        "source_reference": "INC-2026-044",
        "source_date": (today() - timedelta(days=10)).isoformat(),
        "root_causes": "No handover prompt for falls.",
        "priority_rationale": "Two of the falls caused injuries.",
        "quality_area": "falls",
        "risk_likelihood": "4",
        "risk_impact": "4",
        "owner": owner.pk,
        "locations": [home.pk],
        "quality_statements": [statement("safe-systems-pathways-transitions").pk, first_statement_of("well-led").pk],
        "regulations": [Regulation.objects.filter(framework__is_current=True, number="12").first().pk],
        "review_cadence": "fortnightly",
        "target_date": (today() + timedelta(days=90)).isoformat(),
        **overrides,
    }


def test_the_new_plan_form_groups_statements_by_key_question_and_offers_only_what_fits(
    client, org, home, branch, manager, staff, viewer, quality
):
    client.force_login(manager)

    response = client.get(CREATE)

    body = response.content.decode()
    for key_question in ("Safe", "Effective", "Caring", "Responsive", "Well-led"):
        assert re.search(rf"<legend[^>]*>{key_question}</legend>", body), key_question
    assert "Regulation 12" in body
    form = response.context["form"]
    assert list(form.fields["locations"].queryset) == [home]  # the manager works at Oak House only
    owners = set(form.fields["owner"].queryset)
    assert {manager, quality} <= owners
    assert staff not in owners and viewer not in owners
    labels = set(re.findall(r'<label[^>]*for="([^"]+)"', body))
    inputs = set(re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*id="([^"]+)"', body))
    assert inputs <= labels, f"inputs without a label: {inputs - labels}"


def test_manager_creates_a_plan_with_statements_and_regulations(client, org, home, manager):
    client.force_login(manager)

    response = client.post(CREATE, valid_form(home, manager))

    plan = Plan.objects.get(organisation=org, title="Night-time falls are reviewed")
    assert response.status_code == 302
    assert response.url == reverse("plan_detail", args=[plan.pk])
    assert re.fullmatch(r"QIP-\d{4}-001", plan.reference)
    assert list(plan.locations.all()) == [home]
    assert plan.quality_statements.count() == 2
    assert [r.number for r in plan.regulations.all()] == ["12"]
    assert plan.risk_score == 16
    assert plan.next_review_date == today() + timedelta(days=14)
    assert AuditEvent.objects.filter(action="plan.created").for_object(plan).exists()
    page = client.get(response.url)
    assert f"{plan.reference} created." in page.content.decode()


def test_service_messages_appear_beside_the_fields(client, org, home, manager):
    plan_at(org, home, manager, reference="QIP-2026-050")
    client.force_login(manager)
    data = valid_form(
        home,
        manager,
        reference="QIP-2026-050",
        source_date=(today() - timedelta(days=1)).isoformat(),
        target_date=(today() - timedelta(days=3)).isoformat(),
    )

    response = client.post(CREATE, data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already used" in errors["reference"][0]
    assert errors["target_date"] == ["The target date cannot be before the source date."]
    body = response.content.decode()
    assert "The plan was not saved." in body
    assert Plan.objects.filter(organisation=org).count() == 1


def test_missing_answers_are_named_and_nothing_is_saved(client, org, home, manager):
    client.force_login(manager)

    response = client.post(CREATE, {"review_cadence": "monthly"})

    errors = response.context["form"].errors
    assert errors["title"] == ["Enter a short title for the plan."]
    assert errors["locations"] == ["Choose at least one location."]
    assert errors["owner"] == ["Choose the plan owner: one person accountable for the plan."]
    assert not Plan.objects.filter(organisation=org).exists()


def test_a_location_the_manager_does_not_work_at_cannot_be_chosen(client, org, home, branch, manager):
    client.force_login(manager)

    response = client.post(CREATE, valid_form(home, manager, locations=[branch.pk]))

    assert response.status_code == 200
    assert "locations" in response.context["form"].errors
    assert not Plan.objects.filter(organisation=org).exists()


def test_staff_and_viewers_cannot_create_plans(client, staff, admin):
    for person in (staff, admin):
        client.force_login(person)
        assert client.get(CREATE).status_code == 403


# Edit


def test_manager_edits_a_plan_and_the_change_is_audited(client, org, home, manager, quality):
    plan = plan_at(org, home, manager, title="Old title", review_cadence="monthly")
    client.force_login(manager)
    edit = reverse("plan_edit", args=[plan.pk])
    form = client.get(edit).context["form"]
    assert form.initial["title"] == "Old title"
    assert "reference" not in form.fields

    response = client.post(edit, valid_form(home, quality, title="New title", review_cadence="weekly"))

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "New title" and plan.owner == quality
    assert plan.next_review_date == today() + timedelta(days=7)
    [event] = AuditEvent.objects.filter(action="plan.changed").for_object(plan)
    assert event.data["title"] == ["Old title", "New title"]
    detail = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "title from Old title to New title" in detail
    assert "owner from Mary Manager to Quinn Quality" in detail


def test_editing_keeps_locations_the_manager_cannot_see(client, org, home, branch, manager):
    plan = make.PlanFactory(organisation=org, locations=[home, branch], owner=manager)
    client.force_login(manager)
    edit = reverse("plan_edit", args=[plan.pk])
    assert "The plan also covers Riverside Homecare" in client.get(edit).content.decode()

    response = client.post(edit, valid_form(home, manager, title="Renamed"))

    assert response.status_code == 302
    assert set(plan.locations.all()) == {home, branch}


def test_a_closed_plan_cannot_be_edited(client, org, home, manager):
    plan = plan_at(org, home, manager, status="closed", closed_at=timezone.now())
    client.force_login(manager)

    response = client.get(reverse("plan_edit", args=[plan.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("plan_detail", args=[plan.pk])
    assert "is closed, so it cannot be edited" in response.content.decode()
    assert "Edit plan" not in response.content.decode()


def test_staff_cannot_edit_and_other_locations_do_not_exist(client, org, home, manager, staff, other_manager):
    plan = plan_at(org, home, manager)
    edit = reverse("plan_edit", args=[plan.pk])
    client.force_login(staff)
    assert client.get(edit).status_code == 403
    client.force_login(other_manager)
    assert client.get(edit).status_code == 404


# The plan page


@pytest.fixture
def full_plan(org, home, branch, manager, other_manager, ni, quality):
    plan = make.PlanFactory(
        organisation=org,
        locations=[home, branch],
        owner=manager,
        reference="QIP-2026-007",
        title="Medicines administration records are complete",
        source_reference="INS2-123456789",
        source_date=today() - timedelta(days=40),
        risk_likelihood=4,
        risk_impact=3,
        next_review_date=today() - timedelta(days=2),
        quality_statements=[statement("medicines-optimisation")],
        regulations=list(Regulation.objects.filter(framework__is_current=True, number="12")),
    )
    live = make.ActionFactory(
        plan=plan, location=home, owner=manager, created_by=manager, measure=True, title="Senior carer audits MAR"
    )
    make.ReadingFactory.create_batch(3, measure=live.measure)
    done = make.ActionFactory(plan=plan, location=branch, owner=other_manager, created_by=other_manager, steps=1)
    make.close_action(done, signer=quality)
    withdrawn = make.EvidenceFactory(action=live, title="Withdrawn audit")
    EvidenceItem.objects.filter(pk=withdrawn.pk).update(
        withdrawn_at=timezone.now(), withdrawn_by=manager, withdrawn_reason="Wrong month"
    )
    make.EvidenceFactory(action=None, plan=plan, location=home, title="Governance minutes", kind="governance_minutes")
    plan_services.update_plan(actor=manager, plan=plan, title="MAR charts are complete")
    return {"plan": plan, "live": live, "done": done}


def test_the_overview_lists_statements_under_their_key_questions_and_regulations_in_order(client, org, home, manager):
    plan = plan_at(org, home, manager)
    well_led, safe = first_statement_of("well-led"), statement("safe-systems-pathways-transitions")
    plan.quality_statements.set([well_led, safe, first_statement_of("safe")])
    current = Regulation.objects.filter(framework__is_current=True)
    plan.regulations.set([current.get(number="17"), current.get(number="12")])
    client.force_login(manager)

    context = client.get(reverse("plan_detail", args=[plan.pk])).context

    safe_statements = sorted([safe, first_statement_of("safe")], key=lambda statement: statement.order)
    assert context["statements_by_key_question"] == [
        ("Safe", [statement.name for statement in safe_statements]),
        ("Well-led", [well_led.name]),
    ]
    assert context["regulations"] == [str(current.get(number="12")), str(current.get(number="17"))]


def test_the_plan_page_shows_overview_actions_by_location_measures_evidence_reviews_and_history(
    client, full_plan, quality
):
    plan = full_plan["plan"]
    client.force_login(quality)

    response = client.get(reverse("plan_detail", args=[plan.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    # Overview
    assert "MAR charts had gaps on 6 of 20 charts" in body
    assert "CQC inspection, reference INS2-123456789" in body
    assert "Likelihood 4 × impact 3 =" in body and "12 (medium)" in body
    assert "<strong>Safe:</strong> Medicines optimisation" in body or "Medicines optimisation" in body
    assert "Regulation 12" in body
    # Actions by location, each location's state
    groups = {group["location"].name: group["state"] for group in response.context["groups"]}
    assert groups == {"Oak House": "live", "Riverside Homecare": "business as usual"}
    assert "✔ Business as usual" in body
    assert reverse("action_detail", args=[full_plan["live"].pk]) in body
    assert reverse("action_create", args=[plan.pk]) in body
    # Measures with a chart
    assert "MAR entries signed at the time of administration" in body
    assert "<svg" in body
    # Evidence, withdrawn shown as withdrawn, and the plan-evidence link
    assert "Withdrawn audit" in body and "Governance minutes" in body
    assert reverse("plan_evidence_add", args=[plan.pk]) in body
    # Reviews: the cadence, the date and that it is overdue
    assert "Monthly" in body and "✘ Overdue since" in body
    # History in plain English, newest first
    history = response.context["history"]
    assert history[0].description.startswith("Changed: title from")
    assert any(event.description.startswith("Status changed from") for event in history)
    assert "Closure approved and signed" in body


def test_location_states(org, home, manager):
    plan = plan_at(org, home, manager)
    assert selectors_plans.location_state([]) == "no actions yet"
    states = [ActionStatus.ASSURANCE, ActionStatus.AWAITING_SIGNOFF]
    actions = [make.ActionFactory(plan=plan, owner=manager, status=status) for status in states]
    assert selectors_plans.location_state(actions) == "in assurance"
    actions.append(make.ActionFactory(plan=plan, owner=manager, status=ActionStatus.REOPENED))
    assert selectors_plans.location_state(actions) == "live"


def test_staff_see_the_plan_without_add_action_or_edit_links(client, full_plan, staff):
    plan = full_plan["plan"]
    client.force_login(staff)

    body = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()

    assert reverse("action_create", args=[plan.pk]) not in body
    assert reverse("plan_edit", args=[plan.pk]) not in body
    assert reverse("plan_evidence_add", args=[plan.pk]) in body  # staff add evidence where they work
    assert "Senior carer audits MAR" in body


def test_a_closed_plan_shows_its_business_as_usual_monitoring_and_learning(client, org, home, manager, ni):
    plan = plan_at(
        org,
        home,
        manager,
        status="closed",
        closed_at=timezone.now(),
        bau_monitoring_plan="Monthly MAR audit by the deputy.",
        closure_learning="Observed rounds worked.",
        residual_risks="Agency nights.",
    )
    client.force_login(ni)

    body = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()

    assert "Monthly MAR audit by the deputy." in body
    assert "Observed rounds worked." in body
    assert "Agency nights." in body
    assert "✘ Overdue" not in body


def test_history_is_capped_at_50_with_a_count(client, org, home, manager):
    plan = plan_at(org, home, manager, title="Start")
    for number in range(55):
        plan = plan_services.update_plan(actor=manager, plan=plan, title=f"Title {number}")
    client.force_login(manager)

    response = client.get(reverse("plan_detail", args=[plan.pk]))

    assert len(response.context["history"]) == 50
    assert response.context["history_total"] == 55
    assert "The latest 50 of 55 changes" in response.content.decode()


def busy_plan(org, home, branch, manager, quality, ni, count):
    """An open plan with every section of its page filled: statements and regulations, a plan closure
    request rejected (a closure decision), then `count` measured actions with readings and evidence with
    a file, a concern that stepped reviews up, a review, and an action at a second house (Riverside,
    which the manager does not run)."""
    plan = plan_at(org, home, manager, review_cadence="monthly")
    plan.quality_statements.set([statement("safe-systems-pathways-transitions"), first_statement_of("well-led")])
    plan.regulations.set(Regulation.objects.filter(framework__is_current=True, number__in=["12", "17"]))
    make.close_action(make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager), signer=ni)
    request = services.request_plan_closure(
        actor=manager, plan=plan, bau_monitoring_plan="Monthly MAR audit.", closure_learning="Observation worked."
    )
    services.reject(actor=ni, closure_request=request, reason="Wait for the 30-day checks.")
    for number in range(count):
        action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, measure=True)
        make.ReadingFactory.create_batch(2, measure=action.measure)
        make.EvidenceFactory(action=action, title=f"Audit {number}", files=[("audit.pdf", make.PDF_BYTES)])
    plan.locations.add(branch)
    make.ActionFactory(plan=plan, location=branch, owner=quality, created_by=quality)
    evidence_services.log_concern(
        actor=manager, action=action, kind="incident", occurred_on=today(), summary="Missed evening dose"
    )
    lines = [
        {"action": open_action, "rag": "green", "progress": ""}
        for open_action in reviewable_actions(user=manager, plan=plan)
    ]
    record_review(actor=manager, plan=plan, held_on=today(), decision="continue", lines=lines)
    return plan


@pytest.mark.parametrize("viewer", ["manager", "quality"])
def test_the_plan_page_costs_the_same_few_queries_for_5_and_50_actions_and_evidence(
    client, org, home, branch, manager, quality, ni, viewer
):
    small, large = (busy_plan(org, home, branch, manager, quality, ni, count) for count in (5, 50))
    client.force_login({"manager": manager, "quality": quality}[viewer])
    client.get(reverse("plan_detail", args=[small.pk]))  # warm the session and caches

    counts = []
    for plan in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("plan_detail", args=[plan.pk]))
        assert response.status_code == 200
        context = response.context
        assert context["closure"]["signoffs"] and context["closure"]["gate_lines"] and context["regulations"]
        assert {entry["kind"] for entry in context["review_timeline"]} == {"review", "cadence"}
        assert "still open at Oak House, Riverside Homecare" in context["closure"]["not_ready_because"]
        counts.append(len(queries))
    assert counts[0] == counts[1] <= PAGE_QUERY_BUDGET, counts


def test_a_plan_of_another_organisation_is_not_found(client, org, home, manager, outsider):
    plan = plan_at(org, home, manager)
    client.force_login(outsider)

    assert client.get(reverse("plan_detail", args=[plan.pk])).status_code == 404
    assert references(client.get(LIST)) == []
