"""The manifest of a backup: what it holds, with each file's size and SHA-256.

Format 1 (``manifest.json``)::

    {"format": 1, "shequ_version": "0.1.0", "created_at": "2026-12-07T20:44:04+08:00",
     "finished_at": ..., "seconds": 4.2,
     "database": {"engine": "sqlite" | "postgresql", "file": {path, size, sha256},
                  "server_version": ..., "tool": "pg_dump 15.20" | "sqlite3 3.40.1",
                  "tables": {name: {"rows": n, "checksum": sha256 of the rows in key order}}},
     "hub": {name: {"version": v, "rows": n, "files": [{path, size, sha256}, ...]}},
     "files": [{path, size, sha256}, ...],            # the rest of SHEQU_DATA_DIR
     "keys": {"included": false, "fingerprints": {"fernet": [...], "pii_hmac": "..."}}}

Paths are relative to the backup folder, with ``/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from shequ.backup.errors import BackupError

FORMAT = 1
NAME = "manifest.json"
CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def entry(root: Path, path: Path) -> dict[str, Any]:
    """The manifest entry of *path*, a file inside the backup folder *root*."""
    return {
        "path": path.relative_to(root).as_posix(),
        "size": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def copy_file(source: Path, target: Path) -> None:
    """Copy *source* to *target* (parents made), contents only, then sync it to disk."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def write(root: Path, manifest: dict[str, Any]) -> None:
    path = root / NAME
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def read(root: Path) -> dict[str, Any]:
    path = root / NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{root} is not a shequ backup: it has no {NAME}") from None
    except ValueError as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BackupError(f"{path}: backup format {found!r}; this shequ reads format {FORMAT} only")
    return manifest


def entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file the manifest lists."""
    found = [manifest["database"]["file"]]
    for table in manifest["hub"].values():
        found += table["files"]
    found += manifest["files"]
    if manifest["keys"].get("file"):
        found.append(manifest["keys"]["file"])
    return found


def verify(root: Path) -> dict[str, Any]:
    """The manifest of the backup in *root*, once every file it lists has its size and SHA-256
    and no other file is there; else a BackupError naming the files that differ."""
    manifest = read(root)
    problems: list[str] = []
    listed = set()
    for item in entries(manifest):
        path = root / item["path"]
        listed.add(item["path"])
        if not path.is_file():
            problems.append(f"missing: {item['path']}")
        elif path.stat().st_size != item["size"]:
            problems.append(f"size differs: {item['path']}")
        elif sha256_file(path) != item["sha256"]:
            problems.append(f"checksum differs: {item['path']}")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if relative != NAME and relative not in listed:
            problems.append(f"not in the manifest: {relative}")
    if problems:
        shown = "; ".join(problems[:10]) + (
            f" (and {len(problems) - 10} more)" * (len(problems) > 10)
        )
        raise BackupError(f"the backup in {root} does not match its manifest: {shown}")
    return manifest
