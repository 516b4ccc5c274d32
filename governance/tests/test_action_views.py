"""The action screens as a registered manager (and staff, a quality lead, a nominated individual) meets them.

`manager` runs Oak House (`home`); `staff` works there; `ni` and `quality` oversee the organisation.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus, ApprovalLevel, ClosureCriteria
from actions.services import change_criteria
from evidence import services as evidence_services
from evidence.models import Concern, Measure
from governance import selectors_actions as selectors
from governance import services as governance
from qip.models import AuditEvent
from qip.tests import domain_factories as make
from qip.tests.browser import axe_violations, sign_in
from qip.tests.factories import PASSWORD

TITLE = "Senior carer audits 10 MAR charts every week for 8 weeks; target 100% signed at administration"
HIGH_RISK_LABEL = "Nominated individual (required for high-risk actions)"
STEP = "Senior carer checks 5 MAR charts each shift and records gaps in the daily management log"


def today():
    return timezone.localdate()


def html(response):
    return response.content.decode()


def text(response):
    """The page's words, without tags, on one line."""
    body = html(response)
    body = body[body.index("<main") :] if "<main" in body else body
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.fixture
def plan(org, home, manager):
    return make.PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)


@pytest.fixture
def medicines_plan(org, home, manager):
    return make.PlanFactory(
        organisation=org, locations=[home], owner=manager, created_by=manager, quality_area="medicines"
    )


@pytest.fixture
def action(plan, home, manager, staff):
    return make.ActionFactory(
        plan=plan,
        location=home,
        owner=manager,
        created_by=manager,
        measure=True,
        steps=[{"who": staff, "what": "Observe 5 medicine rounds a week; record in the competency log"}, {}],
    )


def create_data(manager, home, **overrides):
    """A complete action form: two steps filled in, the third left empty."""
    due = (today() + timedelta(days=60)).isoformat()
    data = {
        "location": home.pk,
        "title": TITLE,
        "owner": manager.pk,
        "due_date": due,
        "baseline_issue": "6 of 20 MAR charts had gaps.",
        "measurable_improvement": "100% of MAR entries signed at the time.",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "40",
        "steps-0-what": STEP,
        "steps-0-who_role": "senior carer",
        "steps-0-due_date": due,
        "steps-0-recorded_where": "daily management log",
        "steps-1-what": "Deputy manager observes 3 medicine rounds a week and records them in the competency log",
        "steps-1-who": manager.pk,
        "steps-1-due_date": due,
        "measure-name": "MAR entries signed at the time of administration",
        "measure-unit": "%",
        "measure-direction": "higher",
        "measure-target": "95",
        "measure-baseline_value": "70",
        "measure-baseline_date": (today() - timedelta(days=7)).isoformat(),
        "measure-frequency": "weekly",
        "measure-data_source": "Weekly MAR audit",
        "criteria-min_evidence_categories": "2",
        "criteria-stability_rule": "target_held",
        "criteria-window_days": "56",
        "criteria-min_readings": "4",
        "criteria-spc_baseline_points": "12",
        "criteria-spc_shift_run": "7",
        "criteria-spc_trend_run": "7",
        "criteria-approval_level": "quality_lead",
        "criteria-post_closure_offsets": "30, 90",
    }
    data.update(overrides)
    return data


# Create


def test_the_create_page_offers_three_step_rows_and_the_plans_locations(client, manager, plan, home, branch):
    client.force_login(manager)

    response = client.get(reverse("action_create", args=[plan.pk]))

    assert response.status_code == 200
    body = html(response)
    assert body.count('name="steps-') > 0
    assert len(response.context["steps"].forms) == 3
    assert [location.name for location in response.context["form"].fields["location"].queryset] == ["Oak House"]
    assert "Riverside Homecare" not in body
    assert 'hx-post="/actions/wording-check/"' in body
    assert "Add another step" in body
    assert body.count("<h1") == 1


def test_a_manager_creates_an_action_with_steps_measure_and_criteria(client, manager, plan, home):
    client.force_login(manager)

    response = client.post(reverse("action_create", args=[plan.pk]), create_data(manager, home))

    action = Action.objects.get(plan=plan)
    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[action.pk])
    assert action.title == TITLE
    assert [step.what for step in action.steps.all()][0] == STEP
    assert action.steps.count() == 2
    assert action.measure.target == 95.0
    assert action.criteria.post_closure_offsets == [30, 90]
    assert action.criteria.approval_level == ApprovalLevel.QUALITY_LEAD
    assert AuditEvent.objects.filter(action="measure.created").for_object(action.measure).exists()


