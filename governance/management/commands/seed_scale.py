"""Generate a care group at scale for the performance work of issue 9 (see governance/scale)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.scale import email_domain, seed
from qip import two_factor
from qip.models import Organisation, Role, User

PASSWORD = "scale-password-2026"


class Command(BaseCommand):
    help = (
        "Bulk-create an organisation of N locations with 30 people, 25 plans, 250 actions, 1,000 steps, "
        "750 evidence items and 2,500 readings a location, and their audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--locations", type=int, default=200)
        parser.add_argument("--name", default="Scale Care Group", help="The organisation's name; must be new.")
        parser.add_argument("--password", default=PASSWORD, help="Everyone's password.")

    def handle(self, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_scale never runs with DJANGO_ENV=production.")
        name, count = options["name"].strip(), options["locations"]
        if count < 1:
            raise CommandError("--locations must be at least 1.")
        if Organisation.objects.filter(name__iexact=name).exists():
            raise CommandError(f"An organisation called “{name}” already exists; choose another --name.")
        domain = email_domain(name)
        if User.objects.filter(email__endswith=f"@{domain}").exists():
            raise CommandError(f"People with @{domain} addresses already exist; choose another --name.")
        self.stdout.write(f"Creating “{name}” with {count} locations:")
        people, _seconds = seed(name=name, locations=count, password=options["password"], write=self.stdout.write)
        self.print_logins(people, options["password"])

    def print_logins(self, people, password):
        first = people.locations[0]
        logins = [
            (people.ni, Role.NOMINATED_INDIVIDUAL, "all locations, organisation admin"),
            (people.quality_leads[0], Role.QUALITY_LEAD, "all locations"),
            (people.managers[first.pk], Role.REGISTERED_MANAGER, first.name),
            (people.staff[first.pk][0], Role.STAFF, first.name),
            (people.viewers[first.pk][0], Role.VIEWER, first.name),
        ]
        self.stdout.write(self.style.SUCCESS(f"Logins (password for all: {password}):"))
        for user, role, where in logins:
            self.stdout.write(f"  {user.email:<40} {Role(role).label} ({where})")
        # Nominated individuals and quality leads must use two-factor sign-in: give these two the demo key.
        for user in (people.ni, people.quality_leads[0]):
            two_factor.enrol_for_demo(user)
        self.stdout.write(
            f"Two-factor sign-in for the first two: add the demo key {two_factor.demo_secret()} "
            "to an authenticator app."
        )
