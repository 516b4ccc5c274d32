"""Plan closure as people meet it: the Closure section of the plan page and the request page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import services
from governance.models import ClosureRequest, RequestStatus
from qip.models import AuditEvent, PlanStatus
from qip.tests import domain_factories as make
from qip.tests.factories import LocationFactory
from qip.tests.two_factor_support import code_for

pytestmark = pytest.mark.django_db

BAU = "MAR audits move to the monthly governance meeting at every house."
LEARNING = "Observed rounds changed practice; the reminder e-mails did not."
RISKS = "New agency staff: induction includes an observed round."


def three_location_plan(org, home, branch, manager, quality):
    """A plan at Elm Court, Oak House and Riverside Homecare with an open action at each.

    Oak House's action is the manager's; the others are the quality lead's (the manager works at Oak
    House only). The nominated individual owns nothing, so may sign every closure and the plan's.
    """
    elm = LocationFactory(organisation=org, name="Elm Court")
    plan = make.PlanFactory(organisation=org, locations=[home, branch, elm], owner=manager, created_by=manager)
    actions = {
        "home": make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager),
        "branch": make.ActionFactory(plan=plan, location=branch, owner=quality, created_by=quality),
        "elm": make.ActionFactory(plan=plan, location=elm, owner=quality, created_by=quality),
    }
    return plan, actions


def request_url(plan):
    return reverse("plan_request_closure", args=[plan.pk])


def detail_url(plan):
    return reverse("plan_detail", args=[plan.pk])


def closure_section(response):
    html = response.content.decode()
    start = html.index('<section id="closure"')
    return html[start : html.index("</section>", start)]


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def plan_of_three(org, home, branch, manager, quality):
    return three_location_plan(org, home, branch, manager, quality)


@pytest.fixture
def ready_plan(plan_of_three, ni):
    plan, actions = plan_of_three
    for action in actions.values():
        make.close_action(action, signer=ni)
    return plan


def request_plan(plan, by):
    return services.request_plan_closure(
        actor=by, plan=plan, bau_monitoring_plan=BAU, closure_learning=LEARNING, residual_risks=RISKS
    )


# The Closure section of the plan page


def test_plan_page_says_which_locations_are_business_as_usual_and_why_closure_must_wait(
    client, plan_of_three, quality, ni
):
    plan, actions = plan_of_three
    make.close_action(actions["home"], signer=ni)
    make.close_action(actions["elm"], signer=ni)

    section = closure_section(signed_in(client, quality).get(detail_url(plan)))

    assert "2 of 3 locations in business as usual; still live: Riverside Homecare." in section
    assert "Plan closure cannot be requested yet." in section
    assert "2 of 3 actions closed; still open at" in section
    assert 'data-code="all_actions_closed"' in section
    assert request_url(plan) not in section
    assert "No closure decisions yet." in section


def test_the_nav_links_to_the_closure_section(client, plan_of_three, manager):
    plan, _ = plan_of_three
    assert 'href="#closure">Closure</a>' in signed_in(client, manager).get(detail_url(plan)).content.decode()


def test_once_every_action_is_closed_a_manager_is_offered_the_request(client, ready_plan, manager):
    section = closure_section(signed_in(client, manager).get(detail_url(ready_plan)))
    # The manager works at Oak House only, so sees that house and is told of the others.
    assert "1 of 1 location in business as usual. The plan has 2 more locations you do not work at." in section
    assert "Every action is closed: the plan can be put forward for closure." in section
    assert f'href="{request_url(ready_plan)}"' in section


def test_staff_see_the_plan_is_ready_but_are_not_offered_the_request(client, ready_plan, staff):
    section = closure_section(signed_in(client, staff).get(detail_url(ready_plan)))
    assert "the plan can be put forward for closure" in section
    assert request_url(ready_plan) not in section
    assert "A registered manager, quality lead or nominated individual puts the plan forward" in section


def test_a_pending_request_links_the_signer_to_the_decision(client, ready_plan, manager, ni):
    pending = request_plan(ready_plan, manager)

    section = closure_section(signed_in(client, ni).get(detail_url(ready_plan)))
    assert "Awaiting sign-off." in section
    assert "Closure was requested by Mary Manager" in section
    assert reverse("signoff_decide", args=[pending.pk]) in section
    assert request_url(ready_plan) not in section

    manager_section = closure_section(signed_in(client, manager).get(detail_url(ready_plan)))
    assert "Awaiting sign-off." in manager_section
    assert reverse("signoff_decide", args=[pending.pk]) not in manager_section  # not theirs to decide


def test_a_closed_plan_shows_its_monitoring_plan_learning_risks_and_signature(
    client, ready_plan, manager, ni, password
):
    signoff = services.approve(
        actor=ni, closure_request=request_plan(ready_plan, manager), password=password, code=code_for(ni)
    )

    section = closure_section(signed_in(client, manager).get(detail_url(ready_plan)))

    assert "✔ Closed</strong>" in section
    assert "(UK time)" in section
    for text in (BAU, LEARNING, RISKS):
        assert text.replace("'", "&#x27;") in section
    assert "as it stood when it was signed off" in section
    assert f'data-signoff="{signoff.pk}"' in section
    assert "Nina Nominated" in section
    assert signoff.snapshot_hash in section
    assert request_url(ready_plan) not in section


def test_every_decision_on_the_plan_stays_on_the_page(client, ready_plan, manager, ni):
    services.challenge(actor=ni, closure_request=request_plan(ready_plan, manager), reason="Wait for the 30-day checks")
    request_plan(ready_plan, manager)

    section = closure_section(signed_in(client, manager).get(detail_url(ready_plan)))

    assert "Challenged: returned to assurance" in section
    assert "Wait for the 30-day checks" in section
    assert "Awaiting sign-off." in section


def test_the_closure_section_costs_the_same_queries_for_one_and_five_decisions(client, ready_plan, manager, ni):
    client.force_login(manager)

    def count_queries(decisions):
        for _ in range(decisions):
            services.challenge(actor=ni, closure_request=request_plan(ready_plan, manager), reason="Not yet")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(ready_plan)).status_code == 200
        return len(queries)

    one = count_queries(1)
    five = count_queries(4)
    assert one == five, f"{one} queries for 1 decision, {five} for 5"


# The request page


def test_request_page_shows_the_gate_and_the_locations(client, plan_of_three, quality, ni):
    plan, actions = plan_of_three
    make.close_action(actions["home"], signer=ni)

    html = signed_in(client, quality).get(request_url(plan)).content.decode()

    assert "<h1>Request plan closure</h1>" in html
    assert "1 of 3 locations in business as usual; still live: Elm Court, Riverside Homecare." in html
    assert 'data-code="all_actions_closed"' in html
    assert "1 of 3 actions closed; still open at" in html
    assert 'name="bau_monitoring_plan"' in html


def test_a_request_while_an_action_is_open_is_refused_with_every_reason_and_changes_nothing(
    client, plan_of_three, manager
):
    plan, _ = plan_of_three
    client.force_login(manager)
    events = AuditEvent.objects.count()

    response = client.post(request_url(plan), {"bau_monitoring_plan": BAU, "closure_learning": LEARNING})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Plan closure cannot be requested yet. Nothing has been changed." in html
    assert "All actions closed: 0 of 3 actions closed; still open at" in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.OPEN
    assert not ClosureRequest.objects.filter(plan=plan).exists()
    assert AuditEvent.objects.count() == events


def test_missing_texts_are_named_beside_their_fields_and_change_nothing(client, ready_plan, manager):
    response = signed_in(client, manager).post(request_url(ready_plan), {"bau_monitoring_plan": "  "})

    form = response.context["form"]
    assert form.errors["bau_monitoring_plan"] == ["Write the business-as-usual monitoring plan."]
    assert form.errors["closure_learning"] == ["Write the closure learning: what worked and what got in the way."]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or "is-invalid" in html
    ready_plan.refresh_from_db()
    assert ready_plan.status == PlanStatus.OPEN
    assert not ClosureRequest.objects.filter(plan=ready_plan).exists()


def test_a_request_puts_the_plan_awaiting_sign_off_and_in_the_inbox(client, ready_plan, quality, ni):
    response = signed_in(client, quality).post(
        request_url(ready_plan),
        {"bau_monitoring_plan": BAU, "closure_learning": LEARNING, "residual_risks": RISKS},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == detail_url(ready_plan) + "#closure"
    assert "Plan closure requested." in response.content.decode()
    ready_plan.refresh_from_db()
    assert ready_plan.status == PlanStatus.AWAITING_SIGNOFF
    pending = ClosureRequest.objects.get(plan=ready_plan)
    assert (pending.status, pending.requested_by, pending.residual_risks) == (RequestStatus.PENDING, quality, RISKS)

    inbox = signed_in(client, ni).get(reverse("signoff_inbox")).content.decode()
    assert reverse("signoff_decide", args=[pending.pk]) in inbox


def test_a_plan_awaiting_sign_off_cannot_be_put_forward_twice(client, ready_plan, manager, quality):
    request_plan(ready_plan, manager)

    page = signed_in(client, quality).get(request_url(ready_plan)).content.decode()
    assert "This plan is awaiting sign-off: closure was requested by Mary Manager." in page
    assert 'name="bau_monitoring_plan"' not in page

    response = client.post(request_url(ready_plan), {"bau_monitoring_plan": BAU, "closure_learning": LEARNING})
    assert "This plan is awaiting sign-off." in response.content.decode()
    assert ClosureRequest.objects.filter(plan=ready_plan).count() == 1


def test_staff_may_not_request_plan_closure(client, ready_plan, staff):
    client.force_login(staff)
    assert client.get(request_url(ready_plan)).status_code == 403
    assert (
        client.post(request_url(ready_plan), {"bau_monitoring_plan": BAU, "closure_learning": LEARNING}).status_code
        == 403
    )
    ready_plan.refresh_from_db()
    assert ready_plan.status == PlanStatus.OPEN


def test_a_plan_the_user_cannot_see_is_not_found(client, org, home, manager, other_manager, outsider):
    plan = make.PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    for user in (other_manager, outsider):
        client.force_login(user)
        assert client.get(request_url(plan)).status_code == 404
