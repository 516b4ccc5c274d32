"""Run the sweeps once, for people who prefer cron to Celery beat (DESIGN §6).

    python manage.py run_sweeps                          # every sweep, in the order of sweeps.SWEEPS
    python manage.py run_sweeps --only reviews checks    # just these

Safe to run as often as you like: each reminder is one unique row, so a rerun sends nothing twice.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance import sweeps


class Command(BaseCommand):
    help = "Run each sweep once (or only those named) and say what each made and how long it took."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            nargs="+",
            action="extend",
            metavar="NAME",
            help=f"Run only these sweeps: {', '.join(sweeps.SWEEPS)}.",
        )

    def handle(self, *args, only=None, **options):
        names = list(dict.fromkeys(only)) if only else list(sweeps.SWEEPS)
        unknown = [name for name in names if name not in sweeps.SWEEPS]
        if unknown:
            raise CommandError(
                f"Unknown sweep{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                f"The sweeps are: {', '.join(sweeps.SWEEPS)}."
            )
        # One moment for the whole run, so every sweep judges "today" alike even across midnight.
        now = timezone.now()
        total, started = 0, time.monotonic()
        for name in names:
            began = time.monotonic()
            made = sweeps.run(name, now=now)
            total += made
            self.stdout.write(f"{name}: made {made} in {time.monotonic() - began:.2f}s")
        self.stdout.write(f"Total: made {total} in {time.monotonic() - started:.2f}s")
