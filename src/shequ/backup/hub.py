"""The hub's Delta tables at given committed versions, and the other files of SHEQU_DATA_DIR.

A Delta version is its log entries up to it (``_delta_log/<version>.json``, checkpoints) and
the data files they add. A commit writes its data files first and its log entry last, in one
atomic step: copying the log up to version *v* and the files it names gives exactly *v*,
whatever is committed meanwhile (version *v*+1's files and log entry are left behind). Files
that older versions added and a later version removed are copied too while they exist, so
the restored table travels back in time as far as the original.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from deltalake import DeltaTable

from shequ.backup.errors import BackupError
from shequ.backup.manifest import copy_file, entry
from shequ.hub.storage import version_rows

LOG = "_delta_log"
LOG_ENTRY = re.compile(r"^(\d{20})\.(json|checkpoint(\.\d+\.\d+)?\.parquet|crc)$")
# Left out of a backup: runs' files not yet committed, query slots and scratch space, running
# backups' pins (hub.services.vacuum), the health check's probe, images being written (moved
# into place when complete).
TRANSIENT_DIRS = {
    ("hub", "staging"),
    ("hub", "slots"),
    ("hub", "tmp"),
    ("hub", "tables"),
    ("hub", "pins"),
}
TRANSIENT_PREFIXES = (".health-", ".part-", ".shequ-restore-")
# The secrets shequ.settings keeps in SHEQU_VAR_DIR when their variables are unset.
SECRET_FILES = (
    "secret_key",
    "fernet_key",
    "pii_hmac_key",
    "parking_payment_secret",
    "payment_demo_secret",
    "access_signing_key",
    "demo_password",
)


def _log_files(table: Path, version: int) -> list[Path]:
    found = []
    for path in sorted((table / LOG).iterdir()):
        match = LOG_ENTRY.match(path.name)
        if (match and int(match.group(1)) <= version) or (
            path.name == "_last_checkpoint" and _checkpoint_version(path) <= version
        ):
            found.append(path)
    return found


def _checkpoint_version(path: Path) -> int:
    try:
        return int(json.loads(path.read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1 << 62  # unreadable: left out (delta-rs then lists the log itself)


def _added(log_files: list[Path]) -> set[str]:
    """The data files the JSON log entries add (relative paths inside the table)."""
    found: set[str] = set()
    for path in log_files:
        if path.suffix != ".json" or path.name == "_last_checkpoint":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            action = json.loads(line) if line.strip() else {}
            if "add" in action:
                found.add(unquote(action["add"]["path"]))
    return found


def _relative(table: Path, uri: str) -> str:
    """A data file's path inside its table, from delta-rs's path or ``file://`` URI of it."""
    path = unquote(uri.removeprefix("file://")) if uri.startswith("file://") else uri
    return Path(os.path.relpath(path, table)).as_posix()


def copy_table(source: Path, target: Path, version: int, root: Path) -> dict[str, Any]:
    """Copy the Delta table *source* as of *version* to *target*; its manifest entry."""
    try:
        table = DeltaTable(str(source), version=version)
    except Exception as exc:  # deltalake raises its own errors for a missing version
        raise BackupError(
            f"hub table {source.name}: version {version} cannot be read: {exc}"
        ) from exc
    active = {_relative(source, uri) for uri in table.file_uris()}
    logs = _log_files(source, version)
    files = []
    for name in sorted(active | _added(logs)):
        try:
            copy_file(source / name, target / name)
        except FileNotFoundError:
            if name in active:
                raise BackupError(
                    f"hub table {source.name}: data file {name} of version {version} is missing"
                ) from None
            continue  # removed by a vacuum after a later version dropped it: not needed
        files.append(entry(root, target / name))
    for path in logs:
        copy_file(path, target / LOG / path.name)
        files.append(entry(root, target / LOG / path.name))
    copied = DeltaTable(str(target))
    rows = version_rows(table)
    if copied.version() != version or version_rows(copied) != rows:
        raise BackupError(f"hub table {source.name}: the copy is not version {version}")
    return {"version": version, "rows": rows, "files": files}


def other_files(
    data_dir: Path, versions: dict[str, int], leave_out: frozenset[Path] = frozenset()
) -> Iterator[Path]:
    """The files of *data_dir* a backup holds besides the Delta tables.

    Statistics summaries only of versions up to the backed-up one (a later version's would
    name files the backup does not hold). *leave_out*: files never copied as files (the
    databases and the key files, should SHEQU_DATA_DIR be SHEQU_VAR_DIR itself).
    """
    if not data_dir.is_dir():
        return
    for path in sorted(data_dir.rglob("*")):
        parts = path.relative_to(data_dir).parts
        if path in leave_out:
            continue
        if parts[:2] in TRANSIENT_DIRS or any(p.startswith(TRANSIENT_PREFIXES) for p in parts):
            continue
        if path.suffix == ".tmp" or not path.is_file():
            continue
        if parts[:2] == ("hub", "stats") and not _summary_kept(parts, versions):
            continue
        yield path


def never_copied(var_dir: Path, database: str, queue: str) -> frozenset[Path]:
    """The live databases (with their journals) and the secrets kept in files."""
    found = {var_dir / name for name in SECRET_FILES}
    for db in (database, queue):
        found |= {Path(db + suffix) for suffix in ("", "-wal", "-shm", "-journal") if db}
    return frozenset(p.resolve() for p in found)


def _summary_kept(parts: tuple[str, ...], versions: dict[str, int]) -> bool:
    match = re.fullmatch(r"v(\d+)\.json", parts[-1]) if len(parts) == 4 else None
    if match is None or parts[2] not in versions:
        return False
    return int(match.group(1)) <= versions[parts[2]]
