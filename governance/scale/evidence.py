"""Evidence across the six categories (a small file for one item in ten), measures and weekly readings."""

import hashlib
import time
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from evidence.models import EvidenceFile, EvidenceItem, EvidenceKind, Measure, MeasureReading, Purpose
from evidence.services import MEASURE_FIELDS
from qip.models import EvidenceCategory

from .common import EVIDENCE_PER_ACTION, READINGS_PER_MEASURE, bulk, chunks, day_start

FILE_EVERY = 10
KINDS = [EvidenceKind.AUDIT, EvidenceKind.OBSERVATION, EvidenceKind.FEEDBACK, EvidenceKind.RECORD_SAMPLE]


def create_evidence(people, actions, chain, progress):
    since = time.perf_counter()
    categories = list(EvidenceCategory.objects.filter(framework__is_current=True).order_by("order"))
    storage = EvidenceFile._meta.get_field("file").storage
    today, now = timezone.localdate(), timezone.now()
    items = files = 0
    for start, batch in zip(range(0, len(actions), 2000), chunks(actions), strict=True):
        rows = []
        for n, action in enumerate(batch, start):
            doers = people.staff[action.location_id]
            for k in range(EVIDENCE_PER_ACTION):
                category = categories[(n * EVIDENCE_PER_ACTION + k) % len(categories)]
                collected = today - timedelta(days=(n * 3 + k * 11) % 90)
                rows.append(
                    EvidenceItem(
                        organisation=people.organisation,
                        plan=action.plan,
                        action=action,
                        location=action.location,
                        category=category,
                        kind=KINDS[(n + k) % len(KINDS)],
                        purpose=Purpose.ACTIVITY if k == 0 else Purpose.ASSURANCE,
                        title=f"{category.name}: audit of ten records ({action.plan.reference})",
                        summary="8 of 10 records met the standard; feedback given to two carers.",
                        collected_on=collected,
                        collected_by=doers[(n + k) % len(doers)],
                        recorded_where="Audit folder, manager's office",
                        people_named="Edith Resident" if n % 5 == 0 else "",
                        added_by=action.owner,
                        added_at=day_start(collected),
                    )
                )
        created = bulk(EvidenceItem, rows)
        stored = _store_files([item for item in created if item.pk % FILE_EVERY == 0], storage, now)
        items, files = items + len(created), files + len(stored)
        for item in created:
            chain.add(
                "evidence.added",
                item,
                at=item.added_at,
                actor_id=item.added_by_id,
                label=item.title,
                data={
                    "title": item.title,
                    "category": item.category.slug,
                    "purpose": item.purpose,
                    "kind": item.kind,
                    "collected_on": item.collected_on,
                    "plan": item.plan.reference,
                    "action": item.action_id,
                    "location": item.location.name,
                    "assures_step": None,
                    "files": stored.get(item.pk, []),
                },
            )
    progress.table("evidence items and files", items + files, items, since)


def _store_files(items, storage, now):
    """A few hundred bytes each, under the server-made name evidence uploads get; returns their audit data."""
    rows, described = [], {}
    for item in items:
        content = f"Audit sheet for evidence {item.pk}: {item.title}\n" + "Record checked: met the standard.\n" * 8
        data = content.encode()
        sha = hashlib.sha256(data).hexdigest()
        name = f"evidence/{item.organisation_id}/{now:%Y/%m}/{sha}"
        path = Path(storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        original = f"audit-{item.pk}.txt"
        rows.append(
            EvidenceFile(
                evidence=item,
                file=name,
                original_name=original,
                content_type="text/plain",
                size=len(data),
                sha256=sha,
                uploaded_by_id=item.added_by_id,
                uploaded_at=item.added_at,
            )
        )
        described[item.pk] = [{"name": original, "content_type": "text/plain", "size": len(data), "sha256": sha}]
    bulk(EvidenceFile, rows)
    return described


def create_readings(actions, chain, progress):
    """A measure an action and a reading every week for the last ten weeks, climbing towards the target."""
    since = time.perf_counter()
    today, now = timezone.localdate(), timezone.now()
    last_sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    measures = readings = 0
    for start, batch in zip(range(0, len(actions), 2000), chunks(actions), strict=True):
        made = bulk(
            Measure,
            [
                Measure(
                    action=action,
                    name="Records sampled that meet the standard",
                    unit="%",
                    target=95,
                    baseline_value=65,
                    baseline_date=timezone.localdate(action.created_at),
                    data_source="Weekly audit of ten records",
                )
                for action in batch
            ],
        )
        for measure in made:
            chain.add(
                "measure.created",
                measure,
                at=measure.action.created_at,
                actor_id=measure.action.owner_id,
                label=measure.name,
                data={field: getattr(measure, field) for field in MEASURE_FIELDS},
            )
        rows = [
            MeasureReading(
                measure=measure,
                location_id=measure.action.location_id,
                period_end=last_sunday - timedelta(weeks=READINGS_PER_MEASURE - 1 - week),
                value=float(min(100, 65 + 3.5 * week + (n + week) % 4)),
                recorded_by_id=measure.action.owner_id,
                # Entered the day after the week ended, never later than now.
                recorded_at=min(now, day_start(last_sunday - timedelta(weeks=READINGS_PER_MEASURE - 2 - week))),
            )
            for n, measure in enumerate(made, start)
            for week in range(READINGS_PER_MEASURE)
        ]
        for reading in bulk(MeasureReading, rows):
            measure = reading.measure
            chain.add(
                "reading.recorded",
                reading,
                at=reading.recorded_at,
                actor_id=reading.recorded_by_id,
                label=f"{measure.name}: {reading.value} ({reading.period_end})",
                data={
                    "measure": measure.name,
                    "location": measure.action.location.name,
                    "period_end": reading.period_end,
                    "value": reading.value,
                    "numerator": None,
                    "denominator": None,
                    "meets_target": measure.meets_target(reading.value),
                    "note": "",
                },
            )
        measures, readings = measures + len(made), readings + len(rows)
    progress.table("measures and readings", measures + readings, measures + readings, since)