def test_a_high_risk_plan_shows_the_floor_and_it_cannot_be_lowered(client, manager, medicines_plan, home):
    client.force_login(manager)

    page = client.get(reverse("action_create", args=[medicines_plan.pk]))

    words = text(page)
    assert "High risk Medicines is a high-risk area." in words
    assert "Nominated individual (required for high-risk actions)" in words
    approval = page.context["criteria_form"].fields["approval_level"]
    assert approval.choices == [
        (ApprovalLevel.NOMINATED_INDIVIDUAL, "Nominated individual (required for high-risk actions)")
    ]
    assert page.context["form"].fields["high_risk"].disabled

    # A hand-made POST asking for a quality lead, and no high-risk tick, is still held to the floor.
    client.post(reverse("action_create", args=[medicines_plan.pk]), create_data(manager, home))

    action = Action.objects.get(plan=medicines_plan)
    assert action.high_risk
    assert action.high_risk_reason == "Medicines is a high-risk area."
    assert action.criteria.approval_level == ApprovalLevel.NOMINATED_INDIVIDUAL


def test_ticking_high_risk_on_an_ordinary_plan_raises_the_approval_level(client, manager, plan, home):
    client.force_login(manager)

    client.post(
        reverse("action_create", args=[plan.pk]),
        create_data(manager, home, high_risk="on", high_risk_reason="Falls with injury"),
    )

    action = Action.objects.get(plan=plan)
    assert action.high_risk and action.high_risk_reason == "Falls with injury"
    assert action.criteria.approval_level == ApprovalLevel.NOMINATED_INDIVIDUAL


def test_add_another_step_shows_one_more_row_keeps_what_was_typed_and_saves_nothing(client, manager, plan, home):
    client.force_login(manager)
    data = create_data(manager, home, title="", add_step="1")

    response = client.post(reverse("action_create", args=[plan.pk]), data)

    assert response.status_code == 200
    assert len(response.context["steps"].forms) == 4
    assert STEP in html(response)
    assert "Give the action a title." not in html(response)  # not judged yet
    assert not Action.objects.exists()


def test_weak_wording_asks_for_a_reason_beside_the_title_and_keeps_nothing(client, manager, plan, home):
    client.force_login(manager)
    data = create_data(manager, home, title="Staff reminded to sign MAR charts")

    response = client.post(reverse("action_create", args=[plan.pk]), data)

    assert response.status_code == 200
    assert not Action.objects.exists()
    assert "Give a reason to keep this wording." in response.context["form"].errors["title"][0]
    body = html(response)
    assert "Reason to keep this wording" in body
    assert 'id="id_title-findings" class="wording-findings-area" role="status" aria-live="polite"' in body
    assert "Reminding staff" in body or "reminded" in text(response)


def test_weak_wording_is_kept_with_a_reason_and_the_reason_is_audited(client, manager, plan, home):
    client.force_login(manager)
    data = create_data(
        manager, home, title="Staff reminded to sign MAR charts", wording_reason="Agreed with the commissioner"
    )

    client.post(reverse("action_create", args=[plan.pk]), data)

    action = Action.objects.get(plan=plan)
    event = AuditEvent.objects.filter(action="action.created").for_object(action).get()
    assert event.data["wording_kept"]["reason"] == "Agreed with the commissioner"


def test_a_step_problem_is_shown_on_its_own_row(client, manager, plan, home, viewer):
    client.force_login(manager)
    data = create_data(manager, home, **{"steps-1-what": "Check charts", "steps-1-who": ""})

    response = client.post(reverse("action_create", args=[plan.pk]), data)

    assert not Action.objects.exists()
    rows = response.context["steps"].forms
    assert rows[1].non_field_errors()[0].startswith("Step 2: ")
    assert not rows[0].non_field_errors()


def test_a_measure_the_service_refuses_keeps_nothing(client, manager, plan, home):
    client.force_login(manager)
    data = create_data(manager, home, **{"measure-baseline_date": (today() + timedelta(days=3)).isoformat()})

    response = client.post(reverse("action_create", args=[plan.pk]), data)

    assert response.status_code == 200
    assert response.context["measure_form"].errors["baseline_date"] == ["The baseline date cannot be in the future."]
    assert not Action.objects.exists()
    assert not Measure.objects.exists()
    assert not AuditEvent.objects.filter(action="action.created").exists()


