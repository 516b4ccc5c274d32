"""Backup and restore of one organisation: an archive of its rows and stored files, with checksums.

`export.export_organisation()` writes the archive; `restore.import_archive()` restores it into a
database that holds no organisation yet. `scope` says which rows belong to an organisation and in
what order they go back; `manifest` holds the archive's format and the checks both sides share.
"""
