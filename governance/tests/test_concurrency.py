"""Simultaneous requests: ten approvals of one closure request give one sign-off; a form sent twice
(a double click) adds one step.

The simultaneous cases need PostgreSQL: on SQLite writes are serialised, so they could not race.
"""

import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionStatus, Step
from governance import services
from governance.models import ClosureRequest, RequestStatus, SignOff
from governance.tests.conftest import Story
from qip.models import AuditEvent, Role
from qip.tests.factories import PASSWORD, MembershipFactory, UserFactory
from qip.tests.two_factor_support import code_for

POSTGRES_ONLY = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent writers need row locks across connections; SQLite serialises writes",
    ),
    pytest.mark.django_db(transaction=True),
]


def postgres_only(test):
    for mark in POSTGRES_ONLY:
        test = mark(test)
    return test


def all_at_once(work, arguments):
    """Run work(argument) in one thread each, released together; returns what each returned or raised."""
    start = threading.Barrier(len(arguments))
    outcomes = [None] * len(arguments)

    def run(index, argument):
        try:
            start.wait()
            outcomes[index] = work(argument)
        except Exception as error:  # every outcome is reported, not only the expected ones
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, argument)) for index, argument in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@postgres_only
def test_ten_different_signers_approving_at_once_give_one_sign_off(org, home, manager, staff):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    request = story.request()
    signers = []
    for n in range(10):
        signer = UserFactory(full_name=f"Signer {n}")
        role = Role.QUALITY_LEAD if n % 2 else Role.NOMINATED_INDIVIDUAL
        MembershipFactory(user=signer, organisation=org, role=role)
        signers.append(signer)

    outcomes = all_at_once(
        lambda signer: services.approve(
            actor=signer, closure_request=request, password=PASSWORD, code=code_for(signer)
        ),
        signers,
    )

    approvals = [outcome for outcome in outcomes if isinstance(outcome, SignOff)]
    refusals = [outcome for outcome in outcomes if not isinstance(outcome, SignOff)]
    assert len(approvals) == 1
    assert [type(refusal) for refusal in refusals] == [ValidationError] * 9, refusals
    assert {refusal.messages[0] for refusal in refusals} == {
        "This closure request has already been decided (approved)."
    }
    assert SignOff.objects.count() == 1
    assert SignOff.objects.get().signer == approvals[0].signer
    assert ClosureRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    assert story.refresh().status == ActionStatus.CLOSED
    assert story.action.closing_signoff_id == approvals[0].pk
    assert AuditEvent.objects.filter(action="closure.approved").count() == 1


# A form sent twice


def add_step_form(client, action):
    page = client.get(reverse("step_add", args=[action.pk])).content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', page).group(1)
    return {
        "what": "Deputy manager re-audits 10 MAR charts a week and records the result in the MAR audit file",
        "who_role": "deputy manager",
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "submission_token": token,
    }


def send(client, action, data):
    return client.post(reverse("step_add", args=[action.pk]), data)


def test_sending_the_add_step_form_twice_adds_one_step_and_says_so(client, story):
    client.force_login(story.manager)
    data = add_step_form(client, story.action)

    first, second = send(client, story.action, data), send(client, story.action, data)

    assert story.action.steps.count() == 3
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("action_detail", args=[story.action.pk]) + "#steps"
    page = client.get(second.url).content.decode()
    assert "The form was sent twice; the step was added once." in page
    assert AuditEvent.objects.filter(action="step.added").count() == 1


def test_the_same_step_can_still_be_added_again_from_a_fresh_form(client, story):
    client.force_login(story.manager)
    send(client, story.action, add_step_form(client, story.action))
    send(client, story.action, add_step_form(client, story.action))

    assert story.action.steps.filter(who_role="deputy manager").count() == 2


def test_a_step_refused_by_the_wording_check_does_not_use_up_the_form(client, story):
    client.force_login(story.manager)
    data = add_step_form(client, story.action)

    refused = send(client, story.action, {**data, "due_date": ""})
    assert refused.status_code == 200
    assert "There is no due date" in refused.content.decode()
    corrected = send(client, story.action, data)

    assert corrected.status_code == 302
    assert story.action.steps.count() == 3


@postgres_only
def test_a_double_click_on_add_step_adds_one_step(org, home, manager, staff):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    browser = Client()
    browser.force_login(manager)
    data = add_step_form(browser, story.action)

    def click(_):
        tab = Client()
        tab.cookies = browser.cookies
        return send(tab, story.action, data)

    responses = all_at_once(click, [1, 2])

    assert [getattr(response, "status_code", response) for response in responses] == [302, 302]
    assert Step.objects.filter(action=story.action).count() == 3
    assert AuditEvent.objects.filter(action="step.added").count() == 1