def test_bad_criteria_are_shown_beside_their_fields(client, manager, plan, home):
    client.force_login(manager)
    data = create_data(manager, home, **{"criteria-post_closure_offsets": "90, 30"})

    response = client.post(reverse("action_create", args=[plan.pk]), data)

    assert "ascending order" in response.context["criteria_form"].errors["post_closure_offsets"][0]
    assert not Action.objects.exists()


# The wording check (htmx)


def test_the_wording_check_lists_each_finding_with_its_suggestion(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("wording_check"),
        {"lint": "title", "kind": "action", "title": "Staff reminded to sign MAR charts", "owner": "", "due_date": ""},
        HTTP_HX_REQUEST="true",
    )

    body = html(response)
    assert response.status_code == 200
    assert "Wording to strengthen" in body
    assert "No owner is named" in body
    assert "Set a due date" in body  # the suggestion
    # The reason field arrives out of band, once.
    assert 'id="wording-reason" hx-swap-oob="true"' in body
    assert "Reason to keep this wording" in body

    again = client.post(
        reverse("wording_check"),
        {"lint": "title", "kind": "action", "title": "Staff reminded", "wording_reason": "typed"},
        HTTP_HX_REQUEST="true",
    )
    assert "hx-swap-oob" not in html(again)


def test_the_wording_check_reads_a_steps_own_row_and_says_when_the_wording_is_clear(client, manager):
    client.force_login(manager)
    data = {
        "lint": "steps-1-what",
        "kind": "step",
        "steps-1-what": STEP,
        "steps-1-who": "",
        "steps-1-who_role": "senior carer",
        "steps-1-due_date": "2026-12-01",
    }

    response = client.post(reverse("wording_check"), data, HTTP_HX_REQUEST="true")

    assert "No weak wording found" in html(response)
    assert "hx-swap-oob" not in html(response)


# Detail


def test_the_action_page_shows_header_steps_and_every_gate_line(client, manager, action, staff):
    make.ConcernFactory(action=action, summary="Late dose on nights", people_named="Mrs A")
    client.force_login(manager)

    response = client.get(reverse("action_detail", args=[action.pk]))

    words = text(response)
    assert response.status_code == 200
    assert html(response).count("<h1") == 1
    assert action.plan.reference in words
    assert "Oak House" in words and "Mary Manager" in words
    assert "Status Open" in words
    for label in ("Steps complete", "Assurance evidence", "Measure at target", "Improvement held"):
        assert label in words
    assert words.count("✘ Not yet") >= 5
    assert "What to do next: 0 of 2 steps done; next: Observe 5 medicine rounds" in words
    assert "Needs sign-off by a quality lead or nominated individual." in words
    assert "The signer must not be Mary Manager (owner)" in words
    assert "Late dose on nights" in words and "People named: Mrs A" in words
    assert "Log a concern" in words
    assert "Request closure" not in words
    assert "Start assurance monitoring" not in words


def test_staff_see_a_done_button_only_on_their_own_step_and_no_edit_link(client, staff, action):
    client.force_login(staff)

    response = client.get(reverse("action_detail", args=[action.pk]))

    body = html(response)
    mine, other = action.steps.all()
    assert reverse("step_done", args=[mine.pk]) in body
    assert reverse("step_done", args=[other.pk]) not in body
    assert reverse("action_edit", args=[action.pk]) not in body
    assert "Add a step" not in body


def test_ticking_a_step_with_htmx_swaps_the_row_and_refreshes_the_panel_out_of_band(client, staff, action):
    client.force_login(staff)
    step = action.steps.first()

    response = client.post(reverse("step_done", args=[step.pk]), HTTP_HX_REQUEST="true")

    body = html(response)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li id="step-{step.pk}"')
    assert "✔</span> Done" in body and "Sam Staff" in body
    assert 'id="readiness-panel"' in body and 'hx-swap-oob="true"' in body
    assert "1 of 2 steps done" in body
    assert 'id="action-status"' in body and "In progress" in body
    step.refresh_from_db()
    assert step.is_done


