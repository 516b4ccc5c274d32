"""The sign-off inbox and decision page: who is offered what, the three decisions, and the signature block."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus, ApprovalLevel
from governance import selectors_signoff
from governance.models import ClosureRequest, RequestStatus, SignOff
from governance.selectors_dashboard import awaiting_my_signoff
from governance.services import APPROVAL_STATEMENT
from governance.tests.conftest import Story
from governance.views.signoff import INBOX_PAGE_SIZE
from qip.models import Role
from qip.tests.domain_factories import ActionFactory, PlanFactory
from qip.tests.domain_factories import member as make_member
from qip.tests.two_factor_support import code_for

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def pending(story):
    story.make_ready()
    return story.request()


@pytest.fixture
def high_risk_pending(high_risk_story):
    high_risk_story.make_ready()
    return high_risk_story.request()


def decide_url(closure_request):
    return reverse("signoff_decide", args=[closure_request.pk])


# The inbox


def test_inbox_offers_the_request_to_an_independent_nominated_individual(client, ni, pending):
    html = signed_in(client, ni).get(reverse("signoff_inbox")).content.decode()
    assert pending.action.title in html
    assert "Oak House" in html
    assert "Mary Manager" in html  # requested by
    assert decide_url(pending) in html


def test_inbox_is_not_for_the_owner_or_requester(client, manager, pending):
    assert signed_in(client, manager).get(reverse("signoff_inbox")).status_code == 403


def test_inbox_leaves_out_a_request_the_nominated_individual_requested(client, org, home, ni, staff, quality):
    story = Story(org=org, home=home, manager=ni, staff=staff)  # ni owns and requests it
    story.make_ready()
    closure_request = story.request(by=ni)
    assert decide_url(closure_request) not in signed_in(client, ni).get(reverse("signoff_inbox")).content.decode()
    assert decide_url(closure_request) in signed_in(client, quality).get(reverse("signoff_inbox")).content.decode()


def test_quality_lead_is_not_offered_a_high_risk_request_and_is_told_why(client, quality, ni, high_risk_pending):
    html = signed_in(client, quality).get(reverse("signoff_inbox")).content.decode()
    assert decide_url(high_risk_pending) not in html
    assert "Nothing is waiting for your sign-off" in html

    response = client.get(decide_url(high_risk_pending))
    assert response.status_code == 403
    text = response.content.decode()
    assert "Needs a nominated individual (high-risk action)" in text
    assert "Quinn Quality is quality lead" in text

    ni_html = signed_in(client, ni).get(reverse("signoff_inbox")).content.decode()
    assert decide_url(high_risk_pending) in ni_html
    assert "High risk" in ni_html


def test_nav_shows_sign_off_to_deciders_only(client, ni, manager):
    assert 'href="/signoff/"' in signed_in(client, ni).get(reverse("home")).content.decode()
    assert 'href="/signoff/"' not in signed_in(client, manager).get(reverse("home")).content.decode()


def _requests(count, *, org, home, manager, staff):
    plan = PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    for _ in range(count):
        action = ActionFactory(
            plan=plan, location=home, owner=manager, created_by=manager, steps=1, status=ActionStatus.AWAITING_SIGNOFF
        )
        action.steps.update(who=staff)
        ClosureRequest.objects.create(
            organisation=org, action=action, requested_by=manager, bau_monitoring_plan="Audit.", closure_learning="L."
        )
    ClosureRequest.objects.create(
        organisation=org, plan=plan, requested_by=manager, bau_monitoring_plan="Audit.", closure_learning="L."
    )


def _inbox_queries(client, user):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("signoff_inbox"))
    assert response.status_code == 200
    return len(queries), response.content.decode().count('class="signoff-row"')


def test_inbox_query_count_does_not_grow_with_requests(client, org, home, manager, staff, ni):
    signed_in(client, ni)
    _requests(5, org=org, home=home, manager=manager, staff=staff)
    few, rows_few = _inbox_queries(client, ni)
    _requests(45, org=org, home=home, manager=manager, staff=staff)
    many, rows_many = _inbox_queries(client, ni)
    assert (rows_few, rows_many) == (6, INBOX_PAGE_SIZE)  # the actions and the plans themselves, a page of them
    assert few == many, (few, many)
    # Sign-in, session, membership and its locations, the header's unread count; the requests counted, a page
    # of them, and the locations of its plan requests. A session save can add 3.
    assert many <= 15


def test_inbox_pages_through_requests_oldest_first_and_says_how_many(client, org, home, manager, staff, ni):
    _requests(INBOX_PAGE_SIZE + 2, org=org, home=home, manager=manager, staff=staff)
    oldest_first = list(ClosureRequest.objects.order_by("requested_at", "pk"))
    signed_in(client, ni)

    first = client.get(reverse("signoff_inbox")).content.decode()
    second = client.get(reverse("signoff_inbox"), {"page": 2}).content.decode()

    total = INBOX_PAGE_SIZE + 3  # and the plan's own request
    assert f"{total} requests awaiting your decision: 1 to {INBOX_PAGE_SIZE} shown, oldest first." in first
    assert f'data-request="{oldest_first[0].pk}"' in first and f'data-request="{oldest_first[-1].pk}"' not in first
    assert first.count('class="signoff-row"') == INBOX_PAGE_SIZE
    assert 'href="?page=2">Newer</a>' in first and "Page 1 of 2" in first
    assert second.count('class="signoff-row"') == 3 and f'data-request="{oldest_first[-1].pk}"' in second
    assert 'href="?page=1">Older</a>' in second
    assert "Whole plan" in second  # the plan's request, the newest, and its locations
    assert client.get(reverse("signoff_inbox"), {"page": "99"}).content.decode().count('class="signoff-row"') == 3


def test_a_quality_lead_limited_to_one_location_is_offered_only_its_requests(
    client, org, home, branch, manager, other_manager
):
    limited = make_member(org, Role.QUALITY_LEAD, locations=[branch], full_name="Lee Limited")
    requests = {}
    for location, owner in ((home, manager), (branch, other_manager)):
        plan = PlanFactory(organisation=org, locations=[location], owner=owner, created_by=owner)
        action = ActionFactory(plan=plan, location=location, created_by=owner)
        requests[location] = ClosureRequest.objects.create(
            organisation=org, action=action, requested_by=owner, bau_monitoring_plan="A.", closure_learning="L."
        )

    html = signed_in(client, limited).get(reverse("signoff_inbox")).content.decode()

    assert decide_url(requests[branch]) in html and decide_url(requests[home]) not in html
    assert "1 request awaiting your decision." in html


def test_a_short_inbox_has_no_pages(client, ni, pending):
    html = signed_in(client, ni).get(reverse("signoff_inbox")).content.decode()
    assert "1 request awaiting your decision." in html
    assert "Pages of requests" not in html


def test_the_inbox_offers_exactly_what_the_gate_lets_each_signer_decide(
    client, org, home, branch, manager, other_manager, staff, ni, quality, foreign_org, foreign_location
):
    """The inbox asks the gate's signer questions of the database; the dashboard asks the gate itself."""
    plan = PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)

    def action_request(*, requested_by=manager, steps=({"who": staff},), **fields):
        action = ActionFactory(plan=plan, location=home, created_by=manager, steps=list(steps), **fields)
        return ClosureRequest.objects.create(
            organisation=org, action=action, requested_by=requested_by, bau_monitoring_plan="A.", closure_learning="L."
        )

    def plan_request(*, owner=manager, requested_by=manager, action_owner=manager):
        other = PlanFactory(organisation=org, locations=[home, branch], owner=owner, created_by=owner)
        ActionFactory(plan=other, location=branch, owner=action_owner, created_by=owner)
        return ClosureRequest.objects.create(
            organisation=org, plan=other, requested_by=requested_by, bau_monitoring_plan="A.", closure_learning="L."
        )

    plain = action_request()
    high_risk = action_request(high_risk=True)
    needs_ni = action_request(criteria={"approval_level": ApprovalLevel.NOMINATED_INDIVIDUAL})
    names_quality = action_request(criteria={"named_reviewer": quality})
    names_ni = action_request(criteria={"named_reviewer": ni})
    ni_did_a_step = action_request(steps=[{"who": staff, "done_by": ni, "done_at": timezone.now()}])
    quality_has_a_step = action_request(steps=[{"who": quality}])
    ni_owns = action_request(owner=ni)
    quality_asked = action_request(requested_by=quality)
    whole_plan = plan_request()
    plan_request(action_owner=ni)  # the nominated individual owns one of its actions: nobody's
    plan_request(owner=ni)
    plan_request(requested_by=ni)
    decided = action_request()
    ClosureRequest.objects.filter(pk=decided.pk).update(status=RequestStatus.CHALLENGED)
    foreign_owner = make_member(foreign_org, Role.REGISTERED_MANAGER, locations=[foreign_location])
    theirs = PlanFactory(organisation=foreign_org, locations=[foreign_location], owner=foreign_owner)
    ClosureRequest.objects.create(
        organisation=foreign_org,
        plan=theirs,
        requested_by=foreign_owner,
        bau_monitoring_plan="A.",
        closure_learning="L.",
    )

    expected = {
        ni: {plain, high_risk, needs_ni, names_ni, quality_has_a_step, quality_asked, whole_plan},
        quality: {plain, names_quality, ni_did_a_step, ni_owns},
    }
    for signer, requests in expected.items():
        offered = {row.pk for row in selectors_signoff.inbox(user=signer, organisation=org)}
        judged = {row.pk for row in awaiting_my_signoff(user=signer, organisation=org)}
        assert offered == judged == {request.pk for request in requests}, signer
        html = signed_in(client, signer).get(reverse("signoff_inbox")).content.decode()
        assert {int(pk) for pk in re.findall(r'data-request="(\d+)"', html)} == offered


