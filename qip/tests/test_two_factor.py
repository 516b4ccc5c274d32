"""Two-factor sign-in: who must use it, setting it up, the code at sign-in, backup codes, an admin's
reset, the organisation's "everyone", and the code again when signing a closure."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from governance.models import SignOff
from governance.tests.conftest import Story
from qip import two_factor
from qip.models import AuditEvent, Membership, UserSession
from qip.tests.factories import PASSWORD
from qip.tests.two_factor_support import authenticator_for, code_for


def password_only(email, password=PASSWORD):
    """A browser that has given the right password and nothing more."""
    client = Client()
    response = client.post(reverse("login"), {"username": email, "password": password})
    assert response.status_code == 302
    return client


def app_code(device):
    """What the phone shows now for a device being set up."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def test_a_quality_lead_must_set_it_up_before_anything_else(quality):
    client = password_only(quality.email)
    response = client.get(reverse("plan_list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor_setup')}?next=%2Fplans%2F"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "QR code for your authenticator app" in page
    device = TOTPDevice.objects.get(user=quality, confirmed=False)
    assert two_factor.secret_words(device).replace(" ", "") in page.replace(" ", "")

    wrong = client.post(reverse("two_factor_setup"), {"code": "000000", "next": "/plans/"})
    assert "That code does not match" in wrong.content.decode()
    assert not two_factor.is_enrolled(quality)

    done = client.post(reverse("two_factor_setup"), {"code": app_code(device), "next": "/plans/"})
    page = done.content.decode()
    codes = StaticToken.objects.filter(device__user=quality).values_list("token", flat=True)
    assert len(codes) == 10 and all(code in page for code in codes)
    assert two_factor.is_enrolled(quality)
    assert client.get(reverse("plan_list")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.two_factor_enrolled", object_id=str(quality.pk)).exists()


def test_each_sign_in_then_asks_for_a_current_code_and_refuses_a_used_one(quality, time_machine):
    authenticator_for(quality)
    client = password_only(quality.email)
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    wrong = client.post(reverse("two_factor_verify"), {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    assert client.get(reverse("home")).status_code == 302
    # Straight after a wrong code even the right one waits: guessing is slowed down.
    waiting = client.post(reverse("two_factor_verify"), {"code": code_for(quality)})
    assert "Too many wrong codes in a row" in waiting.content.decode()

    time_machine.move_to(timezone.now() + timedelta(seconds=3))
    code = code_for(quality)
    assert client.post(reverse("two_factor_verify"), {"code": code, "next": "/plans/"})["Location"] == "/plans/"
    assert client.get(reverse("home")).status_code == 200

    again = password_only(quality.email)
    assert "That code is not right" in again.post(reverse("two_factor_verify"), {"code": code}).content.decode()


def test_a_backup_code_works_once(ni):
    authenticator_for(ni)
    codes = two_factor._new_backup_codes(ni)
    client = password_only(ni.email)
    response = client.post(reverse("two_factor_verify"), {"code": codes[0]}, follow=True)
    assert "You used a backup code; 9 left" in response.content.decode()
    other = password_only(ni.email)
    assert "That code is not right" in other.post(reverse("two_factor_verify"), {"code": codes[0]}).content.decode()


def test_a_password_alone_cannot_swap_in_another_phone(quality):
    authenticator_for(quality)
    client = password_only(quality.email)
    response = client.get(reverse("two_factor_setup"))
    assert response["Location"] == reverse("two_factor_verify")
    assert not TOTPDevice.objects.filter(user=quality, confirmed=False).exists()


def test_staff_go_straight_in_unless_they_or_their_organisation_turn_it_on(client, staff, admin, org):
    plain = password_only(staff.email)
    assert plain.get(reverse("home")).status_code == 200

    client.force_login(admin)
    page = client.get(reverse("organisation_security")).content.decode()
    assert "Require two-factor sign-in for everyone" in page
    client.post(reverse("organisation_security"), {"require_two_factor": "on"})
    org.refresh_from_db()
    assert org.require_two_factor
    assert AuditEvent.objects.filter(action="organisation.two_factor_required", organisation=org).exists()

    assert plain.get(reverse("home"))["Location"].startswith(reverse("two_factor_setup"))


def test_someone_may_turn_it_on_for_themselves(staff):
    client = password_only(staff.email)
    assert "Set up two-factor sign-in" in client.get(reverse("two_factor_settings")).content.decode()
    device = two_factor.pending_authenticator(staff)
    client.post(reverse("two_factor_setup"), {"code": app_code(device)})
    assert two_factor.is_enrolled(staff)
    assert password_only(staff.email).get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))


def test_new_backup_codes_need_the_password_and_replace_the_old(client, ni):
    client.force_login(ni)
    old = two_factor._new_backup_codes(ni)
    refused = client.post(reverse("two_factor_settings"), {"password": "not-it"})
    assert "That is not your password." in refused.content.decode()
    made = client.post(reverse("two_factor_settings"), {"password": PASSWORD}).content.decode()
    new = list(StaticToken.objects.filter(device__user=ni).values_list("token", flat=True))
    assert len(new) == 10 and all(code in made for code in new)
    assert not set(old) & set(new)


def test_an_admin_resets_a_lost_phone_and_the_person_is_signed_out(client, admin, quality, org):
    phone = password_only(quality.email)
    phone.post(reverse("two_factor_verify"), {"code": code_for(quality)})
    assert phone.get(reverse("home")).status_code == 200
    membership = Membership.objects.get(user=quality, organisation=org)

    client.force_login(admin)
    page = client.get(reverse("person_reset_two_factor", args=[membership.pk])).content.decode()
    assert "Reset two-factor sign-in for Quinn Quality" in page
    client.post(reverse("person_reset_two_factor", args=[membership.pk]))
    assert not two_factor.is_enrolled(quality)
    assert not UserSession.objects.filter(user=quality).exists()
    assert phone.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="auth.two_factor_reset", actor=admin).exists()
    assert password_only(quality.email).get(reverse("home"))["Location"].startswith(reverse("two_factor_setup"))


def test_a_page_asked_for_by_htmx_is_redirected_by_htmx(quality):
    client = password_only(quality.email)
    response = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("two_factor_setup")


@pytest.fixture
def pending_request(org, home, manager, staff):
    story = Story(org=org, home=home, manager=manager, staff=staff)
    story.make_ready()
    return story.request()


def test_signing_a_closure_needs_a_current_code_as_well_as_the_password(client, ni, pending_request):
    client.force_login(ni)
    url = reverse("signoff_decide", args=[pending_request.pk])
    missing = client.post(url, {"decision": "approve", "password": PASSWORD})
    assert "That code is not right" in missing.content.decode()
    wrong = client.post(url, {"decision": "approve", "password": PASSWORD, "code": "999999"})
    assert "That code is not right" in wrong.content.decode()
    assert not SignOff.objects.exists()
    client.post(url, {"decision": "approve", "password": PASSWORD, "code": code_for(ni)})
    assert SignOff.objects.get().signer == ni
