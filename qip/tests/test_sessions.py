"""Session limits: the absolute timeout, and sessions ended server-side by sign-out and deactivation.

Rotation at sign-in, the idle timeout and deactivation through the service are in test_signin.py.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qip.models import AuditEvent, Membership, User, UserSession

LOGIN = reverse("login")
HOME = reverse("home")


def sign_in(client, user, password):
    response = client.post(LOGIN, {"username": user.email, "password": password})
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def assert_sent_to_sign_in(response):
    assert response.status_code == 302
    assert response.url.split("?")[0] == LOGIN


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("hours", [12, 2])
def test_a_busy_session_still_ends_at_the_absolute_timeout_with_a_message(
    client, manager, password, clock, settings, hours
):
    if hours != 12:
        settings.SESSION_ABSOLUTE_TIMEOUT_HOURS = hours
    key = sign_in(client, manager, password)
    # Active every 25 minutes, so the 30-minute idle timeout never fires.
    for _ in range(hours * 60 // 25):
        clock.shift(timedelta(minutes=25))
        assert client.get(HOME).status_code == 200

    clock.shift(timedelta(minutes=25))
    response = client.get(HOME)

    assert_sent_to_sign_in(response)
    page = client.get(response.url).content.decode()
    assert f"You were signed out because you signed in more than {hours} hours ago." in page
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="auth.signed_out", actor=manager).count() == 1
    assert client.get(HOME).status_code == 302


def test_the_absolute_period_runs_from_signing_in_and_a_new_sign_in_starts_another(
    client, manager, password, clock, settings
):
    settings.SESSION_ABSOLUTE_TIMEOUT_HOURS = 1
    sign_in(client, manager, password)
    for minutes in (25, 25):
        clock.shift(timedelta(minutes=minutes))
        assert client.get(HOME).status_code == 200
    clock.shift(timedelta(minutes=15))  # 65 minutes after signing in, 40 after the first page
    assert_sent_to_sign_in(client.get(HOME))

    sign_in(client, manager, password)
    for minutes in (25, 25):
        clock.shift(timedelta(minutes=minutes))
        assert client.get(HOME).status_code == 200


def test_time_between_signing_in_and_the_first_page_counts_as_idle(client, manager, password, clock):
    sign_in(client, manager, password)
    clock.shift(timedelta(minutes=31))

    response = client.get(HOME)

    assert_sent_to_sign_in(response)
    assert "signed out after 30 minutes without activity" in client.get(response.url).content.decode()


def test_replaying_the_cookie_after_signing_out_is_anonymous(client, manager, password):
    key = sign_in(client, manager, password)
    assert client.get(HOME).status_code == 200

    client.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = key

    assert_sent_to_sign_in(replay.get(HOME))
    assert_sent_to_sign_in(replay.get(reverse("audit_log")))
    assert not Session.objects.filter(session_key=key).exists()


def test_deactivation_on_the_people_screen_signs_out_every_device_even_after_a_password_change(
    admin, manager, password
):
    computer, phone, admins_client = Client(), Client(), Client()
    computer_key = sign_in(computer, manager, password)
    phone_key = sign_in(phone, manager, password)
    new_password = "plum-kite-harbour-72"
    changed = phone.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": new_password, "new_password2": new_password},
    )
    assert changed.status_code == 302
    rotated_key = phone.cookies["sessionid"].value
    assert rotated_key != phone_key
    assert phone.get(HOME).status_code == 200

    admins_client.force_login(admin)
    membership = Membership.objects.get(user=manager)
    response = admins_client.post(reverse("person_deactivate", args=[membership.pk]), {"reason": "Left"})
    assert response.status_code == 302

    assert not Session.objects.filter(session_key__in=[computer_key, rotated_key]).exists()
    assert not UserSession.objects.filter(user=manager).exists()
    for device in (computer, phone):
        assert_sent_to_sign_in(device.get(HOME))


def test_a_deactivated_account_is_signed_out_and_its_session_deleted_on_the_next_request(client, manager, password):
    key = sign_in(client, manager, password)
    User.objects.filter(pk=manager.pk).update(is_active=False)

    assert_sent_to_sign_in(client.get(HOME))
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=manager).exists()


def test_the_idle_clock_is_written_at_most_every_30_seconds_and_activity_still_counts(
    client, manager, password, clock, settings
):
    """Each page used to rewrite the session (three queries); a page a few seconds after another now does not."""
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 2
    sign_in(client, manager, password)
    assert client.get(HOME).status_code == 200
    with CaptureQueriesContext(connection) as soon_after:
        clock.shift(timedelta(seconds=10))
        assert client.get(HOME).status_code == 200
    assert not [q for q in soon_after.captured_queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]]
    # A click every 20 seconds for five minutes keeps a 2-minute idle session alive...
    for _ in range(15):
        clock.shift(timedelta(seconds=20))
        assert client.get(HOME).status_code == 200
    # ...and 2 minutes 31 seconds of nothing ends it.
    clock.shift(timedelta(minutes=2, seconds=31))
    assert_sent_to_sign_in(client.get(HOME))
