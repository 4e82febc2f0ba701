"""Drop-folder connector: departments copy exports into a shared folder (共享目录).

A file is taken once it has settled (not modified for ``settle_seconds``), oldest first;
hidden files and files still being written (``*.part``, ``*.tmp``, Office's ``~$*`` lock
files) are left alone. After ingestion the caller moves the file away with ``mark_done`` (or
``mark_failed``), so the next fetch sees the next file.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, ClassVar

from shequ.hub.ingest.staging import IngestError

from .base import (
    Connector,
    Errors,
    Fetched,
    NothingToFetch,
    check_import_path,
    format_for,
    number_value,
    reject_unknown,
    require_mapping,
    text_value,
)

PARTIAL_PATTERNS = ("*.part", "*.tmp", "*.crdownload", "~$*")


class FolderConnector(Connector):
    """The oldest settled file in a watched folder, read in place (no copy)."""

    kind: ClassVar[str] = "folder"
    secret_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        config = require_mapping(config)
        errors = Errors()
        keys = {"path", "pattern", "done_dir", "failed_dir", "settle_seconds"}
        reject_unknown(config, keys, errors)
        path = text_value(config, "path", errors, required=True)
        if path and not Path(path).is_absolute():
            errors.add("path", "Must be an absolute directory path.")
        check_import_path("path", path, errors)
        pattern = text_value(config, "pattern", errors, required=False) or "*.*"
        if "/" in pattern or "\\" in pattern:
            errors.add("pattern", "Must match file names only, e.g. *.xlsx (no directories).")
        clean = {
            "path": path,
            "pattern": pattern,
            "done_dir": _side_dir(config, "done_dir", path, errors),
            "failed_dir": _side_dir(config, "failed_dir", path, errors),
            "settle_seconds": number_value(config, "settle_seconds", errors, default=2, minimum=0),
        }
        errors.raise_if_any()
        return clean

    @classmethod
    def pending(cls, config: Mapping[str, Any], *, now: float | None = None) -> list[Path]:
        """Settled files matching the pattern that readers understand, oldest first."""
        return [p for p in _candidates(cls.checked_config(config), now) if format_for(p.name)]

    @classmethod
    def fetch(cls, config: Mapping[str, Any], workdir: Path) -> Fetched:
        cfg = cls.checked_config(config)
        candidates = _candidates(cfg, None)
        readable = [p for p in candidates if format_for(p.name)]
        if not readable:
            raise NothingToFetch(f"folder {cfg['path']}: no settled file matching {cfg['pattern']}")
        path, fmt = readable[0], format_for(readable[0].name)
        assert fmt is not None
        notes = []
        if len(readable) > 1:
            notes.append(f"{len(readable) - 1} more file(s) waiting in {cfg['path']}")
        skipped = [p.name for p in candidates if not format_for(p.name)]
        if skipped:
            notes.append(f"ignored files of unknown type: {', '.join(skipped[:10])}")
        return Fetched(path=path, format=fmt, name=str(path), notes=notes)

    @classmethod
    def mark_done(cls, config: Mapping[str, Any], path: Path) -> Path:
        """Move an ingested file into ``done_dir``; return where it went."""
        cfg = cls.checked_config(config)
        return _move(cfg, Path(path), Path(cfg["done_dir"]))

    @classmethod
    def mark_failed(cls, config: Mapping[str, Any], path: Path) -> Path:
        """Move a file that could not be ingested into ``failed_dir`` so it stops blocking."""
        cfg = cls.checked_config(config)
        return _move(cfg, Path(path), Path(cfg["failed_dir"]))


def _side_dir(config: Mapping[str, Any], key: str, path: str, errors: Errors) -> str:
    """done_dir/failed_dir: absolute, or relative to the folder; default folder/done."""
    value = text_value(config, key, errors, required=False)
    default = key.removesuffix("_dir")
    return str(Path(path) / (value or default)) if path else value


def _candidates(cfg: dict[str, Any], now: float | None) -> list[Path]:
    folder = Path(cfg["path"])
    if not folder.is_dir():
        raise IngestError(f"folder {folder}: not a directory (or not reachable)")
    cutoff = (time.time() if now is None else now) - cfg["settle_seconds"]
    found: list[tuple[float, str, Path]] = []
    for entry in folder.iterdir():
        name = entry.name
        if name.startswith(".") or any(fnmatch(name, p) for p in PARTIAL_PATTERNS):
            continue
        if not fnmatch(name, cfg["pattern"]):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:  # moved away while we looked
            continue
        if entry.is_file() and stat.st_mtime <= cutoff:
            found.append((stat.st_mtime, name, entry))
    return [entry for _, _, entry in sorted(found)]


def _move(cfg: dict[str, Any], path: Path, target_dir: Path) -> Path:
    folder = Path(cfg["path"]).resolve()
    if path.resolve().parent != folder:
        raise IngestError(f"folder {folder}: {path} is not a file of this folder")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = target_dir / f"{path.stem}.{stamp}{path.suffix}"
        n = 1
        while target.exists():
            n += 1
            target = target_dir / f"{path.stem}.{stamp}-{n}{path.suffix}"
    return Path(shutil.move(path, target))