def test_ticking_a_step_without_javascript_redirects_back_to_it(client, staff, action):
    client.force_login(staff)
    step = action.steps.first()

    response = client.post(reverse("step_done", args=[step.pk]))

    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[action.pk]) + f"#step-{step.pk}"
    again = client.post(reverse("step_done", args=[step.pk]), follow=True)
    assert "This step is already done." in text(again)


def test_staff_cannot_tick_someone_elses_step(client, staff, action):
    client.force_login(staff)
    other = action.steps.all()[1]

    assert client.post(reverse("step_done", args=[other.pk])).status_code == 403
    other.refresh_from_db()
    assert not other.is_done


def test_a_manager_adds_a_step_from_the_action_page(client, manager, action):
    client.force_login(manager)

    due = (today() + timedelta(days=14)).isoformat()

    response = client.post(
        reverse("step_add", args=[action.pk]), {"what": STEP, "who_role": "senior carer", "due_date": due}
    )

    assert response.status_code == 302, response.context["form"].errors
    assert action.steps.count() == 3
    page = client.get(reverse("action_detail", args=[action.pk]))
    assert "Step added: Senior carer checks 5 MAR charts" in text(page)


def test_adding_a_weak_step_shows_the_finding_and_asks_for_a_reason(client, manager, action):
    client.force_login(manager)

    response = client.post(reverse("step_add", args=[action.pk]), {"what": "Staff reminded"})

    assert response.status_code == 200
    assert action.steps.count() == 2
    assert "Give a reason to keep this wording." in text(response)
    assert "Reason to keep this wording" in text(response)
    assert 'role="status" aria-live="polite"' in html(response)


PAGE_QUERY_BUDGET = 15  # in all, with the session, user and membership reads every page makes


def busy_action(plan, home, manager, ni, count):
    """An action with every section of the page filled: `count` steps (done: audit events), readings,
    evidence items with a file and concerns, a rejected closure request (a closure decision), a criteria
    change after the start, and a new step, so the gate fails and suggests evidence."""
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, steps=count, measure=True)
    for step in action.steps.all():
        governance.complete_step(actor=manager, step=step)
    make.ReadingFactory.create_batch(max(count, 8), measure=action.measure)
    for number in range(count):
        make.EvidenceFactory(action=action, title=f"Audit {number}", files=[("a.pdf", make.PDF_BYTES)])
    make.EvidenceFactory(action=action, category="observation", kind="observation")
    governance.start_assurance(actor=manager, action=action)
    request = governance.request_closure(
        actor=manager, action=action, bau_monitoring_plan="Monthly MAR audit.", closure_learning="Observation worked."
    )
    governance.reject(actor=ni, closure_request=request, reason="The night rounds were not observed.")
    make.ConcernFactory.create_batch(count, action=action)
    change_criteria(actor=manager, criteria=ClosureCriteria.objects.get(action=action), reason="Agreed", min_readings=6)
    due = today() + timedelta(days=14)
    governance.add_step(actor=manager, action=action, what=STEP, who_role="senior carer", due_date=due)
    return action


def test_the_page_costs_the_same_few_queries_with_5_or_50_of_everything(client, manager, ni, plan, home):
    small, large = busy_action(plan, home, manager, ni, 5), busy_action(plan, home, manager, ni, 50)
    client.force_login(manager)
    client.get(reverse("action_detail", args=[small.pk]))  # warm the session and caches

    counts = []
    for action in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("action_detail", args=[action.pk]))
        assert response.status_code == 200
        context = response.context
        assert context["signoffs"] and context["concerns"] and context["criteria_changes"] and context["step_form"]
        assert not context["readiness"]["gate"].ready_to_request
        counts.append(len(queries))
    assert counts[0] == counts[1] <= PAGE_QUERY_BUDGET, counts


def test_criteria_changed_after_the_start_are_flagged_with_the_reason(client, manager, action, staff):
    governance.complete_step(actor=staff, step=action.steps.first())
    criteria = ClosureCriteria.objects.get(action=action)
    change_criteria(actor=manager, criteria=criteria, reason="Agreed with the commissioner", min_readings=6)
    client.force_login(manager)

    words = text(client.get(reverse("action_detail", args=[action.pk])))

    assert "Changed after the action started: Agreed with the commissioner" in words
    assert "readings needed from 4 to 6" in words


