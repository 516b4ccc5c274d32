"""Who sees which organisation's rows: for_user scoping and the permission questions."""

import pytest
from django.contrib.auth.models import AnonymousUser

from qip import permissions, services
from qip.models import Location, Membership, Organisation, Role, User
from qip.tests.factories import MembershipFactory


def fresh(user):
    """The user as a new request would load them (memberships are cached on the object)."""
    return User.objects.get(pk=user.pk)


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


# Location.objects.for_user


def test_a_registered_manager_sees_only_their_listed_locations(manager, home, branch):
    assert names(Location.objects.for_user(manager, manager.memberships.get().organisation)) == ["Oak House"]


@pytest.mark.parametrize("role", ["quality", "ni", "admin"])
def test_organisation_wide_roles_see_every_location_of_the_organisation(
    request, role, org, home, branch, foreign_location
):
    user = request.getfixturevalue(role)
    assert names(Location.objects.for_user(user, org)) == ["Oak House", "Riverside Homecare"]
    assert names(Location.objects.for_user(user)) == ["Oak House", "Riverside Homecare"]


def test_an_outsider_sees_none_of_the_organisations_locations(outsider, org, home, branch):
    assert names(Location.objects.for_user(outsider, org)) == []
    assert names(Location.objects.for_user(outsider)) == ["Foreign House"]


def test_without_an_organisation_for_user_covers_every_membership(manager, home, branch, foreign_org, foreign_location):
    MembershipFactory(user=manager, organisation=foreign_org, role=Role.QUALITY_LEAD)
    user = fresh(manager)

    assert names(Location.objects.for_user(user)) == ["Foreign House", "Oak House"]
    assert names(Location.objects.for_user(user, foreign_org)) == ["Foreign House"]
    assert sorted(Organisation.objects.for_user(user).values_list("name", flat=True)) == [
        "Example Care Group",
        "Foreign Care Ltd",
    ]


def test_a_deactivated_membership_sees_nothing(admin, quality, org, home, branch):
    services.deactivate_membership(actor=admin, membership=quality.memberships.get())
    user = fresh(quality)

    assert names(Location.objects.for_user(user, org)) == []
    assert names(Location.objects.for_user(user)) == []
    assert not Membership.objects.for_user(user).exists()
    assert not permissions.is_member(user, org)


def test_members_of_a_deactivated_organisation_see_nothing(quality, org, home):
    Organisation.objects.filter(pk=org.pk).update(is_active=False)
    assert names(Location.objects.for_user(fresh(quality))) == []


def test_anonymous_users_see_nothing(org, home, branch):
    anonymous = AnonymousUser()
    assert not Location.objects.for_user(anonymous).exists()
    assert not Location.objects.for_user(anonymous, org).exists()
    assert not Organisation.objects.for_user(anonymous).exists()
    assert not Membership.objects.for_user(anonymous).exists()


# Membership.objects.for_user


def test_membership_lists_never_include_another_organisations_people(
    quality, manager, staff, outsider, org, foreign_org
):
    visible = Membership.objects.for_user(quality)

    assert set(visible.values_list("organisation", flat=True)) == {org.pk}
    assert set(visible.values_list("user", flat=True)) == {quality.pk, manager.pk, staff.pk}
    assert not Membership.objects.for_user(quality, foreign_org).exists()
    assert list(Membership.objects.for_user(outsider).values_list("user", flat=True)) == [outsider.pk]


# qip.permissions


def test_is_org_admin_only_in_the_organisation_where_it_was_given(admin, manager, outsider, org, foreign_org):
    assert permissions.is_org_admin(admin, org)
    assert not permissions.is_org_admin(manager, org)
    assert not permissions.is_org_admin(outsider, org)
    assert permissions.is_org_admin(outsider, foreign_org)
    assert not permissions.is_org_admin(admin, foreign_org)
    assert not permissions.is_org_admin(AnonymousUser(), org)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("ni", True),
        ("quality", True),
        ("manager", False),
        ("staff", False),
        ("viewer", False),
        ("outsider", False),
    ],
)
def test_who_may_read_the_audit_log(request, org, role, allowed):
    assert permissions.can_view_audit_log(request.getfixturevalue(role), org) is allowed


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("quality", {"home", "branch"}),
        ("ni", {"home", "branch"}),
        ("admin", {"home", "branch"}),
        ("manager", {"home"}),
        ("staff", {"home"}),
        ("viewer", {"branch"}),
        ("outsider", {"foreign_location"}),
    ],
)
def test_who_can_see_which_location(db, request, role, visible):
    user = request.getfixturevalue(role)
    locations = {name: request.getfixturevalue(name) for name in ("home", "branch", "foreign_location")}
    assert {name for name, location in locations.items() if permissions.can_see_location(user, location)} == visible
