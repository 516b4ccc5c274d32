"""The demo seed and the command that sets up a new provider."""

import re
from io import StringIO
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qip.management.commands.seed_demo import PASSWORD as DEMO_PASSWORD
from qip.models import AuditEvent, Location, Membership, Organisation, Role, ServiceType, User
from qip.tests.factories import UserFactory


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# The tables the demo plans fill: each must have rows, so "nothing changed" means something.
DEMO_PLAN_TABLES = [
    "qip.Plan",
    "actions.Action",
    "actions.Step",
    "actions.ClosureCriteria",
    "evidence.EvidenceItem",
    "evidence.Measure",
    "evidence.MeasureReading",
    "evidence.Concern",
    "governance.ClosureRequest",
    "governance.SignOff",
    "governance.PostClosureCheck",
    "governance.Reopening",
    "qip.AuditEvent",
]


# seed_demo


def test_seed_demo_creates_the_example_group_with_one_login_per_role(db):
    output = run("seed_demo")

    organisation = Organisation.objects.get(name="Example Care Group")
    locations = Location.objects.filter(organisation=organisation)
    assert sorted(locations.values_list("service_type", flat=True)) == sorted(
        [ServiceType.RESIDENTIAL, ServiceType.HOMECARE, ServiceType.SUPPORTED_LIVING]
    )
    memberships = Membership.objects.filter(organisation=organisation)
    assert set(memberships.values_list("role", flat=True)) == set(Role.values)
    assert memberships.filter(is_org_admin=True).count() == 1
    assert f"password for all: {DEMO_PASSWORD}" in output
    for membership in memberships.select_related("user"):
        assert membership.user.email in output
    assert AuditEvent.objects.filter(organisation=organisation, action="membership.created").count() == (
        memberships.count()
    )


def test_seed_demo_run_twice_changes_nothing(db):
    run("seed_demo")
    before = row_counts()
    assert all(before[label] > 0 for label in DEMO_PLAN_TABLES), {label: before[label] for label in DEMO_PLAN_TABLES}
    heads = list(AuditEvent.objects.order_by("chain", "seq").values_list("hash", flat=True))

    output = run("seed_demo")

    assert row_counts() == before
    assert list(AuditEvent.objects.order_by("chain", "seq").values_list("hash", flat=True)) == heads
    assert "(0 new records)" in output


def test_the_demo_password_signs_in_through_the_login_page(db):
    run("seed_demo")
    client = Client()

    response = client.post(reverse("login"), {"username": "manager@example.com", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "<h1>Example Care Group</h1>" in page
    assert "Oak House" in page
    assert "Riverside Homecare" not in page  # a registered manager sees only their own location


# create_organisation


def test_create_organisation_sets_up_the_provider_and_emails_its_admin_a_link(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        output = run(
            "create_organisation",
            "--name",
            "Sunrise Care Ltd",
            "--provider-id",
            "1-234567890",
            "--admin-email",
            "Jo.Bloggs@Sunrise.example",
            "--admin-name",
            "Jo Bloggs",
        )

    organisation = Organisation.objects.get(name="Sunrise Care Ltd")
    assert organisation.cqc_provider_id == "1-234567890"
    membership = Membership.objects.get(organisation=organisation)
    assert membership.user.email == "jo.bloggs@sunrise.example"
    assert membership.is_org_admin
    assert membership.role == Role.NOMINATED_INDIVIDUAL
    assert not membership.user.has_usable_password()

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jo.bloggs@sunrise.example"]
    assert "Sunrise Care Ltd" in mailoutbox[0].subject
    link = re.search(r"https?://\S+", output).group(0)
    assert link in mailoutbox[0].body

    client = Client()
    form_url = client.get(urlparse(link).path).url
    response = client.post(form_url, {"new_password1": "sunrise-kettle-41", "new_password2": "sunrise-kettle-41"})
    assert response.status_code == 302
    # An organisation admin sets up two-factor sign-in before anything else.
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_setup"))
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=membership.user, confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    client.post(reverse("two_factor_setup"), {"code": str(totp.token()).zfill(6)})
    assert "<h1>Sunrise Care Ltd</h1>" in client.get(reverse("home")).content.decode()


def test_create_organisation_for_someone_with_an_account_adds_a_membership_only(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="consultant@example.org", full_name="Chris Consultant")
    users_before = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        output = run("create_organisation", "--name", "Second Care Ltd", "--admin-email", "CONSULTANT@example.org")

    assert User.objects.count() == users_before
    membership = Membership.objects.get(organisation__name="Second Care Ltd")
    assert membership.user == existing
    assert membership.is_org_admin
    assert "already had an account" in output
    assert "http" not in output
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["consultant@example.org"]
    assert "Second Care Ltd" in mailoutbox[0].subject


def test_create_organisation_needs_a_name_and_an_admin(db):
    with pytest.raises(CommandError, match="--admin-email"):
        run("create_organisation", "--name", "Nameless Admin Ltd")
    assert not Organisation.objects.exists()