def test_the_history_pages_newest_first_and_keeps_every_criteria_change_in_view(client, manager, action, staff):
    governance.complete_step(actor=staff, step=action.steps.first())
    criteria = ClosureCriteria.objects.get(action=action)
    change_criteria(actor=manager, criteria=criteria, reason="Agreed with the commissioner", min_readings=6)
    for weeks in range(30, 0, -1):  # readings are on the action's history too
        evidence_services.record_reading(
            actor=staff, measure=action.measure, period_end=today() - timedelta(weeks=weeks), value=90
        )
    total = len(list(selectors.action_events(user=manager, organisation=action.plan.organisation, action=action)))
    assert total > 30
    client.force_login(manager)
    url = reverse("action_detail", args=[action.pk])

    first, second, beyond, nonsense = (client.get(url, {"page": page}) for page in ("1", "2", "99", "x"))

    assert first.context["page"].paginator.count == total
    assert len(first.context["page"]) == 25 and len(second.context["page"]) == total - 25
    newest = [event.pk for event in first.context["page"]]
    assert newest == sorted(newest, reverse=True)
    assert {event.pk for event in first.context["page"]}.isdisjoint(event.pk for event in second.context["page"])
    assert [event.pk for event in beyond.context["page"]] == [event.pk for event in second.context["page"]]
    assert [event.pk for event in nonsense.context["page"]] == newest
    for page in (first, second):
        assert "Changed after the action started: Agreed with the commissioner" in text(page)
    assert "Page 2 of 2" in text(second)


# Assurance and closure


@pytest.fixture
def ready_action(action, manager, staff):
    """Steps done, two assurance categories after the work, eight weekly readings at target."""
    for step in action.steps.all():
        governance.complete_step(actor=manager, step=step)
    make.ReadingFactory.create_batch(8, measure=action.measure)
    make.EvidenceFactory(action=action, category="processes")
    make.EvidenceFactory(action=action, category="observation", kind="observation")
    action.refresh_from_db()
    return action


def test_a_completed_action_offers_assurance_then_closure(client, manager, ready_action):
    client.force_login(manager)
    assert ready_action.status == ActionStatus.COMPLETED

    words = text(client.get(reverse("action_detail", args=[ready_action.pk])))
    assert "Start assurance monitoring" in words
    assert "Request closure" not in words

    response = client.post(reverse("action_start_assurance", args=[ready_action.pk]), follow=True)
    words = text(response)
    assert "Assurance monitoring started." in words
    assert "Request closure" in words
    assert reverse("action_request_closure", args=[ready_action.pk]) in html(response)


def test_requesting_closure_asks_for_the_bau_plan_and_learning_then_awaits_sign_off(client, manager, ready_action):
    governance.start_assurance(actor=manager, action=ready_action)
    client.force_login(manager)
    url = reverse("action_request_closure", args=[ready_action.pk])

    page = client.get(url)
    assert "Business-as-usual monitoring plan" in text(page)
    assert "Closure learning" in text(page)

    empty = client.post(url, {})
    assert "Write the business-as-usual monitoring plan." in text(empty)

    response = client.post(
        url,
        {"bau_monitoring_plan": "Monthly MAR audit by the deputy.", "closure_learning": "Observation worked."},
        follow=True,
    )
    ready_action.refresh_from_db()
    assert ready_action.status == ActionStatus.AWAITING_SIGNOFF
    words = text(response)
    assert "Awaiting sign-off. Needs sign-off by a quality lead or nominated individual." in words
    assert "Monthly MAR audit by the deputy." in words
    assert "Done" not in re.findall(r"<button[^>]*>([^<]*)", html(response))


def test_a_refused_closure_request_lists_every_failing_sentence(client, manager, action):
    for step in action.steps.all():
        governance.complete_step(actor=manager, step=step)
    governance.start_assurance(actor=manager, action=action)
    client.force_login(manager)

    response = client.post(
        reverse("action_request_closure", args=[action.pk]),
        {"bau_monitoring_plan": "Monthly audit.", "closure_learning": "Observation worked."},
    )

    action.refresh_from_db()
    assert action.status == ActionStatus.ASSURANCE
    refused = [criterion.code for criterion in response.context["refused"]]
    assert refused == ["evidence_sources", "measure_target", "stability"]
    words = text(response)
    assert "Closure cannot be requested yet:" in words
    assert "No readings are recorded yet." in words


