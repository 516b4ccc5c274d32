"""Write the accounts the load test signs in with (loadtest/locustfile.py) as JSON.

Managers, staff and approvers (nominated individuals and quality leads) of a seed_scale
organisation; approvers without an authenticator get the demo key, as seed_scale gives the first two.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.management.commands.seed_scale import PASSWORD
from qip import two_factor
from qip.models import Membership, Organisation, Role

ROLES = {
    "managers": [Role.REGISTERED_MANAGER],
    "staff": [Role.STAFF],
    "approvers": [Role.NOMINATED_INDIVIDUAL, Role.QUALITY_LEAD],
}


class Command(BaseCommand):
    help = "Print the load test's accounts (JSON) for a seed_scale organisation."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", default="Scale Care Group")
        parser.add_argument("--password", default=PASSWORD)
        parser.add_argument("--per-role", type=int, default=50)

    def handle(self, **options):
        if settings.PRODUCTION:
            raise CommandError("loadtest_accounts never runs with DJANGO_ENV=production.")
        organisation = Organisation.objects.filter(name=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation called “{options['organisation']}”: run seed_scale first.")
        members = Membership.objects.filter(organisation=organisation, is_active=True).select_related("user")
        people = {}
        for name, roles in ROLES.items():
            chosen = list(members.filter(role__in=roles).order_by("role", "pk")[: options["per_role"]])
            people[name] = [membership.user.email for membership in chosen]
            if name == "approvers":
                for membership in chosen:
                    two_factor.enrol_for_demo(membership.user)
        self.stdout.write(json.dumps({"password": options["password"], "people": people}, indent=2))
