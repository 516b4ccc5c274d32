"""`python manage.py bench`: the benchmark of issue 9 against a seed_scale organisation (see governance/bench)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from actions.models import Action
from evidence.models import EvidenceItem, MeasureReading
from governance.bench import gate, pages, report, work
from governance.bench.rollback import rolled_back
from qip.models import Organisation

PARTS = ("pages", "gate", "sweeps", "pack")


class Command(BaseCommand):
    help = "Time the busy pages, a gate evaluation, every sweep and a 100-page pack; print a table and write JSON."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", help="Its name; by default the organisation with the most plans.")
        parser.add_argument("--requests", type=int, default=30, help="Timed requests per page (at least 30).")
        parser.add_argument("--only", action="append", choices=PARTS, help="Measure only this part (repeatable).")
        parser.add_argument("--page", help="Time only pages whose name contains this (and the trivial page).")
        parser.add_argument("--json", default=str(Path(settings.BASE_DIR) / "var" / "bench" / "bench.json"))

    def handle(self, **options):
        organisation = self.organisation(options["organisation"])
        parts = options["only"] or PARTS
        result = {
            "organisation": organisation.name,
            "database": connection.vendor,
            "measured_at": timezone.localtime().isoformat(timespec="seconds"),
            "counts": self.counts(organisation),
        }
        if "pages" in parts:
            self.stderr.write("Timing pages…")
            result["pages"] = self.pages(organisation, options["requests"], options["page"])
        if "gate" in parts:
            self.stderr.write("Timing the gate…")
            with rolled_back():
                action, signer = gate.gate_action(100, 50)
                result["gate"] = gate.time_gate(action, signer, 50)
        if "sweeps" in parts:
            self.stderr.write("Running every sweep…")
            result["sweeps"] = work.time_sweeps()
        if "pack" in parts:
            self.stderr.write("Building a 100-page pack…")
            only_pack = options["only"] == ["pack"]
            result["pack"] = work.time_pack(organisation) if only_pack else work.time_pack_in_child(organisation)
        path = Path(options["json"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        self.stdout.write("\n".join(report.lines(result)))
        self.stdout.write(f"\nWritten to {path}")

    def organisation(self, name):
        organisations = Organisation.objects.annotate(n=Count("plans")).order_by("-n", "pk")
        found = organisations.filter(name=name).first() if name else organisations.first()
        if found is None:
            raise CommandError(f"No organisation called “{name}”." if name else "No organisation: run seed_scale.")
        return found

    def counts(self, organisation):
        return (
            f"{organisation.locations.count():,} locations, {organisation.plans.count():,} plans, "
            f"{Action.objects.filter(plan__organisation=organisation).count():,} actions, "
            f"{EvidenceItem.objects.filter(organisation=organisation).count():,} evidence items, "
            f"{MeasureReading.objects.filter(location__organisation=organisation).count():,} readings"
        )

    def pages(self, organisation, requests, only=None):
        if requests < 30:
            raise CommandError("--requests must be at least 30.")
        cast = pages.people(organisation)
        measured = []
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(ROOT_URLCONF="governance.bench.urls", DEBUG=False, ALLOWED_HOSTS=hosts):
            targets, users, facts = pages.targets(organisation, cast)
            clients = {role: pages.client_for(user) for role, user in users.items()}
            for page in targets:
                if only and page is not targets[0] and only.lower() not in page.name:
                    continue
                self.stderr.write(f"  {page.name} as {page.role}")
                measured.append(pages.measure(page, clients[page.role], requests))
        return report.page_rows(measured)
