import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qip.models import AuditEvent, Location
from qip.tests.factories import LocationFactory, MembershipFactory

VALID = {"name": "Elm Lodge", "service_type": "nursing", "cqc_location_id": "1-123456789", "postcode": "ls6 2ab"}


def events(action, obj):
    return list(AuditEvent.objects.filter(action=action).for_object(obj))


def test_admin_sees_current_locations_with_people_counts_and_archived_apart(
    client, admin, home, branch, manager, staff
):
    archived = LocationFactory(organisation=home.organisation, name="Old Mill")
    archived.archived_at = archived.created_at
    archived.save()
    client.force_login(admin)

    response = client.get(reverse("location_list"))

    assert response.status_code == 200
    current = [location.name for location in response.context["current"]]
    assert current == ["Oak House", "Riverside Homecare"]
    assert [location.name for location in response.context["archived"]] == ["Old Mill"]
    counts = {location.name: location.active_people for location in response.context["current"]}
    assert counts == {"Oak House": 2, "Riverside Homecare": 0}  # manager and staff are listed at Oak House
    body = response.content.decode()
    assert "Archived locations" in body
    assert body.index("Riverside Homecare") < body.index("Old Mill")


def test_admin_adds_a_location_and_it_is_audited(client, admin, org):
    client.force_login(admin)

    response = client.post(reverse("location_add"), VALID, follow=True)

    location = Location.objects.get(organisation=org, name="Elm Lodge")
    assert location.postcode == "LS6 2AB"
    assert location.cqc_location_id == "1-123456789"
    assert "Elm Lodge added." in response.content.decode()
    [event] = events("location.added", location)
    assert event.actor == admin
    assert event.organisation == org


def test_admin_edits_a_location_and_the_change_is_audited(client, admin, home):
    client.force_login(admin)
    edit = reverse("location_edit", args=[home.pk])
    assert client.get(edit).context["form"].initial["name"] == "Oak House"

    response = client.post(edit, {**VALID, "name": "Oak House Nursing"}, follow=True)

    home.refresh_from_db()
    assert home.name == "Oak House Nursing"
    assert home.service_type == "nursing"
    assert "Oak House Nursing saved." in response.content.decode()
    [event] = events("location.changed", home)
    assert event.data["name"] == ["Oak House", "Oak House Nursing"]


def test_saving_a_location_unchanged_writes_no_audit_event(client, admin, home):
    client.force_login(admin)
    data = {"name": home.name, "service_type": home.service_type, "cqc_location_id": "", "postcode": home.postcode}

    response = client.post(reverse("location_edit", args=[home.pk]), data)

    assert response.status_code == 302
    assert events("location.changed", home) == []


def test_a_location_may_keep_its_own_name_in_another_case(client, admin, home):
    client.force_login(admin)
    data = {"name": "OAK HOUSE", "service_type": home.service_type, "postcode": home.postcode}

    response = client.post(reverse("location_edit", args=[home.pk]), data)

    assert response.status_code == 302
    home.refresh_from_db()
    assert home.name == "OAK HOUSE"


def test_duplicate_name_is_shown_beside_the_field_and_nothing_is_created(client, admin, home):
    client.force_login(admin)

    response = client.post(reverse("location_add"), {**VALID, "name": "oak house"})

    assert response.status_code == 200
    assert "There is already a location called Oak House" in response.context["form"].errors["name"][0]
    assert "There is already a location called Oak House" in response.content.decode()
    assert Location.objects.filter(organisation=home.organisation).count() == 1
    assert not AuditEvent.objects.filter(action="location.added").exists()


def test_duplicate_name_of_an_archived_location_says_so(client, admin, home):
    home.archived_at = home.created_at
    home.save()
    client.force_login(admin)

    response = client.post(reverse("location_add"), {**VALID, "name": "Oak House"})

    assert response.context["form"].errors["name"] == [
        "There is already a location called Oak House (archived). Choose another name."
    ]


def test_duplicate_cqc_id_is_shown_beside_the_field(client, admin, home, branch):
    home.cqc_location_id = "1-111111111"
    home.save()
    client.force_login(admin)

    response = client.post(reverse("location_edit", args=[branch.pk]), {**VALID, "cqc_location_id": "1-111111111"})

    assert response.status_code == 200
    assert response.context["form"].errors["cqc_location_id"] == [
        "Oak House already has the CQC location ID 1-111111111."
    ]
    branch.refresh_from_db()
    assert branch.name == "Riverside Homecare"
    assert branch.cqc_location_id == ""


