"""Asking for, building and handing out commissioner packs (DESIGN.md §8).

`request_pack` checks the request, finds the plans in scope and records a queued Pack;
`build_pack` (run by the worker, or at once for a small pack) claims it, lays it out with
governance.packs, stores the file with its SHA-256 and reports progress on the row as it goes.
Every request, build, failure and download is an audit event.
"""

import hashlib
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from actions.models import Action
from governance import packs
from governance import selectors_packs as selectors
from governance.models import Pack, PackScope, PackStatus
from qip import audit, permissions
from qip.models import Location, Plan
from qip.plan_services import uk_today

logger = logging.getLogger(__name__)

# Where the progress bar stands at each part of a build: gathering the plans is quick, laying out the
# pages takes most of the time, writing the file the rest.
GATHERED, LAID_OUT, DONE = 40, 90, 100
STAGE_WORDS = {"layout": ("Laying out the pages", GATHERED), "writing": ("Writing the PDF file", LAID_OUT)}


def next_reference(organisation, *, year=None):
    """PACK-<year>-<NNNN>: one after the organisation's highest that year."""
    year = year or uk_today().year
    prefix = f"PACK-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    used = Pack.objects.filter(organisation=organisation, reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    highest = max((int(match[1]) for ref in used if (match := pattern.match(ref))), default=0)
    return f"{prefix}{highest + 1:04d}"


def _names(objects):
    return ", ".join(sorted(str(obj) for obj in objects))


def _check(*, actor, organisation, scope, locations, plans, date_from, date_to):
    """Problems by field, as the form shows them; {} when the request may go ahead."""
    problems = {}
    if date_from and date_to and date_from > date_to:
        problems["date_to"] = "The end of the period must be on or after its start."
    elif date_to and date_to > uk_today():
        problems["date_to"] = "The period cannot end in the future."
    problems.update(choice_problems(scope, locations, plans))
    if scope == PackScope.LOCATIONS and "locations" not in problems:
        visible = set(Location.objects.for_user(actor, organisation).values_list("pk", flat=True))
        if any(location.pk not in visible for location in locations):
            problems["locations"] = "Choose locations you can see in this organisation."
    if scope == PackScope.PLANS and "plans" not in problems:
        visible = set(Plan.objects.for_user(actor, organisation).values_list("pk", flat=True))
        if any(plan.pk not in visible for plan in plans):
            problems["plans"] = "Choose plans you can see in this organisation."
    return problems


def choice_problems(scope, locations, plans):
    """The scope needs its choices: at least one location, or one plan. {} when it has them."""
    if scope == PackScope.LOCATIONS and not locations:
        return {"locations": "Choose at least one location."}
    if scope == PackScope.PLANS and not plans:
        return {"plans": "Choose at least one plan."}
    if scope not in PackScope.values:
        return {"scope": "Choose what the pack covers."}
    return {}


def _scope_text(scope, locations):
    if scope == PackScope.LOCATIONS:
        return f"{'Location' if len(locations) == 1 else 'Locations'}: {_names(locations)}"
    if scope == PackScope.PLANS:
        return "Chosen plans"
    return "The whole organisation"


def _covered_locations(scope, locations, plans):
    """Every location the pack may hold records from: who may download it follows from this."""
    if scope == PackScope.LOCATIONS:
        return [location.pk for location in locations]
    covered = set(Location.objects.filter(plans__in=plans).values_list("pk", flat=True))
    covered |= set(Action.objects.filter(plan__in=plans).values_list("location_id", flat=True))
    return sorted(covered)


def request_pack(  # noqa: PLR0913 - the pack's whole scope, each part a form field
    *, actor, organisation, scope, date_from, date_to, include_closed, redact, locations=(), plans=()
):
    """Record a queued pack of what `actor` may see in scope; ValidationError (by field) when it cannot be made."""
    if not permissions.can_make_packs(actor, organisation):
        raise PermissionDenied("Only quality leads and nominated individuals make commissioner packs.")
    locations, plans = list(locations), list(plans)
    problems = _check(
        actor=actor,
        organisation=organisation,
        scope=scope,
        locations=locations,
        plans=plans,
        date_from=date_from,
        date_to=date_to,
    )
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})
    in_scope = selectors.pack_plans(
        user=actor,
        organisation=organisation,
        plans=plans if scope == PackScope.PLANS else Plan.objects.for_user(actor, organisation),
        date_from=date_from,
        date_to=date_to,
        include_closed=include_closed,
        locations=locations if scope == PackScope.LOCATIONS else None,
    )
    if not in_scope:
        closed = "" if include_closed else " (closed plans are left out: tick “Include closed plans” to add them)"
        raise ValidationError({"date_from": [f"No plan in this scope was live in this period{closed}."]})
    for attempt in range(5):
        try:
            with transaction.atomic():
                pack = Pack.objects.create(
                    organisation=organisation,
                    reference=next_reference(organisation),
                    requested_by=actor,
                    scope=scope,
                    scope_text=_scope_text(scope, locations),
                    date_from=date_from,
                    date_to=date_to,
                    include_closed=include_closed,
                    redact=redact,
                )
                break
        except IntegrityError:  # another request took the same reference
            if attempt == 4:
                raise
    with transaction.atomic():
        pack.chosen_locations.set(locations if scope == PackScope.LOCATIONS else [])
        pack.plans.set(in_scope)
        pack.locations.set(_covered_locations(scope, locations, in_scope))
        audit.record(
            action="pack.requested",
            organisation=organisation,
            actor=actor,
            obj=pack,
            data={
                "scope": pack.scope_text,
                "plans": [plan.reference for plan in in_scope],
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "include_closed": include_closed,
                "redact": redact,
            },
        )
    return pack