# The decision page


def test_decision_page_shows_gate_evidence_measure_bau_and_statement(client, ni, pending):
    html = signed_in(client, ni).get(decide_url(pending)).content.decode()
    assert "✔" in html and "Independent signer" in html
    assert "Processes" in html and "Observation" in html  # evidence grouped by category
    assert "<svg" in html  # the measure chart
    assert "Monthly MAR audit by the deputy manager" in html
    assert "Observed rounds changed practice" in html
    assert "Criteria history" in html
    assert 'for="approve-password"' in html and "Your password" in html
    assert "Approved for closure" in html
    assert APPROVAL_STATEMENT.format(subject=pending.action.title) in html


def test_someone_elses_organisation_request_is_404(client, outsider, pending):
    assert signed_in(client, outsider).get(decide_url(pending)).status_code == 404


def test_approve_with_the_right_password_closes_and_the_action_page_shows_the_signature(
    client, ni, pending, signer_password
):
    response = signed_in(client, ni).post(
        decide_url(pending), {"decision": "approve", "password": signer_password, "code": code_for(ni)}
    )
    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[pending.action_id]) + "#closure-decisions"
    action = Action.objects.get(pk=pending.action_id)
    assert action.status == ActionStatus.CLOSED
    signoff = SignOff.objects.get(closure_request=pending)

    html = client.get(response.url).content.decode()
    assert "Closure decisions" in html
    assert "Nina Nominated" in html
    assert "Nominated individual" in html
    assert "Approved for closure" in html
    assert signoff.snapshot_hash in html
    assert "(UK time)" in html
    assert "Closure approved and signed" in html  # the message


