from django.core.management.base import BaseCommand, CommandError

from qip.audit import verify_all


class Command(BaseCommand):
    help = "Check every audit chain link by link; report the first broken link of each chain."

    def handle(self, **options):
        reports = verify_all()
        broken = [report for report in reports if not report.intact]
        for report in broken:
            self.stderr.write(f"{report.chain}: BROKEN at event {report.seq}: {report.problem}")
        if broken:
            raise CommandError(f"{len(broken)} of {len(reports)} audit chains are broken")
        total = sum(report.events for report in reports)
        self.stdout.write(f"chain intact, {total} events ({len(reports)} chains)")
