"""Make a commissioner pack from the command line, exactly as the Packs page does.

The pack is asked for as the named quality lead or nominated individual (their permissions and
what they can see apply), built here rather than by the worker, stored, listed on the Packs page
and audited. `--copy-to` also writes the PDF to a file (CI renders that file to PNG pages).
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from governance import services_packs
from governance.models import PackScope, PackStatus
from qip.models import Location, Organisation, Plan, User
from qip.plan_services import uk_today


class Command(BaseCommand):
    help = "Make a commissioner pack as a quality lead or nominated individual, and optionally copy the PDF out."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="The organisation's name.")
        parser.add_argument("--as", dest="email", required=True, help="E-mail of the person asking for it.")
        parser.add_argument("--plans", nargs="+", metavar="REFERENCE", help="Only these plans (references).")
        parser.add_argument("--locations", nargs="+", metavar="NAME", help="Only these locations (names).")
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, help="YYYY-MM-DD (a year ago).")
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="YYYY-MM-DD (today).")
        parser.add_argument("--leave-out-closed", action="store_true", help="Leave closed plans out.")
        parser.add_argument("--with-names", action="store_true", help="Print names of people who use the service.")
        parser.add_argument("--copy-to", help="Also write the PDF to this file.")

    def handle(self, **options):
        organisation = Organisation.objects.filter(name=options["organisation"]).first()
        actor = User.objects.filter(email__iexact=options["email"]).first()
        if organisation is None or actor is None:
            raise CommandError("No such organisation or person.")
        scope, plans, locations = PackScope.ORGANISATION, [], []
        if options["plans"]:
            scope = PackScope.PLANS
            plans = list(Plan.objects.filter(organisation=organisation, reference__in=options["plans"]))
        elif options["locations"]:
            scope = PackScope.LOCATIONS
            locations = list(Location.objects.filter(organisation=organisation, name__in=options["locations"]))
        today = uk_today()
        try:
            pack = services_packs.request_pack(
                actor=actor,
                organisation=organisation,
                scope=scope,
                plans=plans,
                locations=locations,
                date_from=options["date_from"] or today - timedelta(days=365),
                date_to=options["date_to"] or today,
                include_closed=not options["leave_out_closed"],
                redact=not options["with_names"],
            )
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        pack = services_packs.build_pack(pack.pk)
        if pack is None or pack.status != PackStatus.READY:
            raise CommandError(f"The pack could not be built: {pack.error if pack else 'someone else is building it'}")
        if options["copy_to"]:
            with pack.file.open("rb") as source, open(options["copy_to"], "wb") as target:
                target.write(source.read())
        self.stdout.write(
            f"{pack.reference}: {pack.plans.count()} plans, {pack.page_count} pages, {pack.size} bytes, "
            f"sha256 {pack.sha256}"
        )
