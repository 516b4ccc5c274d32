"""Write one organisation's rows and stored files into an archive with a manifest of checksums."""

import hashlib
import io
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import django
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from qip.audit import chain_key, verify_chain
from qip.backup import manifest as layout
from qip.backup.rows import columns, file_columns, to_line, user_columns
from qip.backup.scope import CHAIN, ORGANISATION, REFERENCE, TABLES

ID_BATCH = 500


@dataclass
class ExportSummary:
    organisation: str
    rows: int
    tables: int
    files: int
    file_bytes: int
    archive_bytes: int
    sha256: str
    chain_events: int
    chain_intact: bool
    seconds: float


class _HashingWriter:
    """Counts and hashes the archive as it is written, so its SHA-256 can be printed for the record."""

    def __init__(self, raw):
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def write(self, data):
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)


class _HashingReader:
    def __init__(self, raw):
        self.raw, self.digest = raw, hashlib.sha256()

    def read(self, size=-1):
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def _member(tar, name, size, fileobj):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(time.time())
    tar.addfile(info, fileobj)


def _querysets(model, lookup, source, organisation, people):
    manager = model._base_manager
    if source == CHAIN:
        yield manager.filter(chain=chain_key(organisation))
    elif source == ORGANISATION:
        # A semi-join: a path through a reverse relation (digests to notifications) would repeat rows.
        yield manager.filter(pk__in=manager.filter(**{lookup: organisation.pk}).values("pk"))
    else:  # PEOPLE
        ids = sorted(people)
        for start in range(0, len(ids), ID_BATCH):
            yield manager.filter(**{f"{lookup}__in": ids[start : start + ID_BATCH]})


class _Writer:
    def __init__(self, tar, staging):
        self.tar, self.staging = tar, staging
        self.people, self.stored = set(), set()
        self.user_model = get_user_model()

    def table(self, label, querysets):
        model = apps.get_model(label)
        names = columns(model)
        people = user_columns(model, self.user_model)
        stored = file_columns(model)
        path = self.staging / f"{label}.jsonl"
        digest, count = hashlib.sha256(), 0
        with open(path, "wb") as out:
            for queryset in querysets:
                for values in queryset.order_by("pk").values_list(*names).iterator(chunk_size=2000):
                    line = to_line(names, values)
                    digest.update(line)
                    out.write(line)
                    count += 1
                    row = dict(zip(names, values, strict=True))
                    self.people.update(row[name] for name in people if row[name] is not None)
                    self.stored.update(row[name] for name in stored if row[name])
        with open(path, "rb") as handle:
            _member(self.tar, layout.data_name(label), path.stat().st_size, handle)
        path.unlink()
        return {
            "model": label,
            "file": layout.data_name(label),
            "rows": count,
            "sha256": digest.hexdigest(),
            "columns": names,
        }

    def files(self):
        entries = []
        for name in sorted(self.stored):
            if not default_storage.exists(name):
                raise layout.BackupError(f"The stored file {name} is missing from MEDIA_ROOT; nothing was exported.")
            size = default_storage.size(name)
            with default_storage.open(name, "rb") as handle:
                reader = _HashingReader(handle)
                _member(self.tar, layout.file_member(name), size, reader)
            entries.append({"name": name, "size": size, "sha256": reader.digest.hexdigest()})
        return entries


def _repeatable_read(outermost):
    # One consistent view of the organisation while it is read (SQLite's transaction already is one).
    # Only the first statement of a transaction may set this; inside a caller's transaction, theirs holds.
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _write(tar, staging, organisation):
    writer = _Writer(tar, staging)
    reference = [writer.table(label, [apps.get_model(label)._base_manager.all()]) for label in REFERENCE]
    # People last: they are whoever the organisation's rows refer to.
    later = {"qip.user", "governance.notificationpreference"}
    order = [table for table in TABLES if table[0] not in later] + [table for table in TABLES if table[0] in later]
    tables = {}
    for label, lookup, source in order:
        model = apps.get_model(label)
        tables[label] = writer.table(label, _querysets(model, lookup, source, organisation, writer.people))
    files = writer.files()
    chain = verify_chain(chain_key(organisation))
    manifest = {
        "format": layout.FORMAT,
        "format_version": layout.FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "django": django.get_version(),
        "database": connection.vendor,
        "migrations": layout.migration_state(connection),
        "organisation": {"id": organisation.pk, "name": organisation.name},
        "chain": {"key": chain.chain, "events": chain.events, "intact": chain.intact, "problem": chain.problem},
        "reference": reference,
        "tables": [tables[label] for label, _lookup, _source in TABLES],
        "files": files,
    }
    raw = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    _member(tar, layout.MANIFEST, len(raw), io.BytesIO(raw))
    return manifest


def export_organisation(organisation, output):
    """Write the archive to `output` (.tar, or .tar.gz / .tgz to compress) and return what it holds."""
    started = time.monotonic()
    output = Path(output)
    mode = "w|gz" if output.name.endswith((".gz", ".tgz")) else "w|"
    partial = output.with_name(output.name + ".partial")
    outermost = not connection.in_atomic_block
    try:
        with (
            tempfile.TemporaryDirectory(prefix="qip-export-") as staging,
            transaction.atomic(),
            open(partial, "wb") as raw,
        ):
            _repeatable_read(outermost)
            sink = _HashingWriter(raw)
            with tarfile.open(fileobj=sink, mode=mode) as tar:
                manifest = _write(tar, Path(staging), organisation)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(
        organisation=organisation.name,
        rows=sum(table["rows"] for table in manifest["tables"]),
        tables=len(manifest["tables"]),
        files=len(manifest["files"]),
        file_bytes=sum(entry["size"] for entry in manifest["files"]),
        archive_bytes=sink.size,
        sha256=sink.digest.hexdigest(),
        chain_events=manifest["chain"]["events"],
        chain_intact=manifest["chain"]["intact"],
        seconds=time.monotonic() - started,
    )
