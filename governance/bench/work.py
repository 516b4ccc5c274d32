"""The background work of issue 9: every sweep once over the whole database, and a 100-page pack.

Both run in transactions that are rolled back. The pack is built in a child process so that its
peak memory is its own, not the page benchmark's.
"""

import json
import math
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from governance import sweeps
from governance.bench.rollback import rolled_back
from governance.packs import build_pack_pdf
from qip.models import Membership, Plan, Role

PACK_PAGES = 100


def time_sweeps():
    """[{sweep, made, seconds}]: each sweep once, as beat runs them (the digest at its hour), then rolled back."""
    digest_at = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time())) + timedelta(
        hours=settings.DIGEST_HOUR, minutes=5
    )
    rows = []
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), rolled_back():
        for name in [*sweeps.REMINDER_SWEEPS, *(n for n in sweeps.SWEEPS if n not in sweeps.REMINDER_SWEEPS)]:
            started = time.perf_counter()
            made = sweeps.run(name, now=digest_at if name == "digest" else None)
            rows.append({"sweep": name, "made": made, "seconds": round(time.perf_counter() - started, 2)})
    return rows


def time_pack_in_child(organisation):
    """Run `bench --only pack` in a new process and return what it measured."""
    out = Path(settings.BASE_DIR) / "var" / "bench" / "pack-child.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", "--only", "pack"]
    subprocess.run([*command, "--organisation", organisation.name, "--json", str(out)], check=True)
    return json.loads(out.read_text())["pack"]


def timed_pack(user, organisation, plans, *, redact):
    """(pdf, pages, seconds) of one pack of `plans` over the last year, closed plans included."""
    started = time.perf_counter()
    pdf, pages = build_pack_pdf(
        user=user,
        organisation=organisation,
        plans=plans,
        date_from=timezone.localdate() - timedelta(days=365),
        date_to=timezone.localdate(),
        include_closed=True,
        redact=redact,
        reference="BENCH-PACK",
    )
    return pdf, pages, time.perf_counter() - started


def time_pack(organisation, pages_wanted=PACK_PAGES):
    """{plans, pages, seconds, peak_rss_mb}: a pack of the organisation's plans of at least `pages_wanted` pages.

    A pack of two plans gives the pages a plan takes; then it builds with enough plans for the pages
    wanted (again with more if still short). Only the last build is reported; the peak memory is the
    process's, so the largest build's.
    """
    signer = (
        Membership.objects.filter(organisation=organisation, role=Role.NOMINATED_INDIVIDUAL, is_active=True)
        .select_related("user")
        .first()
        .user
    )
    all_plans = list(Plan.objects.filter(organisation=organisation).order_by("pk").values_list("pk", flat=True))
    count, result = 2, None
    while result is None or (result["pages"] < pages_wanted and count < len(all_plans)):
        if result is not None:
            # Plans differ in length: aim a little past the pages wanted, and build again if still short.
            count = min(len(all_plans), math.ceil(count * pages_wanted * 1.1 / max(result["pages"], 1)))
        plans = list(Plan.objects.filter(pk__in=all_plans[:count]))
        with rolled_back():
            pdf, pages, seconds = timed_pack(signer, organisation, plans, redact=True)
        result = {"plans": count, "pages": pages, "bytes": len(pdf), "seconds": round(seconds, 2)}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result