def builds_now(pack):
    """Small packs are built while the person waits; bigger ones by the worker."""
    return pack.plans.count() <= settings.PACK_BUILD_NOW_MAX_PLANS


def is_stale(pack, now=None):
    """A build that started (or was queued) longer ago than the lease and has not finished: its worker died."""
    if pack.is_finished:
        return False
    since = pack.started_at or pack.requested_at
    return (now or timezone.now()) - since > timedelta(seconds=settings.PACK_BUILD_LEASE_SECONDS)


def _claim(pack_id):
    """Take the pack for building: queued, or building on a lapsed lease.

    Returns the claim's start time (the token the finished build must still hold), or None when
    someone else has it or it is finished.
    """
    now = timezone.now()
    lapsed = now - timedelta(seconds=settings.PACK_BUILD_LEASE_SECONDS)
    claimed = (
        Pack.objects.filter(pk=pack_id)
        .filter(Q(status=PackStatus.QUEUED) | Q(status=PackStatus.BUILDING, started_at__lt=lapsed))
        .update(status=PackStatus.BUILDING, started_at=now, progress=0, stage="Starting", error="")
    )
    return now if claimed else None


def _report(pack_id, stage, progress):
    Pack.objects.filter(pk=pack_id, status=PackStatus.BUILDING).update(stage=stage, progress=progress)


def build_pack(pack_id):
    """Build a queued pack: claim it, lay it out, store it. Returns the pack, or None when not claimed."""
    claimed_at = _claim(pack_id)
    if claimed_at is None:
        return None
    pack = Pack.objects.select_related("organisation", "requested_by").get(pk=pack_id)
    try:
        pdf, pages = _render(pack)
    except Exception as error:
        logger.exception("Pack %s could not be built", pack.reference)
        _fail(pack, error)
        return pack
    with transaction.atomic():
        # A build taken to have died may still finish: only the holder of the latest claim stores its file.
        current = Pack.objects.select_for_update().get(pk=pack_id)
        if current.status != PackStatus.BUILDING or current.started_at != claimed_at:
            logger.warning("Pack %s was claimed again while this build ran; its result is dropped", pack.reference)
            return None
        pack.file.save(pack.filename(), ContentFile(pdf), save=False)
        pack.page_count, pack.size, pack.sha256 = pages, len(pdf), hashlib.sha256(pdf).hexdigest()
        pack.status, pack.progress, pack.stage, pack.finished_at = PackStatus.READY, DONE, "", timezone.now()
        pack.save(update_fields=["file", "page_count", "size", "sha256", "status", "progress", "stage", "finished_at"])
        audit.record(
            action="pack.built",
            organisation=pack.organisation,
            obj=pack,
            data={"pages": pages, "size": len(pdf), "sha256": pack.sha256},
        )
    return pack


def _render(pack):
    requester = pack.requested_by
    if not permissions.can_make_packs(requester, pack.organisation):
        raise PermissionDenied(f"{requester.get_full_name()} no longer makes packs in this organisation.")
    locations = list(pack.chosen_locations.all()) if pack.scope == PackScope.LOCATIONS else None

    def progress(done, total):
        _report(pack.pk, f"Gathering plan {done} of {total}", round(GATHERED * done / max(total, 1)))

    def stage(name):
        _report(pack.pk, *STAGE_WORDS[name])

    return packs.build_pack_pdf(
        user=requester,
        organisation=pack.organisation,
        plans=list(pack.plans.values_list("pk", flat=True)),
        locations=locations,
        date_from=pack.date_from,
        date_to=pack.date_to,
        include_closed=pack.include_closed,
        redact=pack.redact,
        reference=pack.reference,
        scope_text=pack.scope_text,
        progress=progress,
        stage=stage,
    )


def _fail(pack, error):
    reason = str(error) if isinstance(error, PermissionDenied) else "an unexpected error (logged for the administrator)"
    with transaction.atomic():
        Pack.objects.filter(pk=pack.pk).update(
            status=PackStatus.FAILED, error=f"The pack could not be built: {reason}", finished_at=timezone.now()
        )
        audit.record(action="pack.failed", organisation=pack.organisation, obj=pack, data={"error": reason})
    pack.refresh_from_db()


def retry(*, actor, pack):
    """Queue a failed or stalled build again (same reference and scope). ValidationError when it is neither."""
    if not permissions.can_make_packs(actor, pack.organisation):
        raise PermissionDenied("Only quality leads and nominated individuals make commissioner packs.")
    if not (pack.status == PackStatus.FAILED or is_stale(pack)):
        raise ValidationError("This pack is not stuck: it is built or still being built.")
    with transaction.atomic():
        Pack.objects.filter(pk=pack.pk).update(
            status=PackStatus.QUEUED, started_at=None, finished_at=None, progress=0, stage="", error=""
        )
        audit.record(action="pack.retried", organisation=pack.organisation, actor=actor, obj=pack)
    pack.refresh_from_db()
    return pack


def record_download(*, actor, pack):
    audit.record(
        action="pack.downloaded",
        organisation=pack.organisation,
        actor=actor,
        obj=pack,
        data={"sha256": pack.sha256, "size": pack.size},
    )
