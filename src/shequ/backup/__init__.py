"""Backup and restore of an installation: the platform database and the hub (docs/operations.md).

A backup is a folder: ``manifest.json``, ``database/`` (an SQLite copy or a ``pg_dump``
archive), ``data/`` (the hub's Delta tables at the versions the database names, and the other
stored files of ``SHEQU_DATA_DIR``) and, only when asked, ``keys/keys.env``.
"""

from shequ.backup.errors import BackupError
from shequ.backup.make import make_backup, rotate
from shequ.backup.manifest import verify
from shequ.backup.restore import restore

__all__ = ["BackupError", "make_backup", "restore", "rotate", "verify"]
