"""The archive's layout and the checks that export and restore share.

An archive (tar, optionally gzip-compressed) holds:

    data/<app>.<model>.jsonl   one JSON object per row, keyed by column (attname), primary key included
    files/<stored name>        every stored file the rows refer to, at its name under MEDIA_ROOT
    manifest.json              format, migrations, organisation, row counts and SHA-256 of every member
"""

import hashlib
import json
from pathlib import PurePosixPath

from django.db.migrations.recorder import MigrationRecorder

from qip.backup.scope import PROJECT_APPS

FORMAT = "qip-organisation-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
REQUIRED = ("migrations", "organisation", "chain", "reference", "tables", "files")


class BackupError(Exception):
    """Why an export or a restore was refused, in a sentence for the person running it."""


def data_name(label):
    return f"data/{label}.jsonl"


def file_member(name):
    return f"files/{name}"


def sha256_of(fileobj):
    digest = hashlib.sha256()
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_path(path):
    with open(path, "rb") as handle:
        return sha256_of(handle)


def migration_state(connection):
    """Applied migrations of the project's apps: an archive goes back into the same schema."""
    applied = MigrationRecorder(connection).applied_migrations()
    return {app: sorted(name for label, name in applied if label == app) for app in PROJECT_APPS}


def safe_stored_name(name):
    """A stored file's name must stay inside MEDIA_ROOT when it is written back."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def load(raw):
    try:
        manifest = json.loads(raw)
    except ValueError as error:
        raise BackupError(f"The archive's manifest.json is not valid JSON ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This is not an organisation export: manifest.json does not name the format.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This export is format version {manifest.get('format_version')}; "
            f"this version of the app reads version {FORMAT_VERSION}."
        )
    if missing := [key for key in REQUIRED if key not in manifest]:
        raise BackupError(f"The archive's manifest.json lacks {', '.join(missing)}: it is damaged.")
    return manifest
