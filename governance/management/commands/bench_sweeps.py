"""Time every sweep over synthetic work: `python manage.py bench_sweeps --actions 10000`.

Creates an organisation of N actions (governance.load), runs each sweep once as beat would (each
notification its own transaction, e-mails left to the digest), then runs them all again to show that
a rerun makes nothing, prints the figures, and removes the synthetic organisation unless --keep.
The sweeps scan the whole database, so whatever else is in it (the demo) is swept too.
"""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from actions.models import Action, ClosureCriteria, Step
from governance import sweeps
from governance.load import make_sweep_load
from governance.models import DigestSend, Notification, NotificationPreference
from qip.models import Location, Membership, Plan, User


class Command(BaseCommand):
    help = "Time every sweep over N synthetic actions, then a rerun (which must make nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--actions", type=int, default=10_000)
        parser.add_argument("--keep", action="store_true", help="Keep the synthetic organisation afterwards.")

    def handle(self, *, actions, keep, **options):
        started = time.perf_counter()
        organisation = make_sweep_load(actions=actions)
        self.stdout.write(f"Made {actions:,} actions, {2 * actions:,} steps in {time.perf_counter() - started:.1f} s")
        try:
            self._time("First run", made_expected=None)
            self._time("Rerun", made_expected=0)
        finally:
            if not keep:
                remove(organisation)
                self.stdout.write("Removed the synthetic organisation.")

    def _time(self, title, *, made_expected):
        self.stdout.write(f"\n{title}\n{'sweep':<20}{'made':>10}{'seconds':>10}")
        total = 0.0
        for name in sweeps.SWEEPS:
            if name == "digest":
                continue  # depends on the hour; timed by the worker tests instead
            started = time.perf_counter()
            made = sweeps.run(name)
            seconds = time.perf_counter() - started
            total += seconds
            self.stdout.write(f"{name:<20}{made:>10,}{seconds:>10.2f}")
            if made_expected is not None and made != made_expected:
                self.stderr.write(f"  {name} made {made} on a rerun; expected {made_expected}")
        self.stdout.write(f"{'all':<20}{'':>10}{total:>10.2f}")


@transaction.atomic
def remove(organisation):
    users = list(Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True))
    DigestSend.objects.filter(recipient_id__in=users).delete()
    Notification.objects.filter(organisation=organisation).delete()
    NotificationPreference.objects.filter(user_id__in=users).delete()
    actions = Action.objects.filter(plan__organisation=organisation)
    Step.objects.filter(action__in=actions).delete()
    ClosureCriteria.objects.filter(action__in=actions).delete()
    actions.delete()
    plans = Plan.objects.filter(organisation=organisation)
    Plan.locations.through.objects.filter(plan__in=plans).delete()
    plans.delete()
    memberships = Membership.objects.filter(organisation=organisation)
    Membership.locations.through.objects.filter(membership__in=memberships).delete()
    memberships.delete()
    User.objects.filter(pk__in=users).delete()
    Location.objects.filter(organisation=organisation).delete()
    organisation.delete()
