"""Escalation of overdue items, one level at a time (DESIGN §6).

An item overdue by more than ESCALATION_GRACE_DAYS reaches level 1; by more than twice that, level 2; and so on.
The levels climb the ladder registered manager → quality lead → nominated individual, starting above the
person responsible (a registered manager's own item goes first to the quality leads), and a rung with nobody
on it is skipped, so level k goes to the k-th rung that has somebody on it. Each rung is the people of that
role who can see where the item is, never the person responsible. Each level is one notification per person
with the key f"{base_key}:escalation:{k}", so a sweep run daily adds one level per grace period and a rerun
adds nothing.

Sweeps are system-wide, so this module does not start from a user's for_user(): `Directory` loads the
active memberships of the organisations concerned (one query) and answers "who can see this location"
from their location lists (empty means every location), as qip.permissions.can_see_location does.
"""

from dataclasses import dataclass

from django.conf import settings

from governance.models import Kind
from qip.models import Membership, Role

LADDER = (Role.REGISTERED_MANAGER, Role.QUALITY_LEAD, Role.NOMINATED_INDIVIDUAL)


@dataclass(frozen=True)
class Reminder:
    """A notification a sweep wants to make; the sweep makes it unless the person already has the key."""

    recipient_id: int
    organisation_id: int
    kind: str
    key: str
    title: str
    body: str
    url: str
    level: int = 0


@dataclass(frozen=True)
class Member:
    user_id: int
    role: str
    location_ids: frozenset  # empty: every location of the organisation

    def sees_any(self, location_ids):
        return not self.location_ids or not self.location_ids.isdisjoint(location_ids)


class Directory:
    """Who is an active member (active person, active organisation) of which organisation, and where they work."""

    def __init__(self, rows):
        locations = {}
        details = {}
        for user_id, organisation_id, role, location_id in rows:
            details[organisation_id, user_id] = role
            listed = locations.setdefault((organisation_id, user_id), set())
            if location_id is not None:
                listed.add(location_id)
        self._members = {}
        for (organisation_id, user_id), role in details.items():
            member = Member(user_id, role, frozenset(locations[organisation_id, user_id]))
            self._members.setdefault(organisation_id, {})[user_id] = member

    @classmethod
    def load(cls, *, organisation_ids):
        """One query: a row per membership and listed location (None when it lists none)."""
        rows = (
            Membership.objects.filter(
                organisation_id__in=set(organisation_ids),
                is_active=True,
                user__is_active=True,
                organisation__is_active=True,
            )
            .order_by()  # the default ordering by name would only add a join
            .values_list("user_id", "organisation_id", "role", "locations")
        )
        return cls(rows)

    def member(self, organisation_id, user_id):
        return self._members.get(organisation_id, {}).get(user_id)

    def sees(self, *, organisation_id, user_id, location_ids):
        """Whether this person is an active member who can see at least one of these locations."""
        member = self.member(organisation_id, user_id)
        return member is not None and member.sees_any(location_ids)

    def people(self, *, organisation_id, role, location_ids):
        """Ids of the members with this role who can see at least one of these locations, in a stable order."""
        members = self._members.get(organisation_id, {}).values()
        return sorted(m.user_id for m in members if m.role == role and m.sees_any(location_ids))


def levels_reached(*, days_overdue, grace_days=None):
    """The highest level k with days_overdue > k × grace days (0: none yet)."""
    grace = grace_days or settings.ESCALATION_GRACE_DAYS
    return max(0, (days_overdue - 1) // grace)


def rungs(*, directory, organisation_id, location_ids, responsible_ids, start=0):
    """The rungs above the people responsible that have somebody on them, lowest first (lists of user ids).

    `start` is the lowest rung (an index into LADDER) the item may escalate to; the chain also starts above
    the highest rung any person responsible holds, so nobody is escalated to their own peers.
    """
    responsible = set(responsible_ids)
    for user_id in responsible:
        member = directory.member(organisation_id, user_id)
        if member is not None and member.role in LADDER:
            start = max(start, LADDER.index(member.role) + 1)
    chain = []
    for role in LADDER[start:]:
        people = directory.people(organisation_id=organisation_id, role=role, location_ids=location_ids)
        people = [user_id for user_id in people if user_id not in responsible]
        if people:
            chain.append(people)
    return chain


def escalations(
    *,
    directory,
    organisation_id,
    location_ids,
    responsible_ids,
    base_key,
    days_overdue,
    title,
    body,
    url,
    start=0,
):
    """The escalation reminders an item overdue by `days_overdue` days has earned so far (every level reached)."""
    reached = levels_reached(days_overdue=days_overdue)
    if not reached:
        return []
    chain = rungs(
        directory=directory,
        organisation_id=organisation_id,
        location_ids=location_ids,
        responsible_ids=responsible_ids,
        start=start,
    )
    reminders = []
    for level, people in enumerate(chain[:reached], start=1):
        for user_id in people:
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    organisation_id=organisation_id,
                    kind=Kind.ESCALATION,
                    key=f"{base_key}:escalation:{level}",
                    title=title,
                    body=body,
                    url=url,
                    level=level,
                )
            )
    return reminders
