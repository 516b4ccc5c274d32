"""What every seed_scale step shares: the shape of the data, the bulk insert and the progress lines."""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

BATCH = 2000

# Per location; 200 locations give the figures in issue 9.
USERS = 30
PLANS = 25
ACTIONS_PER_PLAN = 10
STEPS_PER_ACTION = 4
EVIDENCE_PER_ACTION = 3
READINGS_PER_MEASURE = 10


def bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=BATCH)


def analyse(*models):
    """Give PostgreSQL statistics for tables filled moments ago in this transaction.

    Without them it plans lookups as if the tables were empty: closing 14,000 actions took minutes.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in models))


def chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def day_start(day):
    """A working-hours moment on a day, so events made for a date read as happening that day."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=10)


@dataclass
class Progress:
    """Prints one line per table: rows, audit events and seconds, then the total."""

    write: callable
    started: float = field(default_factory=time.perf_counter)
    rows: int = 0
    lines: list = field(default_factory=list)
    chain: object = None

    def table(self, label, count, events, since):
        if self.chain is not None:
            self.chain.flush()  # so each table's time includes writing its own audit events
        seconds = time.perf_counter() - since
        self.rows += count
        self.lines.append((label, count, events, seconds))
        self.write(f"  {label:<28} {count:>9,} rows {events:>9,} audit events {seconds:7.1f} s")

    def total(self, events):
        seconds = time.perf_counter() - self.started
        self.write(f"  {'total':<28} {self.rows:>9,} rows {events:>9,} audit events {seconds:7.1f} s")
        return seconds
