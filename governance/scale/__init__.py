"""A care group at scale for performance work (issue 9): `python manage.py seed_scale --locations 200`.

Per location: 30 people, 25 plans of 10 actions, 4 steps an action, 3 evidence items an action
(one in ten with a small file), a measure an action with 10 weekly readings, and one audit event
for each record a person would have made, chained exactly as qip.audit.record() chains them.
Everything goes in with bulk_create inside one transaction, so a failed run leaves nothing behind
but the evidence files it wrote. Then the hourly reminder sweeps run once, as beat would after the
import, so people have the notifications the product would have given them. Never used by the
product itself.
"""

import time

from django.db import connection, transaction
from django.utils.text import slugify

from .chain import Chain
from .closure import close_actions, close_plans
from .common import Progress
from .evidence import create_evidence, create_readings
from .people import create_people
from .work import create_actions, create_plans, create_steps


def email_domain(name):
    return f"{slugify(name) or 'scale'}.example.com"


def seed(*, name, locations, password, write):
    """Create the organisation and everything in it; returns (People, seconds taken)."""
    progress = Progress(write)
    with transaction.atomic():
        people, chain = create_people(
            name=name,
            domain=email_domain(name),
            location_count=locations,
            password=password,
            progress=progress,
            chain_for=Chain,
        )
        plans = create_plans(people, chain, progress)
        actions, final = create_actions(people, plans, chain, progress)
        create_steps(people, actions, final, chain, progress)
        close_actions(people, actions, final, chain, progress)
        close_plans(people, plans, chain, progress)
        create_evidence(people, actions, chain, progress)
        create_readings(actions, chain, progress)
        chain.close()
    analyse_everything()
    remind(progress)
    return people, progress.total(chain.seq)


def analyse_everything():
    """Vacuum and statistics for every table, as autovacuum would soon after (it is off on some machines):
    without statistics PostgreSQL planned joins as if the plans table held 7 rows, and without the
    visibility map a count of one person's notifications read every row."""
    if connection.vendor == "postgresql":
        # VACUUM cannot run inside a transaction (a test's, say): statistics alone then.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def remind(progress):
    from governance import sweeps

    progress.chain = None  # sweeps write no audit events
    since = time.perf_counter()
    made = sum(sweeps.run(name) for name in sweeps.REMINDER_SWEEPS)
    progress.table("notifications (sweeps)", made, 0, since)
