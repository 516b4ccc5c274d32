"""The organisation, its locations and its people, with one password hash shared by everyone."""

import time

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from qip.models import Location, Membership, Organisation, Role, ServiceType, User

from .common import USERS, bulk

FIRST = ["Amira", "Ben", "Chloe", "Dev", "Ellen", "Femi", "Grace", "Harry", "Isla", "Jamal", "Kate", "Leon"]
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal", "Jones", "Khan"]
PLACES = ["Oak", "Ash", "Birch", "Elm", "Willow", "Cedar", "Rowan", "Hazel", "Maple", "Holly"]
KINDS = [
    ("House", ServiceType.RESIDENTIAL),
    ("Nursing Home", ServiceType.NURSING),
    ("Homecare", ServiceType.HOMECARE),
    ("Supported Living", ServiceType.SUPPORTED_LIVING),
]
POSTCODES = ["LS1 4AP", "BD1 4HN", "YO1 7HH", "M1 1AE", "S1 2HE", "NE1 7RU", "B1 1BB", "L1 8JQ"]
VIEWERS_PER_LOCATION = 3


class People:
    """Who works where, so later steps pick owners and signers without a query."""

    def __init__(self, organisation, locations):
        self.organisation = organisation
        self.locations = locations
        self.ni = None
        self.quality_leads = []
        self.managers = {}
        self.staff = {}
        self.viewers = {}
        self.users = []

    def approver(self, n):
        return self.ni if n % 4 == 0 else self.quality_leads[n % len(self.quality_leads)]


def _name(n):
    return f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]}"


def _cast(location_count):
    """(role, location index or None, local part of the e-mail), 30 people per location in all."""
    leads = max(1, min(10, location_count // 20))  # never more than a location's staff
    cast = [(Role.NOMINATED_INDIVIDUAL, None, "ni.1")]
    cast += [(Role.QUALITY_LEAD, None, f"quality.{n + 1}") for n in range(leads)]
    for index in range(location_count):
        cast.append((Role.REGISTERED_MANAGER, index, f"manager.{index + 1}"))
        cast += [(Role.VIEWER, index, f"viewer.{index + 1}.{n + 1}") for n in range(VIEWERS_PER_LOCATION)]
        cast += [(Role.STAFF, index, f"staff.{index + 1}.{n + 1}") for n in range(USERS - 1 - VIEWERS_PER_LOCATION)]
    # The organisation-wide people take the places of the last staff, so the total stays 30 a location.
    return cast[: USERS * location_count]


def create_people(*, name, domain, location_count, password, progress, chain_for):
    """Organisation, locations, users and memberships; returns People and the audit chain."""
    since = time.perf_counter()
    now = timezone.now()
    organisation = Organisation.objects.create(name=name, created_at=now)
    chain = progress.chain = chain_for(organisation)
    chain.add("organisation.created", organisation, at=now, label=name, data={"name": name})
    locations = bulk(
        Location,
        [
            Location(
                organisation=organisation,
                name=f"{PLACES[n % len(PLACES)]} {KINDS[n % len(KINDS)][0]} {n + 1:03d}",
                service_type=KINDS[n % len(KINDS)][1],
                postcode=POSTCODES[n % len(POSTCODES)],
                created_at=now,
            )
            for n in range(location_count)
        ],
    )
    for location in locations:
        chain.add("location.added", location, at=now, label=location.name, data={"name": location.name})
    progress.table("locations", len(locations) + 1, len(locations) + 1, since)

    since = time.perf_counter()
    people = People(organisation, locations)
    hashed = make_password(password)  # hashed once: PBKDF2 for each of 6,000 people would take minutes
    cast = _cast(location_count)
    users = bulk(
        User,
        [
            User(email=f"{local}@{domain}", full_name=_name(n), password=hashed, date_joined=now)
            for n, (_role, _index, local) in enumerate(cast)
        ],
    )
    memberships = bulk(
        Membership,
        [
            Membership(
                user=user,
                organisation=organisation,
                role=role,
                is_org_admin=role == Role.NOMINATED_INDIVIDUAL,
                created_at=now,
            )
            for user, (role, _index, _local) in zip(users, cast, strict=True)
        ],
    )
    Membership.locations.through.objects.bulk_create(
        [
            Membership.locations.through(membership_id=membership.pk, location_id=locations[index].pk)
            for membership, (_role, index, _local) in zip(memberships, cast, strict=True)
            if index is not None
        ],
        batch_size=2000,
    )
    chain.know(users)
    for user, membership, (role, index, _local) in zip(users, memberships, cast, strict=True):
        _place(people, user, role, locations[index] if index is not None else None)
        chain.add(
            "membership.created",
            membership,
            at=now,
            label=str(user),
            data={"email": user.email, "role": role, "locations": [locations[index].name] if index is not None else []},
        )
    people.users = users
    progress.table("users and memberships", len(users) * 2, len(users), since)
    return people, chain


def _place(people, user, role, location):
    if role == Role.NOMINATED_INDIVIDUAL:
        people.ni = user
    elif role == Role.QUALITY_LEAD:
        people.quality_leads.append(user)
    elif role == Role.REGISTERED_MANAGER:
        people.managers[location.pk] = user
    elif role == Role.STAFF:
        people.staff.setdefault(location.pk, []).append(user)
    else:
        people.viewers.setdefault(location.pk, []).append(user)
