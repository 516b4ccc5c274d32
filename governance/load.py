"""Synthetic work for timing the sweeps and for the worker crash test: bulk inserts, no audit trail.

`make_sweep_load(actions=N)` creates one organisation ("Sweep load …") with ten locations, a
registered manager and two staff at each, a quality lead and a nominated individual, a plan for
every ten actions (its review overdue, due soon or later), and N actions (a third overdue, a third
due soon, a third later), each with two steps (one overdue, one due soon) and its closure criteria.
Never used by the product itself.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from actions.models import Action, ActionStatus, ClosureCriteria, Step
from governance.models import NotificationPreference
from qip.models import Location, Membership, Organisation, Plan, Role, User

LOCATIONS = 10
BATCH = 2000


def _bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=BATCH)


@transaction.atomic
def make_sweep_load(*, actions, prefer=None, label=None):
    """Create the organisation and its work; returns it. `prefer`: a channel every member chooses for every kind."""
    today = timezone.localdate()
    stamp = label or timezone.now().strftime("%Y%m%d%H%M%S%f")
    organisation = Organisation.objects.create(name=f"Sweep load {stamp}")
    password = make_password(None)
    locations = _bulk(
        Location,
        [
            Location(
                organisation=organisation, name=f"Location {n:03d}", service_type="residential", postcode="LS1 4AP"
            )
            for n in range(LOCATIONS)
        ],
    )

    def person(name, role, location=None):
        user = User(email=f"{name}.{stamp}@sweep.invalid", full_name=name.replace("-", " ").title(), password=password)
        return user, role, location

    people = [person("quality-lead", Role.QUALITY_LEAD), person("nominated-individual", Role.NOMINATED_INDIVIDUAL)]
    for index, location in enumerate(locations):
        people.append(person(f"manager-{index}", Role.REGISTERED_MANAGER, location))
        people += [person(f"staff-{index}-{n}", Role.STAFF, location) for n in range(2)]
    users = _bulk(User, [user for user, _role, _location in people])  # the same objects, now with their pks
    memberships = _bulk(
        Membership, [Membership(user=user, organisation=organisation, role=role) for user, role, _l in people]
    )
    Membership.locations.through.objects.bulk_create(
        [
            Membership.locations.through(membership_id=membership.pk, location_id=location.pk)
            for membership, (_user, _role, location) in zip(memberships, people, strict=True)
            if location is not None
        ],
        batch_size=BATCH,
    )
    managers = {location.pk: user for user, role, location in people if role == Role.REGISTERED_MANAGER}
    staff = {}
    for user, role, location in people:
        if role == Role.STAFF:
            staff.setdefault(location.pk, []).append(user)
    if prefer:
        from governance.models_notifications import OPTIONAL_KINDS

        _bulk(
            NotificationPreference,
            [NotificationPreference(user=user, kind=kind, channel=prefer) for user in users for kind in OPTIONAL_KINDS],
        )

    plan_count = max(1, actions // 10)
    plans = _bulk(
        Plan,
        [
            Plan(
                organisation=organisation,
                reference=f"LOAD-{n:06d}",
                title=f"Synthetic plan {n}",
                problem_statement="Synthetic work for timing the sweeps.",
                source="internal_audit",
                quality_area="records",
                risk_likelihood=3,
                risk_impact=3,
                owner=managers[locations[n % LOCATIONS].pk],
                created_by=managers[locations[n % LOCATIONS].pk],
                review_cadence="monthly",
                next_review_date=today + timedelta(days=(n % 3 - 1) * 2),
                target_date=today + timedelta(days=60),
            )
            for n in range(plan_count)
        ],
    )
    Plan.locations.through.objects.bulk_create(
        [
            Plan.locations.through(plan_id=plan.pk, location_id=locations[n % LOCATIONS].pk)
            for n, plan in enumerate(plans)
        ],
        batch_size=BATCH,
    )
    rows = []
    for n in range(actions):
        plan_index = n % plan_count
        location = locations[plan_index % LOCATIONS]
        rows.append(
            Action(
                plan=plans[plan_index],
                location=location,
                title=f"Synthetic action {n}",
                owner=managers[location.pk],
                created_by=managers[location.pk],
                due_date=today + timedelta(days=(n % 3 - 1) * 2),
                status=ActionStatus.IN_PROGRESS,
            )
        )
    created = _bulk(Action, rows)
    _bulk(ClosureCriteria, [ClosureCriteria(action=action) for action in created])
    steps = []
    for n, action in enumerate(created):
        doers = staff[action.location_id]
        steps.append(
            Step(action=action, order=1, what="Overdue step", who=doers[n % 2], due_date=today - timedelta(days=2))
        )
        steps.append(
            Step(
                action=action, order=2, what="Step due soon", who=doers[(n + 1) % 2], due_date=today + timedelta(days=1)
            )
        )
    _bulk(Step, steps)
    return organisation
