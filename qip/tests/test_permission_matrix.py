import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from qip.models import Membership
from qip.tests import domain_factories as make
from qip.tests.permission_matrix import PERSONAS, all_kwargs, all_post_data, all_rows

LOGIN_URL = reverse("login")


def url_names(patterns=None, prefix=""):
    """Every named URL pattern in the project (a nameless one is reported as such)."""
    names = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names += url_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern):
            names.append(f"{prefix}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>")
    return names


MATRIX = all_rows()


def test_every_url_pattern_has_a_row_in_the_matrix():
    missing = sorted(set(url_names()) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(url_names()))
    assert not missing, f"URL patterns without a permission-matrix row: {missing}"
    assert not stale, f"matrix rows for URL patterns that no longer exist: {stale}"


def test_every_row_covers_every_persona_for_get_and_post():
    for name, methods in MATRIX.items():
        assert set(methods) == {"GET", "POST"}, name
        for method, outcomes in methods.items():
            assert set(outcomes) == set(PERSONAS), f"{name} {method}"


def outcome(response):
    if response.status_code in (301, 302, 303):
        return "login" if response.url.split("?")[0] == LOGIN_URL else "ok"
    if response.status_code in (200, 201, 204):
        return "ok"
    return response.status_code


class Rollback(Exception):
    pass


@pytest.fixture
def world(org, home, branch, manager, staff, ni):
    """Objects of `org` at `home` that object URLs point at; owned by `manager`, worked on by `staff`."""
    plan = make.PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, steps=0, measure=True)
    step = make.StepFactory(action=action, who=staff)
    reading = make.ReadingFactory(measure=action.measure, location=home)
    evidence = make.EvidenceFactory(action=action, files=[("audit.pdf", make.PDF_BYTES)])
    concern = make.ConcernFactory(action=action)
    return {
        "org": org,
        "home": home,
        "branch": branch,
        "plan": plan,
        "action": action,
        "step": step,
        "measure": action.measure,
        "reading": reading,
        "evidence": evidence,
        "evidence_file": evidence.files.first(),
        "concern": concern,
    }


@pytest.fixture
def cast(request, org, home, branch, foreign_org, world):
    users = {persona: request.getfixturevalue(persona) for persona in PERSONAS if persona != "anonymous"}
    managers_membership = Membership.objects.get(user=users["manager"], organisation=org)
    return {
        "users": users,
        "kwargs": all_kwargs(world)
        | {
            "location_edit": {"pk": home.pk},
            "location_archive": {"pk": home.pk},
            "location_restore": {"pk": home.pk},
            "person_edit": {"pk": managers_membership.pk},
            "person_deactivate": {"pk": managers_membership.pk},
            "person_reactivate": {"pk": managers_membership.pk},
            "person_resend_invitation": {"pk": managers_membership.pk},
            "person_reset_two_factor": {"pk": managers_membership.pk},
            "password_reset_confirm": {"uidb64": "MQ", "token": "bad-token"},
            "invite_accept": {"uidb64": "MQ", "token": "bad-token"},
        },
        "post_data": all_post_data(world) | {"switch_organisation": {"organisation": org.pk}},
    }


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, cast):
    url = reverse(name, kwargs=cast["kwargs"].get(name, {}))
    mismatches = []
    for method, expected_by_persona in MATRIX[name].items():
        for persona, expected in expected_by_persona.items():
            client = Client()
            if persona != "anonymous":
                client.force_login(cast["users"][persona])
            try:
                # Each request runs in a savepoint that is rolled back, so one persona's POST
                # (an archive, a deactivation) never changes what the next persona meets.
                with transaction.atomic():
                    send = client.get if method == "GET" else client.post
                    response = send(url, cast["post_data"].get(name, {}) if method == "POST" else None)
                    raise Rollback
            except Rollback:
                pass
            got = outcome(response)
            if got != expected:
                mismatches.append(f"{method} {url} as {persona}: expected {expected}, got {got}")
    assert not mismatches, "\n".join(mismatches)
