from django.core.management.base import BaseCommand, CommandError

from qip.backup.manifest import BackupError
from qip.backup.restore import import_archive


class Command(BaseCommand):
    help = (
        "Restore one organisation from an export_organisation archive into an empty database (migrated to the "
        "same version). Every checksum is checked before anything is written; on any problem nothing is restored."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar or .tar.gz file written by export_organisation.")
        parser.add_argument(
            "--accept-broken-chain",
            action="store_true",
            help="Restore even when the export's audit chain does not verify (to examine a suspected tampering).",
        )

    def handle(self, **options):
        try:
            summary = import_archive(options["archive"], accept_broken_chain=options["accept_broken_chain"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {summary.organisation}: {summary.rows} rows in {summary.tables} tables, "
            f"{summary.files} files ({summary.file_bytes} bytes), {summary.chain_events} audit events, "
            f"{summary.reference_added} CQC reference rows added, in {summary.seconds:.1f} s."
        )
        self.stdout.write("Next: python manage.py verify_audit_chain")
