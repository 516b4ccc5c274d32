from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qip import services
from qip.models import Role


class Command(BaseCommand):
    help = "Create an organisation and its first organisation admin, who is sent a set-password link."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The provider's name, e.g. 'Example Care Ltd'")
        parser.add_argument("--provider-id", default="", help="CQC provider ID, e.g. 1-123456789")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="", help="The admin's full name")
        parser.add_argument(
            "--admin-role",
            default=Role.NOMINATED_INDIVIDUAL,
            choices=Role.values,
            help="The admin's role in the organisation (default: nominated_individual)",
        )

    def handle(self, **options):
        try:
            organisation, membership, link = services.create_organisation(
                name=options["name"].strip(),
                cqc_provider_id=options["provider_id"].strip(),
                admin_email=options["admin_email"],
                admin_name=options["admin_name"] or options["admin_email"],
                admin_role=options["admin_role"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Created {organisation.name} (id {organisation.pk})."))
        if link:
            self.stdout.write(f"{membership.user.email} has been e-mailed a link to set a password:\n  {link}")
        else:
            self.stdout.write(f"{membership.user.email} already had an account and is now its organisation admin.")
