from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qip.backup.export import export_organisation
from qip.backup.manifest import BackupError
from qip.models import Organisation


class Command(BaseCommand):
    help = (
        "Write one organisation's rows and stored files to a .tar or .tar.gz archive with a manifest of "
        "SHA-256 checksums, for import_organisation. The archive holds people's data and password hashes: "
        "keep it as carefully as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The organisation's id or exact name.")
        parser.add_argument(
            "--output", help="Where to write the archive (default: organisation-<id>-<date and time>.tar.gz here)."
        )

    def handle(self, **options):
        organisation = self._organisation(options["organisation"])
        output = options["output"] or f"organisation-{organisation.pk}-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        if not output.endswith((".tar", ".tar.gz", ".tgz")):
            raise CommandError("--output must end in .tar, .tar.gz or .tgz.")
        try:
            summary = export_organisation(organisation, output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Exported {summary.organisation}: {summary.rows} rows in {summary.tables} tables, "
            f"{summary.files} files ({summary.file_bytes} bytes), {summary.chain_events} audit events, "
            f"in {summary.seconds:.1f} s."
        )
        self.stdout.write(f"Archive: {output} ({summary.archive_bytes} bytes)")
        self.stdout.write(f"SHA-256: {summary.sha256}")
        if not summary.chain_intact:
            self.stderr.write("Warning: this organisation's audit chain is broken; run verify_audit_chain.")

    def _organisation(self, value):
        found = Organisation.objects.filter(pk=int(value)) if value.isdecimal() else Organisation.objects.none()
        found = found or Organisation.objects.filter(name=value)
        if len(found) != 1:
            raise CommandError(f"No single organisation has the id or name {value!r}.")
        return found[0]