def test_a_high_risk_action_awaiting_sign_off_says_a_nominated_individual_must_sign(
    client, quality, medicines_plan, home, manager
):
    action = make.ActionFactory(
        plan=medicines_plan, location=home, owner=manager, created_by=manager, high_risk=True, steps=1, measure=True
    )
    governance.complete_step(actor=manager, step=action.steps.get())
    make.ReadingFactory.create_batch(8, measure=action.measure)
    make.EvidenceFactory(action=action, category="processes")
    make.EvidenceFactory(action=action, category="observation")
    governance.start_assurance(actor=manager, action=action)
    governance.request_closure(actor=manager, action=action, bau_monitoring_plan="Audit.", closure_learning="Worked.")
    client.force_login(quality)

    words = text(client.get(reverse("action_detail", args=[action.pk])))

    assert "Awaiting sign-off. Needs sign-off by a nominated individual (high-risk action)." in words


# Concerns


def test_staff_log_a_concern_and_it_shows_in_the_list_and_the_history(client, staff, action):
    governance.complete_step(actor=staff, step=action.steps.first())
    client.force_login(staff)
    url = reverse("concern_add", args=[action.pk])

    form = client.get(url)
    assert "Names of people who use the service go in this field only" in text(form)

    response = client.post(
        url,
        {
            "kind": "complaint",
            "occurred_on": today().isoformat(),
            "summary": "Family said a dose was missed.",
            "people_named": "Mr B",
        },
        follow=True,
    )

    concern = Concern.objects.get(action=action)
    assert concern.people_named == "Mr B"
    words = text(response)
    assert "The stability window restarts from" in words
    assert "Family said a dose was missed." in words
    assert f"Concern logged: Complaint on {today().day}" in words


def test_a_concern_needs_a_date_that_is_not_in_the_future(client, staff, action):
    client.force_login(staff)

    response = client.post(
        reverse("concern_add", args=[action.pk]),
        {"kind": "incident", "occurred_on": (today() + timedelta(days=2)).isoformat(), "summary": "Fall"},
    )

    assert response.context["form"].errors["occurred_on"] == ["The date it happened cannot be in the future."]
    assert not Concern.objects.exists()


# Edit


def test_a_manager_edits_the_action_and_the_change_is_in_the_history(client, manager, action):
    client.force_login(manager)
    url = reverse("action_edit", args=[action.pk])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(owner=manager.pk, title=TITLE.replace("10 MAR", "12 MAR"), due_date=action.due_date.isoformat())

    response = client.post(url, data)

    assert response.status_code == 302
    action.refresh_from_db()
    assert "12 MAR" in action.title
    words = text(client.get(reverse("action_detail", args=[action.pk])))
    assert "Action changed: title from" in words


def test_a_closed_action_cannot_be_edited(client, manager, action, ni):
    make.close_action(action, signer=ni)
    client.force_login(manager)

    response = client.post(reverse("action_edit", args=[action.pk]), {"title": "Something else"})

    assert "This action is closed, so it cannot be edited." in text(response)
    action.refresh_from_db()
    assert action.title != "Something else"
    detail = text(client.get(reverse("action_detail", args=[action.pk])))
    assert "Edit action" not in detail
    assert "This action is closed." in detail


def test_another_organisations_action_is_not_found(client, outsider, action):
    client.force_login(outsider)

    assert client.get(reverse("action_detail", args=[action.pk])).status_code == 404


# In a browser (Debian's Chromium), under the real content security policy


@pytest.fixture
def strict_page(browser):
    """A tablet-sized page that keeps the content security policy (htmx must work under it)."""
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.browser
def test_the_wording_lint_shows_findings_as_the_manager_types(live_server, strict_page, manager, plan):
    page = strict_page
    sign_in(page, live_server, manager.email, password=PASSWORD)
    page.goto(live_server.url + reverse("action_create", args=[plan.pk]))

    page.get_by_label("Title").press_sequentially("Staff reminded to sign MAR charts")

    findings = page.locator("#id_title-findings")
    findings.get_by_text("Wording to strengthen").wait_for()
    assert "reminding" in findings.inner_text().lower() or "reminded" in findings.inner_text().lower()
    page.get_by_label("Reason to keep this wording").wait_for()

    step = page.get_by_label("What is done").first
    step.press_sequentially(STEP)
    page.locator("#id_steps-0-what-findings").get_by_text("Wording to strengthen").wait_for()


