"""Everything a restore checks before it writes: the archive's checksums, then the database and MEDIA_ROOT."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Q

from qip.backup import manifest as layout
from qip.backup.rows import columns, read_rows
from qip.backup.scope import REFERENCE, TABLES

DAMAGED = "The archive has been changed or damaged since it was made: {what}. Nothing was restored."


def _listed_members(manifest):
    names = {layout.MANIFEST}
    names.update(entry["file"] for entry in manifest["reference"] + manifest["tables"])
    names.update(layout.file_member(entry["name"]) for entry in manifest["files"])
    return names


def _members_on_disk(folder):
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file() or path.is_symlink()}


def _count_lines(path):
    with open(path, "rb") as handle:
        return sum(1 for _line in handle)


def check_archive(folder, manifest):
    """Every member is listed, present and matches its SHA-256 (and its row count) in the manifest."""
    expected_tables = list(REFERENCE) + [label for label, _lookup, _source in TABLES]
    entries = manifest["reference"] + manifest["tables"]
    found_tables = [entry["model"] for entry in entries]
    if found_tables != expected_tables or any(entry["file"] != layout.data_name(entry["model"]) for entry in entries):
        raise layout.BackupError("The archive's tables are not the ones this version of the app restores.")
    for entry in manifest["files"]:
        if not layout.safe_stored_name(entry["name"]):
            raise layout.BackupError(f"The archive names a stored file outside MEDIA_ROOT ({entry['name']!r}).")
    listed, on_disk = _listed_members(manifest), _members_on_disk(folder)
    if missing := sorted(listed - on_disk):
        raise layout.BackupError(DAMAGED.format(what=f"{missing[0]} is missing ({len(missing)} members in all)"))
    if extra := sorted(on_disk - listed):
        raise layout.BackupError(DAMAGED.format(what=f"{extra[0]} is not in its manifest"))
    for entry in entries:
        path = folder / entry["file"]
        if layout.sha256_path(path) != entry["sha256"]:
            raise layout.BackupError(DAMAGED.format(what=f"{entry['file']} does not match its SHA-256"))
        if _count_lines(path) != entry["rows"]:
            raise layout.BackupError(DAMAGED.format(what=f"{entry['file']} does not hold {entry['rows']} rows"))
    for entry in manifest["files"]:
        member = layout.file_member(entry["name"])
        path = folder / member
        if layout.sha256_path(path) != entry["sha256"] or path.stat().st_size != entry["size"]:
            raise layout.BackupError(DAMAGED.format(what=f"{member} does not match its SHA-256"))


def _check_schema(manifest):
    here, there = layout.migration_state(connection), manifest["migrations"]
    if there != here:
        behind = sorted(f"{app}.{name}" for app in there for name in set(there[app]) - set(here.get(app, [])))
        ahead = sorted(f"{app}.{name}" for app in here for name in set(here[app]) - set(there.get(app, [])))
        raise layout.BackupError(
            "This database's migrations differ from those of the export "
            f"(only in the export: {', '.join(behind) or 'none'}; only here: {', '.join(ahead) or 'none'}). "
            "Restore with the version of the app that made the export, then upgrade."
        )
    for entry in manifest["reference"] + manifest["tables"]:
        if entry["columns"] != columns(apps.get_model(entry["model"])):
            raise layout.BackupError(f"The columns of {entry['model']} in the export differ from this database's.")


def _check_empty(folder, manifest):
    for label in ("qip.organisation", "qip.plan"):
        if apps.get_model(label)._base_manager.exists():
            raise layout.BackupError(
                "This database already holds organisations or plans; an organisation is restored only into "
                "an empty database (migrated, with nothing else in it). Nothing was restored."
            )
    users = next(entry for entry in manifest["tables"] if entry["model"] == "qip.user")
    people = list(read_rows(folder / users["file"]))
    ids = [row["id"] for row in people]
    emails = [row["email"].lower() for row in people]
    clash = get_user_model()._base_manager.filter(Q(pk__in=ids) | Q(email__in=emails)).order_by("pk").first()
    if clash is not None:
        raise layout.BackupError(
            f"This database already has a user ({clash.email}, id {clash.pk}) that clashes with a user in the "
            "export; restore before creating anyone. Nothing was restored."
        )


def _check_media(manifest):
    """Stored names already taken: the same content is left in place; other content is refused."""
    present = set()
    for entry in manifest["files"]:
        if not default_storage.exists(entry["name"]):
            continue
        with default_storage.open(entry["name"], "rb") as handle:
            if layout.sha256_of(handle) != entry["sha256"]:
                raise layout.BackupError(
                    f"MEDIA_ROOT already holds a different file at {entry['name']}. Nothing was restored."
                )
        present.add(entry["name"])
    return present


def check_destination(folder, manifest):
    """The database is empty and at the export's schema; returns the stored files already in place."""
    _check_schema(manifest)
    _check_empty(folder, manifest)
    return _check_media(manifest)
