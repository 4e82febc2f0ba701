"""`shequ restore`: a verified backup into an empty installation, all of it or nothing.

Order: refusals that cost nothing (another engine, a non-empty installation, keys that
cannot read the data), then every file's checksum, then the data files into a hidden
staging folder beside SHEQU_DATA_DIR and the database into a temporary file (SQLite) or one
transaction (PostgreSQL), each checked against the manifest's versions, counts and checksums;
only then are they renamed into place. A failure at any step leaves the installation empty.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from deltalake import DeltaTable
from django.conf import settings
from django.db import connections

from shequ.backup import database, hub, keys, manifest
from shequ.backup.database import Database
from shequ.backup.errors import BackupError
from shequ.hub.storage import version_rows


def restore(
    source: Path,
    *,
    target: Database | None = None,
    data_dir: Path | None = None,
    ignore_keys: bool = False,
) -> dict[str, Any]:
    """Restore the backup in *source* into this (empty) installation; its manifest.

    *target* and *data_dir*: another database and data folder than the settings' (tests).
    """
    source = source.resolve()
    found = manifest.read(source)
    db = target or Database.from_settings(connections["default"].settings_dict)
    data_dir = data_dir or Path(settings.DATA_DIR)
    if found["database"]["engine"] != db.engine:
        raise BackupError(
            f"the backup is of a {found['database']['engine']} database and this installation "
            f"uses {db.engine}: restore into the same engine"
        )
    refuse_non_empty(db, data_dir)
    if not ignore_keys and (why := keys.mismatch(found["keys"]["fingerprints"])):
        where = (
            f"; the backup holds its keys in {source / 'keys' / 'keys.env'}"
            if found["keys"].get("included")
            else ""
        )
        raise BackupError(
            f"this installation's keys cannot read the backup's personal data ({why}): "
            f"set the backup's keys (environment, .env or the key files in SHEQU_VAR_DIR) "
            f"before restoring{where}"
        )
    manifest.verify(source)
    staging = data_dir.parent / f".shequ-restore-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    sqlite_temp = Path(db.name + f".restore-{os.getpid()}") if db.engine == "sqlite" else None
    try:
        _stage_data(source, found, staging)
        if sqlite_temp is not None:
            manifest.copy_file(source / found["database"]["file"]["path"], sqlite_temp)
            _check_tables(found, database.sqlite_digests(sqlite_temp))
        else:
            dump = source / found["database"]["file"]["path"]
            database.restore_postgres(db, dump, found["database"]["tool"])
            try:
                _check_tables(found, database.postgres_digests(db))
            except BackupError:
                database.drop_postgres_tables(db)
                raise
        _move_into_place(staging, data_dir, db, sqlite_temp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if sqlite_temp is not None:
            sqlite_temp.unlink(missing_ok=True)
    return found


def refuse_non_empty(db: Database, data_dir: Path) -> None:
    """A BackupError when the installation holds a database table or a stored file."""
    if db.engine == "sqlite":
        tables = database.sqlite_tables_at(Path(db.name))
    else:
        tables = database.postgres_tables(db)
    stored = list(hub.other_files(data_dir, {}))
    tables_dir = data_dir / "hub" / "tables"
    stored += sorted(tables_dir.iterdir()) if tables_dir.is_dir() else []
    problems = []
    if tables:
        problems.append(f"its database {db.name} has {len(tables)} tables")
    if stored:
        problems.append(
            f"{data_dir} holds {len(stored)} files or tables"
            f" (e.g. {stored[0].relative_to(data_dir)})"
        )
    if problems:
        raise BackupError(
            "refusing to restore into an installation that is not empty: "
            + "; ".join(problems)
            + ". Restore into a new SHEQU_VAR_DIR (and a new, empty database)."
        )


def _stage_data(source: Path, found: dict[str, Any], staging: Path) -> None:
    staging.mkdir(parents=True)  # also for a backup without data files
    for item in manifest.entries(found):
        if item["path"].startswith("data/"):
            manifest.copy_file(source / item["path"], staging / item["path"].removeprefix("data/"))
    for key, table in found["hub"].items():
        copied = DeltaTable(str(staging / "hub" / "tables" / key))
        if copied.version() != table["version"] or version_rows(copied) != table["rows"]:
            raise BackupError(f"hub table {key} did not restore as version {table['version']}")


def _check_tables(found: dict[str, Any], restored: dict[str, dict[str, Any]]) -> None:
    expected = found["database"]["tables"]
    differ = sorted(
        t for t in expected.keys() | restored.keys() if expected.get(t) != restored.get(t)
    )
    if differ:
        raise BackupError(
            f"the restored database differs from the backup's counts or checksums in: "
            f"{', '.join(differ[:10])}; nothing was restored"
        )


def _move_into_place(staging: Path, data_dir: Path, db: Database, sqlite_temp: Path | None) -> None:
    moved: list[tuple[Path, Path]] = []
    try:
        _merge(staging, data_dir, moved)
        if sqlite_temp is not None:
            target = Path(db.name)
            for suffix in ("-wal", "-shm"):  # the empty database's, if anything opened it
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(sqlite_temp, target)
    except BaseException:
        for origin, placed in reversed(moved):
            os.replace(placed, origin)
        if sqlite_temp is None:
            database.drop_postgres_tables(db)
        raise


def _merge(source: Path, target: Path, moved: list[tuple[Path, Path]]) -> None:
    """Rename each entry of *source* into *target*, descending where *target* has a folder."""
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        placed = target / item.name
        if placed.is_dir() and item.is_dir():
            _merge(item, placed, moved)
        else:
            os.replace(item, placed)
            moved.append((item, placed))
