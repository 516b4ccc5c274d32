"""Restore one organisation from an archive into an empty database, checking everything first.

Order: unpack; check every member against the manifest's SHA-256; check the database is empty and
at the export's migrations; then, in one transaction, match the CQC reference data, insert every
row with its original primary key (audit events keep their seq and hashes, so the chain verifies),
reset PostgreSQL's sequences, verify the audit chain and copy the stored files into MEDIA_ROOT.
Any failure rolls the transaction back and removes the files this restore wrote.
"""

import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from qip.audit import chain_key, verify_chain
from qip.backup import manifest as layout
from qip.backup.checks import DAMAGED, check_archive, check_destination
from qip.backup.rows import file_columns, python_values, read_rows, relation_columns
from qip.backup.scope import REFERENCE, TABLES


@dataclass
class RestoreSummary:
    organisation: str
    rows: int
    tables: int
    reference_added: int
    files: int
    file_bytes: int
    chain_events: int
    seconds: float


def _unpack(archive, folder):
    if not Path(archive).is_file():
        raise layout.BackupError(f"There is no archive at {archive}.")
    try:
        with tarfile.open(archive, "r:*") as tar:
            # The "data" filter refuses absolute names, "..", links out of the folder and device files.
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, EOFError):
        raise layout.BackupError(
            f"{archive} is not a readable .tar or .tar.gz archive (damaged or cut short?)."
        ) from None
    except OSError as error:
        raise layout.BackupError(f"{archive} could not be unpacked: {error}.") from None
    manifest_path = folder / layout.MANIFEST
    if not manifest_path.is_file():
        raise layout.BackupError(f"{archive} has no manifest.json: it is not an organisation export.")
    return layout.load(manifest_path.read_text(encoding="utf-8"))


def _restore_reference(folder, manifest):
    """{label: {id in the export: id here}}, inserting only the reference rows this database lacks."""
    maps, added = {}, 0
    for entry in manifest["reference"]:
        label = entry["model"]
        model = apps.get_model(label)
        parents = relation_columns(model, maps)
        mapping = maps[label] = {}
        for row in read_rows(folder / entry["file"]):
            for column, parent in parents.items():
                row[column] = maps[parent][row[column]]
            values = python_values(model, row)
            exported_id = values.pop(model._meta.pk.attname)
            key = {name: values[name] for name in REFERENCE[label]}
            found = model._base_manager.filter(**key).values_list("pk", flat=True).first()
            if found is None:
                found, added = model._base_manager.create(**values).pk, added + 1
            mapping[exported_id] = found
    return maps, added


def _insert(model, rows):
    fields = model._meta.local_concrete_fields
    size = max(1, min(500, connection.ops.bulk_batch_size(fields, range(500))))
    batch = []
    for row in rows:
        batch.append(model(**python_values(model, row)))
        if len(batch) == size:
            # raw=True writes the values as they are: no auto_now, no defaults, no signals.
            model._base_manager._insert(batch, fields=fields, raw=True, using=connection.alias)
            batch = []
    if batch:
        model._base_manager._insert(batch, fields=fields, raw=True, using=connection.alias)


def _rows(folder, entry, model, maps, stored):
    """The table's rows with reference ids translated; notes the stored files they name."""
    references = relation_columns(model, maps)
    files = file_columns(model)
    for row in read_rows(folder / entry["file"]):
        for column, label in references.items():
            if row[column] is not None:
                if row[column] not in maps[label]:
                    raise layout.BackupError(DAMAGED.format(what=f"{entry['model']} refers to a missing {label}"))
                row[column] = maps[label][row[column]]
        stored.update(row[name] for name in files if row[name])
        yield row


def _restore_rows(folder, manifest):
    maps, added = _restore_reference(folder, manifest)
    stored = set()
    for entry in manifest["tables"]:
        model = apps.get_model(entry["model"])
        _insert(model, _rows(folder, entry, model, maps, stored))
    if unlisted := stored - {entry["name"] for entry in manifest["files"]}:
        raise layout.BackupError(DAMAGED.format(what=f"a row names the stored file {min(unlisted)}, not in it"))
    models = [apps.get_model(label) for label in list(REFERENCE) + [table[0] for table in TABLES]]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    return added


def _check_chain(manifest, accept_broken_chain):
    report = verify_chain(chain_key(manifest["organisation"]["id"]))
    if not report.intact and not accept_broken_chain:
        raise layout.BackupError(
            f"The audit chain in the export is broken at event {report.seq}: {report.problem}. Nothing was "
            "restored; --accept-broken-chain restores it as it is (keep the archive as evidence)."
        )
    return report.events


def _copy_files(folder, manifest, present, written):
    for entry in manifest["files"]:
        if entry["name"] in present:
            continue
        with open(folder / layout.file_member(entry["name"]), "rb") as handle:
            saved = default_storage.save(entry["name"], File(handle, name=entry["name"]))
        written.append(saved)
        with default_storage.open(saved, "rb") as handle:
            copied = layout.sha256_of(handle)
        if saved != entry["name"] or copied != entry["sha256"]:
            raise layout.BackupError(f"{entry['name']} could not be written back to MEDIA_ROOT unchanged.")


def import_archive(archive, *, accept_broken_chain=False):
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="qip-restore-") as tmp:
        folder = Path(tmp)
        manifest = _unpack(archive, folder)
        check_archive(folder, manifest)
        present = check_destination(folder, manifest)
        written = []
        try:
            with transaction.atomic():
                added = _restore_rows(folder, manifest)
                events = _check_chain(manifest, accept_broken_chain)
                _copy_files(folder, manifest, present, written)
        except DatabaseError as error:
            _remove(written)
            raise layout.BackupError(f"The database refused the restore ({error}). Nothing was restored.") from error
        except BaseException:
            _remove(written)
            raise
    return RestoreSummary(
        organisation=manifest["organisation"]["name"],
        rows=sum(entry["rows"] for entry in manifest["tables"]),
        tables=len(manifest["tables"]),
        reference_added=added,
        files=len(manifest["files"]),
        file_bytes=sum(entry["size"] for entry in manifest["files"]),
        chain_events=events,
        seconds=time.monotonic() - started,
    )


def _remove(names):
    for name in names:
        default_storage.delete(name)
