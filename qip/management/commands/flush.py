"""Django's flush, able to lift the audit guard where settings allow it (the test suite only).

Tests that flush tables (TransactionTestCase, live-server tests) would otherwise
be refused by the append-only trigger. Everywhere else the guard holds and
flush fails on the audit table, as it should. The CQC reference data that a
migration loaded is loaded again afterwards, as the next test expects it.
"""

from django.apps import apps
from django.conf import settings
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from qip import audit_guard
from qip.reference import load_framework


class Command(FlushCommand):
    def handle(self, **options):
        if not settings.AUDIT_GUARD_FLUSHABLE:
            return super().handle(**options)
        connection = connections[options["database"]]
        audit_guard.remove(connection)
        try:
            super().handle(**options)
        finally:
            audit_guard.install(connection)
        load_framework(apps, "cqc_saf_2023.json")