@pytest.mark.browser
def test_ticking_a_step_updates_the_row_and_the_readiness_panel_in_place(live_server, strict_page, staff, action):
    page = strict_page
    sign_in(page, live_server, staff.email, password=PASSWORD)
    url = live_server.url + reverse("action_detail", args=[action.pk])
    page.goto(url)
    step = action.steps.first()

    page.locator(f"#step-{step.pk}").get_by_role("button", name=re.compile("^Done")).click()

    page.locator(f"#step-{step.pk}").get_by_text("Done", exact=False).filter(has_text="Sam Staff").wait_for()
    page.locator("#readiness-panel").get_by_text("1 of 2 steps done", exact=False).first.wait_for()
    assert page.locator("#action-status").inner_text() == "In progress"
    assert page.url == url


@pytest.mark.browser
def test_the_action_pages_fit_a_tablet_and_pass_axe(live_server, browser, manager, action, plan):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, manager.email, password=PASSWORD)
    paths = [
        reverse("action_detail", args=[action.pk]),
        reverse("action_create", args=[plan.pk]),
        reverse("action_edit", args=[action.pk]),
        reverse("step_add", args=[action.pk]),
        reverse("action_request_closure", args=[action.pk]),
        reverse("concern_add", args=[action.pk]),
    ]
    too_wide, violations = {}, {}
    for path in paths:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 768:
            too_wide[path] = width
        if found := axe_violations(page):
            violations[path] = found
    context.close()
    assert not too_wide, f"wider than a 768px tablet: {too_wide}"
    assert not violations, violations


def test_a_concern_after_closure_says_reopening_is_proposed(client, manager, action, ni):
    make.close_action(action, signer=ni)
    client.force_login(manager)

    response = client.post(
        reverse("concern_add", args=[action.pk]),
        {"kind": "incident", "occurred_on": today().isoformat(), "summary": "Two MAR gaps on nights."},
        follow=True,
    )

    words = text(response)
    assert "reopening it is proposed" in words
    assert "A concern logged after closure proposes reopening this action" in words


def test_changing_criteria_after_the_start_needs_a_reason_and_shows_on_the_action_page(client, manager, story):
    from governance import services as governance_services

    governance_services.complete_step(actor=story.staff, step=story.steps[0])
    client.force_login(manager)
    url = reverse("criteria_edit", args=[story.action.pk])
    form = {
        "min_evidence_categories": "3",
        "stability_rule": "target_held",
        "window_days": "84",
        "min_readings": "6",
        "spc_baseline_points": "12",
        "spc_shift_run": "7",
        "spc_trend_run": "7",
        "approval_level": "quality_lead",
        "post_closure_offsets": "30, 90",
    }

    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "reason" in refused.context["form"].errors
    story.action.criteria.refresh_from_db()
    assert story.action.criteria.window_days == 56

    done = client.post(url, {**form, "reason": "Commissioner asked for twelve weeks of data"}, follow=True)
    story.action.criteria.refresh_from_db()
    assert (story.action.criteria.window_days, story.action.criteria.min_readings) == (84, 6)
    page = done.content.decode()
    assert "Changed after the action started: Commissioner asked for twelve weeks of data" in page


def test_a_step_ticked_by_mistake_is_marked_not_done_with_a_reason(client, manager, story):
    from governance import services as governance_services

    for step in story.steps:
        governance_services.complete_step(actor=story.staff, step=step)
    assert story.refresh().status == ActionStatus.COMPLETED
    client.force_login(manager)
    page = client.get(reverse("action_detail", args=[story.action.pk])).content.decode()
    assert reverse("step_undo", args=[story.steps[1].pk]) in page

    url = reverse("step_undo", args=[story.steps[1].pk])
    refused = client.post(url, {"reason": ""})
    assert "Say why the step is not done after all." in refused.content.decode()
    client.post(url, {"reason": "The re-audit was of the wrong house"})

    assert story.refresh().status == ActionStatus.IN_PROGRESS
    story.steps[1].refresh_from_db()
    assert story.steps[1].done_at is None
    history = client.get(reverse("action_detail", args=[story.action.pk])).content.decode()
    assert "The re-audit was of the wrong house" in history