def test_another_organisation_may_use_the_same_name_and_cqc_id(client, admin, org, foreign_location):
    foreign_location.cqc_location_id = "1-123456789"
    foreign_location.save()
    client.force_login(admin)

    response = client.post(reverse("location_add"), {**VALID, "name": "Foreign House"})

    assert response.status_code == 302
    assert Location.objects.filter(organisation=org, name="Foreign House").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "not a postcode", "Enter a UK postcode, for example LS1 4AP."),
        ("postcode", "", "Enter the postcode, for example LS1 4AP."),
        ("cqc_location_id", "123456789", "Enter a CQC ID like 1-123456789 (as on the CQC website)."),
        ("cqc_location_id", "1-12", "Enter a CQC ID like 1-123456789 (as on the CQC website)."),
        ("name", "", "Enter the location's name."),
        ("service_type", "", "Choose a service type."),
        ("service_type", "castle", "Select a valid choice. castle is not one of the available choices."),
    ],
)
def test_bad_input_gets_a_message_beside_the_field(client, admin, org, field, value, message):
    client.force_login(admin)

    response = client.post(reverse("location_add"), {**VALID, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Location.objects.filter(organisation=org).exists()


def test_postcode_is_normalised(client, admin, org):
    client.force_login(admin)

    client.post(reverse("location_add"), {**VALID, "postcode": "  ls1    4ap ", "cqc_location_id": ""})

    location = Location.objects.get(organisation=org)
    assert location.postcode == "LS1 4AP"
    assert location.cqc_location_id == ""


def test_archive_asks_first_then_archives_and_audits(client, admin, home):
    client.force_login(admin)
    url = reverse("location_archive", args=[home.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Archive Oak House?" in confirm.content.decode()
    home.refresh_from_db()
    assert not home.is_archived

    response = client.post(url, follow=True)

    home.refresh_from_db()
    assert home.is_archived
    assert "Oak House archived." in response.content.decode()
    assert [location.name for location in response.context["archived"]] == ["Oak House"]
    assert len(events("location.archived", home)) == 1


def test_archived_locations_are_left_out_of_the_invitation_picker(client, admin, home, branch):
    home.archived_at = home.created_at
    home.save()
    client.force_login(admin)

    response = client.get(reverse("person_invite"))

    assert list(response.context["form"].fields["locations"].queryset) == [branch]


def test_restore_brings_a_location_back_and_audits(client, admin, home):
    home.archived_at = home.created_at
    home.save()
    client.force_login(admin)

    response = client.post(reverse("location_restore", args=[home.pk]), follow=True)

    home.refresh_from_db()
    assert not home.is_archived
    assert "Oak House restored." in response.content.decode()
    assert len(events("location.restored", home)) == 1


def test_opening_the_restore_address_changes_nothing(client, admin, home):
    home.archived_at = home.created_at
    home.save()
    client.force_login(admin)

    response = client.get(reverse("location_restore", args=[home.pk]))

    assert response.status_code == 302
    assert response.url == reverse("location_list")
    home.refresh_from_db()
    assert home.is_archived


def _location_urls(location):
    return [
        ("get", reverse("location_list")),
        ("get", reverse("location_add")),
        ("post", reverse("location_add")),
        ("get", reverse("location_edit", args=[location.pk])),
        ("post", reverse("location_edit", args=[location.pk])),
        ("get", reverse("location_archive", args=[location.pk])),
        ("post", reverse("location_archive", args=[location.pk])),
        ("post", reverse("location_restore", args=[location.pk])),
    ]


@pytest.mark.parametrize("who", ["manager", "ni", "quality", "staff", "viewer"])
def test_people_who_are_not_organisation_admins_may_not_manage_locations(client, request, home, who):
    client.force_login(request.getfixturevalue(who))

    for method, url in _location_urls(home):
        response = getattr(client, method)(url, VALID if method == "post" else None)
        assert response.status_code == 403, (method, url)
    home.refresh_from_db()
    assert home.name == "Oak House"
    assert not home.is_archived


def test_signed_out_visitors_are_sent_to_sign_in(client, home):
    for method, url in _location_urls(home):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_another_organisations_admin_gets_404_for_our_locations(client, outsider, home):
    client.force_login(outsider)

    for method, url in _location_urls(home)[3:]:
        response = getattr(client, method)(url, VALID if method == "post" else None)
        assert response.status_code == 404, (method, url)
    home.refresh_from_db()
    assert home.name == "Oak House"
    assert not home.is_archived


def test_the_list_shows_only_our_organisations_locations(client, outsider, home, foreign_location):
    client.force_login(outsider)

    response = client.get(reverse("location_list"))

    body = response.content.decode()
    assert "Foreign House" in body
    assert "Oak House" not in body


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), response


def test_location_list_query_count_does_not_grow_with_rows(client, admin, org):
    client.force_login(admin)
    for _ in range(3):
        MembershipFactory(organisation=org, locations=[LocationFactory(organisation=org)])
    few, _ = count_queries(client, reverse("location_list"))
    for index in range(7):
        location = LocationFactory(organisation=org, archived_at=None if index % 2 else org.created_at)
        MembershipFactory(organisation=org, locations=[location])

    many, response = count_queries(client, reverse("location_list"))

    assert len(response.context["current"]) + len(response.context["archived"]) == 10
    assert many == few