def test_wrong_password_keeps_it_pending_with_the_error_beside_the_field(client, ni, pending):
    response = signed_in(client, ni).post(decide_url(pending), {"decision": "approve", "password": "not-it"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "That is not your password" in html
    # crispy puts the error right after the password input, inside its field wrapper
    field = html[html.index('id="approve-password"') :]
    assert field.index("That is not your password") < field.index("</form>")
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING
    assert not SignOff.objects.exists()


@pytest.mark.parametrize(
    ("decision", "request_status", "action_status"),
    [
        ("challenge", RequestStatus.CHALLENGED, ActionStatus.ASSURANCE),
        ("reject", RequestStatus.REJECTED, ActionStatus.IN_PROGRESS),
    ],
)
def test_challenge_and_reject_need_a_reason_and_move_the_status(
    client, quality, pending, decision, request_status, action_status
):
    signed_in(client, quality)
    response = client.post(decide_url(pending), {"decision": decision, f"{decision}-reason": "  "})
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING

    reason = "Two more weeks of readings, please."
    response = client.post(decide_url(pending), {"decision": decision, f"{decision}-reason": reason})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == request_status
    assert Action.objects.get(pk=pending.action_id).status == action_status
    html = client.get(response.url).content.decode()
    assert reason in html and "Quinn Quality" in html

    # the request's page now shows the decision and offers no forms
    html = client.get(decide_url(pending)).content.decode()
    assert reason in html and "Your password" not in html


def test_approval_refused_by_the_gate_lists_every_failing_sentence(client, ni, pending, signer_password):
    Action.objects.filter(pk=pending.action_id).update(high_risk=False)
    pending.action.evidence.update(purpose="activity")  # the evidence no longer counts
    response = signed_in(client, ni).post(
        decide_url(pending), {"decision": "approve", "password": signer_password, "code": code_for(ni)}
    )
    assert response.status_code == 200
    assert "0 of 2 categories" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING


def test_plan_request_decision_page_uses_the_plan_gate(client, org, home, manager, ni, staff):
    plan = PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    closure_request = ClosureRequest.objects.create(
        organisation=org, plan=plan, requested_by=manager, bau_monitoring_plan="Audit.", closure_learning="L."
    )
    html = signed_in(client, ni).get(decide_url(closure_request)).content.decode()
    assert "All actions closed" in html
    assert "The plan has no actions yet." in html
