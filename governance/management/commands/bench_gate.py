"""Time one closure-gate evaluation for an action with many readings and evidence items.

Builds the action inside a transaction that is rolled back, so nothing is left behind.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from governance.bench.gate import gate_action, time_gate
from governance.bench.rollback import rolled_back


class Command(BaseCommand):
    help = "Time evaluate_action_closure for an action with N readings and M evidence items."

    def add_arguments(self, parser):
        parser.add_argument("--readings", type=int, default=100)
        parser.add_argument("--evidence", type=int, default=50)
        parser.add_argument("--runs", type=int, default=50)

    def handle(self, **options):
        with rolled_back():
            action, signer = gate_action(options["readings"], options["evidence"])
            figures = time_gate(action, signer, options["runs"])
        self.stdout.write(
            f"gate evaluation, {options['readings']} readings, {options['evidence']} evidence items "
            f"({connection.vendor}, {figures['runs']} runs): median {figures['median_ms']:.1f} ms, "
            f"p95 {figures['p95_ms']:.1f} ms, {figures['queries']} queries; "
            f"gate {'passes' if figures['passes'] else 'fails'} ({', '.join(figures['failing']) or 'nothing failing'})"
        )
