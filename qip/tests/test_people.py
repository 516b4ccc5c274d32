import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qip import services
from qip.models import AuditEvent, Membership, Role, User
from qip.tests.factories import PASSWORD, LocationFactory, MembershipFactory, UserFactory

NEW_PASSWORD = "plum-kettle-orbit-meadow"


def membership_of(user, org):
    return Membership.objects.get(user=user, organisation=org)


def invite(client, django_capture_on_commit_callbacks, **values):
    data = {"email": "jo.new@example.org", "full_name": "Jo New", "role": Role.STAFF, **values}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("person_invite"), data, follow=True)


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0)


def events(action, obj):
    return list(AuditEvent.objects.filter(action=action).for_object(obj))


# The list


def test_admin_sees_everyone_with_role_locations_admin_flag_and_status(client, admin, org, manager, staff, home):
    invited = MembershipFactory(organisation=org, user=UserFactory(full_name="Ivy Invited"), role=Role.VIEWER)
    invited.user.set_unusable_password()
    invited.user.save()
    gone = MembershipFactory(organisation=org, user=UserFactory(full_name="Gus Gone"), is_active=False)
    client.force_login(admin)

    response = client.get(reverse("people_list"))

    rows = {m.user.full_name: m for m in response.context["people"]}
    assert set(rows) == {"Alex Admin", "Mary Manager", "Sam Staff", "Ivy Invited", "Gus Gone"}
    assert rows["Ivy Invited"].status == "invited"
    assert rows["Gus Gone"].status == "deactivated"
    assert rows["Mary Manager"].status == "active"
    body = response.content.decode()
    assert "All locations" in body  # the admin's own row
    assert "Oak House" in body
    assert gone.user.email in body


@pytest.mark.parametrize(("status", "names"), [("invited", {"Ivy Invited"}), ("active", {"Alex Admin"})])
def test_the_list_can_show_one_status(client, admin, org, status, names):
    invited = MembershipFactory(organisation=org, user=UserFactory(full_name="Ivy Invited"))
    invited.user.set_unusable_password()
    invited.user.save()
    client.force_login(admin)

    response = client.get(reverse("people_list"), {"status": status})

    assert {m.user.full_name for m in response.context["people"]} == names


def test_the_list_never_shows_another_organisations_people(client, admin, outsider, manager):
    client.force_login(admin)
    body = client.get(reverse("people_list")).content.decode()
    assert "Olive Outsider" not in body
    assert "Mary Manager" in body

    client.force_login(outsider)
    body = client.get(reverse("people_list")).content.decode()
    assert "Mary Manager" not in body
    assert "Alex Admin" not in body
    assert "Olive Outsider" in body


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), response


def test_people_list_query_count_does_not_grow_with_rows(client, admin, org):
    client.force_login(admin)
    places = [LocationFactory(organisation=org) for _ in range(3)]
    for _ in range(2):
        MembershipFactory(organisation=org, locations=places[:2])
    few, _ = count_queries(client, reverse("people_list"))
    for index in range(7):
        MembershipFactory(organisation=org, locations=places[: index % 3], is_active=bool(index % 2))

    many, response = count_queries(client, reverse("people_list"))

    assert len(response.context["people"]) == 10
    assert many == few


# Inviting


