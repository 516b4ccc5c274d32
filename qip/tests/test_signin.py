"""Signing in and out, lockout, passwords, idle timeout, ending sessions, switching organisation."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from qip import services
from qip.audit import SYSTEM_CHAIN, chain_key
from qip.models import AuditEvent, Membership, Role, UserSession
from qip.tests.factories import MembershipFactory

WRONG = "not-the-password-at-all"
NEW_PASSWORD = "plum-kite-harbour-72"


def sign_in(client, email, password, address="192.0.2.10"):
    """The password step; then, for someone who uses two-factor sign-in, the code step as well."""
    from qip import two_factor
    from qip.models import User
    from qip.tests.two_factor_support import authenticator_for, code_for

    user = User.objects.filter(email__iexact=email).first()
    with_code = user is not None and user.check_password(password) and two_factor.must_use(user)
    if with_code:
        authenticator_for(user)
    response = client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)
    if with_code and response.status_code == 302:
        client.post(reverse("two_factor_verify"), {"code": code_for(user)}, REMOTE_ADDR=address)
    return response


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def heading(response):
    return re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S).group(1).strip()


# Signing in and out


def test_signing_in_lands_on_home_and_gives_a_new_session_key(client, manager, password):
    session = client.session
    session["before_sign_in"] = "yes"
    session.save()
    key_before = client.cookies["sessionid"].value

    response = sign_in(client, manager.email, password)

    assert response.status_code == 302
    assert response.url == reverse("home")
    key_after = client.cookies["sessionid"].value
    assert key_after != key_before
    assert not Session.objects.filter(session_key=key_before).exists()
    assert signed_in_user_id(client) == str(manager.pk)
    page = client.get(response.url)
    assert heading(page) == "Example Care Group"


def test_signing_in_is_audited_with_the_address(client, manager, org, password):
    sign_in(client, manager.email, password, address="203.0.113.9")

    event = AuditEvent.objects.get(action="auth.signed_in")
    assert event.chain == chain_key(org)
    assert event.actor == manager
    assert event.data["ip"] == "203.0.113.9"
    assert UserSession.objects.get(user=manager).ip_address == "203.0.113.9"


def test_signing_out_is_audited_and_ends_the_session(client, manager, org, password):
    sign_in(client, manager.email, password)
    key = client.session.session_key

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    event = AuditEvent.objects.get(action="auth.signed_out")
    assert (event.chain, event.actor) == (chain_key(org), manager)
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=manager).exists()
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_and_audited_in_the_users_organisation(client, manager, org):
    response = sign_in(client, manager.email, WRONG, address="198.51.100.4")

    assert response.status_code == 200
    assert "That e-mail address and password do not match an active account" in response.content.decode()
    assert signed_in_user_id(client) is None
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.chain == chain_key(org)
    assert event.data["username"] == manager.email
    assert event.data["ip"] == "198.51.100.4"
    assert WRONG not in str(event.data)


def test_an_unknown_email_is_audited_on_the_system_chain(client, org):
    sign_in(client, "nobody@example.net", WRONG)

    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.chain == SYSTEM_CHAIN
    assert event.organisation is None
    assert event.data["username"] == "nobody@example.net"


def test_the_email_address_is_not_case_sensitive(client, manager, password):
    response = sign_in(client, f"  {manager.email.upper()} ", password)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(manager.pk)


def test_a_deactivated_user_cannot_sign_in(client, manager, password):
    manager.is_active = False
    manager.save()

    response = sign_in(client, manager.email, password)

    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert signed_in_user_id(client) is None


# Lockout


def test_five_wrong_passwords_lock_the_sixth_attempt_even_with_the_right_password(client, manager, password):
    for attempt in range(5):
        response = sign_in(client, manager.email, WRONG, address="198.51.100.7")
        if attempt < 4:
            assert response.status_code == 200

    response = sign_in(client, manager.email, password, address="198.51.100.7")

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_the_lockout_does_not_reach_the_same_email_from_another_address(client, manager, password):
    for _ in range(5):
        sign_in(client, manager.email, WRONG, address="198.51.100.7")

    other = Client()
    response = sign_in(other, manager.email, password, address="198.51.100.8")

    assert response.status_code == 302
    assert signed_in_user_id(other) == str(manager.pk)


def test_changing_the_case_of_the_email_does_not_get_round_the_lockout(client, manager, password):
    variants = [
        manager.email,
        manager.email.upper(),
        manager.email.title(),
        f" {manager.email}",
        manager.email.swapcase(),
    ]
    for variant in variants:
        sign_in(client, variant, WRONG, address="198.51.100.7")

    response = sign_in(client, manager.email.capitalize(), password, address="198.51.100.7")

    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_fewer_than_five_wrong_passwords_do_not_lock(client, manager, password):
    for _ in range(4):
        sign_in(client, manager.email, WRONG, address="198.51.100.7")

    response = sign_in(client, manager.email, password, address="198.51.100.7")

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(manager.pk)


# Passwords


def test_changing_to_an_eleven_character_password_is_refused_beside_the_field(client, manager, password):
    client.force_login(manager)

    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "plum-kite-7", "new_password2": "plum-kite-7"},
    )

    assert response.status_code == 200
    message = "This password is too short. It must contain at least 12 characters."
    assert message in response.context["form"].errors["new_password2"]
    assert re.search(
        r'id="error_\d+_id_new_password2"[^>]*>\s*<strong>' + re.escape(message), response.content.decode()
    )
    manager.refresh_from_db()
    assert manager.check_password(password)


def test_changing_to_a_twelve_character_password_is_accepted(client, manager, password):
    client.force_login(manager)

    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "plum-kite-72", "new_password2": "plum-kite-72"},
    )

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("plum-kite-72")
    assert client.get(reverse("home")).status_code == 200  # still signed in


def test_setting_a_first_password_from_an_invitation_applies_the_same_rules(client, org):
    membership, link = services.invite_person(
        actor=None,
        organisation=org,
        email="new.carer@example.org",
        full_name="New Carer",
        role=Role.STAFF,
        locations=[],
    )
    form_url = client.get(urlparse(link).path).url  # the link redirects to a form that hides the token

    refused = client.post(form_url, {"new_password1": "plum-kite-7", "new_password2": "plum-kite-7"})
    assert refused.status_code == 200
    assert "at least 12 characters" in refused.content.decode()
    assert not membership.user.__class__.objects.get(pk=membership.user_id).has_usable_password()

    accepted = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert signed_in_user_id(client) == str(membership.user_id)


def test_password_reset_sends_one_email_with_a_working_link(client, manager, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": manager.email.upper()})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [manager.email]
    link = re.search(r"https?://\S+", mailoutbox[0].body).group(0)
    form_url = client.get(urlparse(link).path).url
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")

    assert sign_in(Client(), manager.email, NEW_PASSWORD).status_code == 302
    again = client.get(urlparse(link).path, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, org, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.net"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


# Idle timeout


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def assert_signed_out_for_idleness(client, minutes):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/"
    page = client.get(response.url)
    assert f"signed out after {minutes} minutes" in page.content.decode()
    assert signed_in_user_id(client) is None


def test_an_idle_session_is_signed_out_with_a_message(client, manager, password, clock):
    sign_in(client, manager.email, password)
    assert client.get(reverse("home")).status_code == 200

    clock.shift(timedelta(minutes=31))

    assert_signed_out_for_idleness(client, 30)
    assert AuditEvent.objects.filter(action="auth.signed_out", actor=manager).count() == 1


def test_activity_within_the_window_keeps_the_session_alive(client, manager, password, clock):
    sign_in(client, manager.email, password)
    for _ in range(3):
        clock.shift(timedelta(minutes=25))
        assert client.get(reverse("home")).status_code == 200

    clock.shift(timedelta(minutes=31))
    assert_signed_out_for_idleness(client, 30)


def test_the_idle_timeout_is_configurable(client, manager, password, clock, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    sign_in(client, manager.email, password)

    clock.shift(timedelta(minutes=4))
    assert client.get(reverse("home")).status_code == 200
    clock.shift(timedelta(minutes=6))

    assert_signed_out_for_idleness(client, 5)


# Ending sessions


def test_deactivating_a_membership_ends_the_users_sessions(client, admin, manager, password):
    phone = Client()
    sign_in(client, manager.email, password)
    sign_in(phone, manager.email, password, address="192.0.2.99")
    keys = [client.session.session_key, phone.session.session_key]
    assert Session.objects.filter(session_key__in=keys).count() == 2

    services.deactivate_membership(actor=admin, membership=Membership.objects.get(user=manager))

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=manager).exists()
    for browser in (client, phone):
        response = browser.get(reverse("home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# Switching organisation


@pytest.fixture
def two_organisations(manager, foreign_org, foreign_location):
    """The manager also works for a second provider, as its quality lead."""
    MembershipFactory(user=manager, organisation=foreign_org, role=Role.QUALITY_LEAD)
    return manager


def test_switching_organisation_shows_the_other_organisations_name_and_locations(
    client, two_organisations, org, foreign_org, password
):
    sign_in(client, two_organisations.email, password)
    page = client.get(reverse("home")).content.decode()
    assert "<h1>Example Care Group</h1>" in page
    assert "Oak House" in page
    assert "Foreign House" not in page

    response = client.post(reverse("switch_organisation"), {"organisation": foreign_org.pk})

    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert "<h1>Foreign Care Ltd</h1>" in page
    assert "Foreign House" in page
    assert "Oak House" not in page
    assert AuditEvent.objects.filter(action="organisation.switched_to", organisation=foreign_org).count() == 1


def test_switching_to_an_organisation_you_do_not_belong_to_is_not_found(client, manager, org, foreign_org, password):
    sign_in(client, manager.email, password)
    client.get(reverse("home"))
    events_before = AuditEvent.objects.count()

    response = client.post(reverse("switch_organisation"), {"organisation": foreign_org.pk})

    assert response.status_code == 404
    assert client.session["organisation_id"] == org.pk
    assert heading(client.get(reverse("home"))) == "Example Care Group"
    assert AuditEvent.objects.count() == events_before
