"""A finished pack row with a stored file, for tests of the pages around packs (no PDF is laid out)."""

import hashlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from governance.models import Pack, PackScope, PackStatus

FAKE_PDF = b"%PDF-1.7\n% a stand-in pack\n%%EOF\n"


def ready_pack(*, organisation, requested_by, locations, plans=(), reference="PACK-2026-0001", **fields):
    today = timezone.localdate()
    pack = Pack(
        organisation=organisation,
        reference=reference,
        requested_by=requested_by,
        scope=PackScope.LOCATIONS,
        scope_text="Location: " + ", ".join(location.name for location in locations),
        date_from=today - timedelta(days=90),
        date_to=today,
        include_closed=True,
        redact=True,
        status=PackStatus.READY,
        progress=100,
        page_count=3,
        size=len(FAKE_PDF),
        sha256=hashlib.sha256(FAKE_PDF).hexdigest(),
        finished_at=timezone.now(),
        **fields,
    )
    pack.file.save(pack.filename(), ContentFile(FAKE_PDF), save=False)
    pack.save()
    pack.locations.set(locations)
    pack.chosen_locations.set(locations)
    pack.plans.set(plans)
    return pack