def test_invite_creates_an_account_without_password_and_emails_a_working_link(
    client, admin, org, home, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    response = invite(client, django_capture_on_commit_callbacks, locations=[home.pk])

    assert "Invitation sent to Jo New at jo.new@example.org" in response.content.decode()
    user = User.objects.get(email="jo.new@example.org")
    assert not user.has_usable_password()
    membership = membership_of(user, org)
    assert membership.role == Role.STAFF
    assert membership.location_ids == [home.pk]
    [event] = events("membership.created", membership)
    assert event.actor == admin
    assert event.data["new_account"] is True
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jo.new@example.org"]

    # Jo follows the link, chooses a password and is signed in.
    jo = Client()
    token_page = jo.get(urlparse(link_in(mail.outbox[0])).path)
    assert token_page.status_code == 302  # Django swaps the token for a set-password URL
    form_page = jo.get(token_page.url)
    assert form_page.context["validlink"]
    done = jo.post(token_page.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    home_page = jo.get(reverse("home"))
    assert home_page.status_code == 200
    assert home_page.context["user"] == user
    assert "Example Care Group" in home_page.content.decode()


def test_inviting_an_existing_member_shows_the_error_beside_the_email(
    client, admin, org, staff, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    response = invite(client, django_capture_on_commit_callbacks, email=staff.email.upper())

    assert response.context["form"].errors["email"] == ["This person is already a member of this organisation."]
    assert Membership.objects.filter(user=staff).count() == 1
    assert mail.outbox == []


def test_an_existing_member_is_named_along_with_other_mistakes(
    client, admin, org, staff, home, django_capture_on_commit_callbacks
):
    Membership.objects.filter(user=staff).update(is_active=False)
    client.force_login(admin)

    response = invite(
        client,
        django_capture_on_commit_callbacks,
        email=staff.email,
        role=Role.NOMINATED_INDIVIDUAL,
        locations=[home.pk],
    )

    errors = response.context["form"].errors
    assert "deactivated. Reactivate them from the People page instead." in errors["email"][0]
    assert "cannot be limited to locations" in errors["locations"][0]


def test_inviting_someone_from_another_organisation_gives_access_without_a_new_account(
    client, admin, org, outsider, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    users_before = User.objects.count()

    response = invite(client, django_capture_on_commit_callbacks, email=outsider.email, full_name="Someone Else")

    assert User.objects.count() == users_before
    membership = membership_of(outsider, org)
    assert membership.role == Role.STAFF
    assert "Olive Outsider already has an account" in response.content.decode()
    outsider.refresh_from_db()
    assert outsider.full_name == "Olive Outsider"
    assert outsider.check_password(PASSWORD)
    [message] = mail.outbox
    assert "You now have access to Example Care Group" in message.subject
    assert events("membership.created", membership)[0].data["new_account"] is False


def test_inviting_someone_who_never_set_a_password_elsewhere_sends_them_a_set_password_link(
    client, admin, org, foreign_org, django_capture_on_commit_callbacks
):
    pending = UserFactory(full_name="Pat Pending")
    pending.set_unusable_password()
    pending.save()
    MembershipFactory(user=pending, organisation=foreign_org)
    client.force_login(admin)

    response = invite(client, django_capture_on_commit_callbacks, email=pending.email)

    assert "with a link to set a password" in response.content.decode()
    [message] = mail.outbox
    assert "/accounts/invitation/" in link_in(message)


def test_a_nominated_individual_cannot_be_limited_to_locations(
    client, admin, org, home, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    response = invite(client, django_capture_on_commit_callbacks, role=Role.NOMINATED_INDIVIDUAL, locations=[home.pk])

    assert "cannot be limited to locations" in response.context["form"].errors["locations"][0]
    assert not User.objects.filter(email="jo.new@example.org").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("full_name", ""), ("role", "emperor"), ("locations", "999999")],
)
def test_bad_invitation_input_is_shown_beside_the_field(
    client, admin, org, field, value, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    response = invite(client, django_capture_on_commit_callbacks, **{field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Membership.objects.filter(organisation=org).exclude(user=admin).exists()


def test_another_organisations_locations_cannot_be_chosen(
    client, admin, org, foreign_location, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    response = invite(client, django_capture_on_commit_callbacks, locations=[foreign_location.pk])

    assert "locations" in response.context["form"].errors
    assert not User.objects.filter(email="jo.new@example.org").exists()


# Changing someone's role and access


def test_role_change_is_saved_audited_with_old_and_new_and_shown_in_plain_english(client, admin, org, staff, branch):
    membership = membership_of(staff, org)
    client.force_login(admin)
    url = reverse("person_edit", args=[membership.pk])

    response = client.post(url, {"role": Role.REGISTERED_MANAGER, "locations": [branch.pk]}, follow=True)

    assert "Changes to Sam Staff saved." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.REGISTERED_MANAGER
    assert membership.location_ids == [branch.pk]
    [event] = events("membership.role_changed", membership)
    assert event.data["role"] == ["staff", "registered_manager"]
    assert event.data["locations"] == [["Oak House"], ["Riverside Homecare"]]
    page = client.get(url).content.decode()
    assert (
        "Role changed from Staff to Registered manager; locations changed from Oak House to Riverside Homecare" in page
    )


def test_edit_form_shows_current_access_including_an_archived_location(client, admin, org, staff, home):
    home.archived_at = home.created_at
    home.save()
    client.force_login(admin)

    response = client.get(reverse("person_edit", args=[membership_of(staff, org).pk]))

    form = response.context["form"]
    assert form.initial["role"] == Role.STAFF
    assert form.initial["locations"] == [home.pk]
    assert home in form.fields["locations"].queryset
    assert "Oak House (archived)" in response.content.decode()


def test_removing_the_last_admin_flag_is_refused_beside_the_field(client, admin, org):
    membership = membership_of(admin, org)
    client.force_login(admin)

    response = client.post(reverse("person_edit", args=[membership.pk]), {"role": Role.VIEWER})

    assert response.status_code == 200
    assert response.context["form"].errors["is_org_admin"] == [
        "Every organisation needs at least one active organisation admin."
    ]
    membership.refresh_from_db()
    assert membership.is_org_admin
    assert events("membership.changed", membership) == []


def test_an_admin_who_hands_over_is_sent_home(client, admin, org, ni):
    Membership.objects.filter(user=ni).update(is_org_admin=True)
    client.force_login(admin)

    response = client.post(reverse("person_edit", args=[membership_of(admin, org).pk]), {"role": Role.VIEWER})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert not membership_of(admin, org).is_org_admin
    assert client.get(reverse("people_list")).status_code == 403


def test_editing_a_nominated_individual_to_locations_is_refused(client, admin, org, ni, home):
    membership = membership_of(ni, org)
    client.force_login(admin)

    response = client.post(
        reverse("person_edit", args=[membership.pk]), {"role": Role.NOMINATED_INDIVIDUAL, "locations": [home.pk]}
    )

    assert "cannot be limited to locations" in response.context["form"].errors["locations"][0]
    assert membership.location_ids == []


# Deactivating, reactivating, resending


def test_deactivation_ends_the_persons_session_and_is_audited(client, admin, org, staff):
    membership = membership_of(staff, org)
    their_browser = Client()
    their_browser.force_login(staff)
    assert their_browser.get(reverse("home")).status_code == 200
    client.force_login(admin)

    response = client.post(
        reverse("person_deactivate", args=[membership.pk]), {"reason": "Left the organisation"}, follow=True
    )

    assert "Sam Staff deactivated." in response.content.decode()
    membership.refresh_from_db()
    assert not membership.is_active
    [event] = events("membership.deactivated", membership)
    assert event.data["reason"] == "Left the organisation"
    assert event.data["sessions_ended"] == 1
    next_request = their_browser.get(reverse("home"))
    assert next_request.status_code == 302
    assert next_request.url.startswith(reverse("login"))
    history = client.get(reverse("person_edit", args=[membership.pk])).content.decode()
    assert "Deactivated: Left the organisation" in history


def test_you_cannot_deactivate_yourself(client, admin, org):
    membership = membership_of(admin, org)
    client.force_login(admin)

    response = client.post(reverse("person_deactivate", args=[membership.pk]), follow=True)

    assert "You cannot deactivate yourself" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active
    assert events("membership.deactivated", membership) == []


def test_deactivating_someone_already_deactivated_changes_nothing(client, admin, org, staff):
    membership = membership_of(staff, org)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    client.force_login(admin)

    client.post(reverse("person_deactivate", args=[membership.pk]))

    assert events("membership.deactivated", membership) == []


def test_reactivation_restores_access_and_is_audited(client, admin, org, staff):
    membership = membership_of(staff, org)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    client.force_login(admin)

    response = client.post(reverse("person_reactivate", args=[membership.pk]), follow=True)

    assert "Sam Staff reactivated." in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active
    assert len(events("membership.reactivated", membership)) == 1
    staff_browser = Client()
    staff_browser.force_login(staff)
    assert staff_browser.get(reverse("home")).context["current_organisation"] == org


def test_resending_an_invitation_sends_a_second_email(client, admin, org, django_capture_on_commit_callbacks):
    client.force_login(admin)
    invite(client, django_capture_on_commit_callbacks)
    membership = Membership.objects.get(user__email="jo.new@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("person_resend_invitation", args=[membership.pk]), follow=True)

    assert "Invitation sent again to Jo New" in response.content.decode()
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["jo.new@example.org"]
    assert "/accounts/invitation/" in link_in(mail.outbox[1])
    assert len(events("membership.invitation_resent", membership)) == 1


def test_no_invitation_is_resent_to_someone_with_a_password(
    client, admin, org, staff, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("person_resend_invitation", args=[membership_of(staff, org).pk]), follow=True)

    assert "already set a password" in response.content.decode()
    assert mail.outbox == []


def test_no_invitation_is_resent_to_a_deactivated_person(client, admin, org, django_capture_on_commit_callbacks):
    client.force_login(admin)
    invite(client, django_capture_on_commit_callbacks)
    membership = Membership.objects.get(user__email="jo.new@example.org")
    Membership.objects.filter(pk=membership.pk).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("person_resend_invitation", args=[membership.pk]), follow=True)

    assert "Reactivate them before sending the invitation again" in response.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("name", ["person_deactivate", "person_reactivate", "person_resend_invitation"])
def test_opening_an_action_address_changes_nothing(client, admin, org, staff, name, django_capture_on_commit_callbacks):
    membership = membership_of(staff, org)
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse(name, args=[membership.pk]))

    assert response.status_code == 302
    assert response.url == reverse("person_edit", args=[membership.pk])
    membership.refresh_from_db()
    assert membership.is_active
    assert mail.outbox == []
    assert not AuditEvent.objects.for_object(membership).exclude(action="membership.created").exists()


# Who may


def _people_urls(membership):
    return [
        ("get", reverse("people_list")),
        ("get", reverse("person_invite")),
        ("post", reverse("person_invite")),
        ("get", reverse("person_edit", args=[membership.pk])),
        ("post", reverse("person_edit", args=[membership.pk])),
        ("post", reverse("person_deactivate", args=[membership.pk])),
        ("post", reverse("person_reactivate", args=[membership.pk])),
        ("post", reverse("person_resend_invitation", args=[membership.pk])),
    ]


@pytest.mark.parametrize("who", ["manager", "ni", "quality", "staff", "viewer"])
def test_people_who_are_not_organisation_admins_may_not_manage_people(client, request, org, admin, who):
    target = membership_of(admin, org)
    client.force_login(request.getfixturevalue(who))

    for method, url in _people_urls(target):
        data = {"role": Role.STAFF, "email": "x@example.org", "full_name": "X"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    target.refresh_from_db()
    assert target.role == Role.VIEWER
    assert target.is_active
    assert Membership.objects.filter(organisation=org).count() == 2


def test_another_organisations_admin_gets_404_for_our_people(client, outsider, org, staff):
    target = membership_of(staff, org)
    client.force_login(outsider)

    for method, url in _people_urls(target)[3:]:
        data = {"role": Role.VIEWER} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    target.refresh_from_db()
    assert target.role == Role.STAFF
    assert target.is_active


def test_a_deactivated_admin_can_no_longer_manage_people(client, admin, ni, org):
    Membership.objects.filter(user=ni).update(is_org_admin=True)
    Membership.objects.filter(user=admin).update(is_active=False)
    client.force_login(admin)

    assert client.get(reverse("people_list")).status_code == 403


@pytest.mark.parametrize(
    ("role", "is_org_admin", "words"),
    [(Role.NOMINATED_INDIVIDUAL, False, "nominated individual"), (Role.STAFF, True, "organisation admin")],
)
def test_the_service_refuses_to_limit_organisation_wide_people_to_locations(
    org, home, admin, role, is_org_admin, words
):
    with pytest.raises(ValidationError) as raised:
        services.invite_person(
            actor=admin,
            organisation=org,
            email="new.person@example.org",
            full_name="New Person",
            role=role,
            locations=[home],
            is_org_admin=is_org_admin,
        )
    assert words in raised.value.message_dict["locations"][0]
    assert not Membership.objects.filter(user__email="new.person@example.org").exists()


def test_making_a_location_limited_manager_an_admin_asks_to_untick_locations(client, admin, manager, org):
    membership = Membership.objects.get(user=manager, organisation=org)
    client.force_login(admin)
    response = client.post(
        reverse("person_edit", args=[membership.pk]),
        {"role": Role.REGISTERED_MANAGER, "locations": membership.location_ids, "is_org_admin": "on"},
    )
    assert response.status_code == 200
    assert "cannot be limited to locations" in response.context["form"].errors["locations"][0]
    membership.refresh_from_db()
    assert membership.is_org_admin is False
