"""`shequ backup`: the database snapshot first, then the hub at the versions it names."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

import shequ
from shequ.backup import hub, keys, manifest
from shequ.backup.database import Database, snapshot_postgres, snapshot_sqlite
from shequ.backup.errors import BackupError
from shequ.hub.pins import backup_pin

ROTATED = re.compile(r"^shequ-\d{8}T\d{6}Z$")


def make_backup(
    target: Path,
    *,
    include_keys: bool = False,
    alias: str = "default",
    after_database: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Write a backup of this installation into the new folder *target*; its manifest.

    Written into a sibling folder first and renamed when complete and verified: a folder
    named *target* is always a whole backup. *after_database* (tests) runs once the database
    snapshot is taken, before the hub is copied.
    """
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists: a backup goes into a new folder")
    work = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        # Taken before the database names the versions: no replaced file is expired meanwhile.
        with backup_pin():
            found = _write(work, alias, include_keys, after_database)
        manifest.verify(work)
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return found


def _write(
    work: Path, alias: str, include_keys: bool, after_database: Callable[[], None] | None
) -> dict[str, Any]:
    started = time.monotonic()
    created = timezone.localtime(timezone.now()).isoformat(timespec="seconds")
    db = Database.from_settings(connections[alias].settings_dict)
    (work / "database").mkdir()
    if db.engine == "sqlite":
        connection = connections[alias]
        connection.ensure_connection()
        snap = snapshot_sqlite(connection.connection, work / "database" / "shequ.sqlite3")
    else:
        snap = snapshot_postgres(db, work / "database" / "shequ.pgdump")
    if after_database is not None:
        after_database()
    data_dir = Path(settings.DATA_DIR).resolve()
    tables = {}
    for key, version in sorted(snap.datasets.items()):
        source = data_dir / "hub" / "tables" / key
        tables[key] = hub.copy_table(source, work / "data" / "hub" / "tables" / key, version, work)
    files = []
    leave_out = hub.never_copied(
        Path(settings.VAR_DIR), db.name if db.engine == "sqlite" else "", _queue_file()
    )
    for path in hub.other_files(data_dir, snap.datasets, leave_out):
        copy = work / "data" / path.relative_to(data_dir)
        try:
            manifest.copy_file(path, copy)
        except FileNotFoundError:
            continue  # removed while the backup ran (a temporary file)
        files.append(manifest.entry(work, copy))
    key_info: dict[str, Any] = {"included": include_keys, "fingerprints": keys.fingerprints()}
    if include_keys:
        path = work / "keys" / "keys.env"
        path.parent.mkdir(mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(keys.env_file())
        key_info["file"] = manifest.entry(work, path)
    found = {
        "format": manifest.FORMAT,
        "shequ_version": shequ.__version__,
        "created_at": created,
        "finished_at": timezone.localtime(timezone.now()).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 3),
        "database": {
            "engine": db.engine,
            "file": manifest.entry(work, snap.file),
            "server_version": snap.server_version,
            "tool": snap.tool,
            "tables": snap.tables,
        },
        "hub": tables,
        "files": files,
        "keys": key_info,
    }
    manifest.write(work, found)
    return found


def _queue_file() -> str:
    return str(settings.HUEY.get("filename", "")) if isinstance(settings.HUEY, dict) else ""


def rotate(folder: Path, keep: int, **options: Any) -> tuple[Path, dict[str, Any], list[Path]]:
    """A new backup ``folder/shequ-<UTC time>``, then all but the newest *keep* removed.

    Only complete backups count and only they are removed (names of that form holding a
    manifest); a partial one of a backup that died is removed once it is a day old.
    """
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / datetime.now(UTC).strftime("shequ-%Y%m%dT%H%M%SZ")
    found = make_backup(target, **options)
    complete = sorted(
        p for p in folder.iterdir() if ROTATED.match(p.name) and (p / manifest.NAME).is_file()
    )
    removed = complete[:-keep]
    for path in removed:
        shutil.rmtree(path)
    for path in folder.glob(".shequ-*.partial-*"):
        if time.time() - path.stat().st_mtime > 86400:
            shutil.rmtree(path, ignore_errors=True)
    return target, found, removed
