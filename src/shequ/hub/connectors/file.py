"""File connector: one uploaded or local file, read where it is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from shequ.hub.ingest.readers import FORMATS
from shequ.hub.ingest.staging import IngestError

from .base import (
    Connector,
    Errors,
    Fetched,
    check_import_path,
    format_for,
    reject_unknown,
    require_mapping,
    text_value,
)


class FileConnector(Connector):
    """A single file; its format comes from the extension unless ``format`` says otherwise."""

    kind: ClassVar[str] = "file"
    secret_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        config = require_mapping(config)
        errors = Errors()
        reject_unknown(config, {"path", "format", "name"}, errors)
        path = text_value(config, "path", errors, required=True)
        check_import_path("path", path, errors)
        fmt = text_value(config, "format", errors, required=False).lower()
        if fmt and fmt not in FORMATS:
            errors.add("format", f"Must be one of {', '.join(FORMATS)}.")
        elif path and not fmt and format_for(path) is None:
            errors.add("path", f"Unknown file type {Path(path).suffix or '(none)'}; set format.")
        clean = {
            "path": path,
            "format": fmt,
            "name": text_value(config, "name", errors, required=False),  # e.g. upload name
        }
        errors.raise_if_any()
        return clean

    @classmethod
    def fetch(cls, config: Mapping[str, Any], workdir: Path) -> Fetched:
        cfg = cls.checked_config(config)
        path = Path(cfg["path"])
        if not path.is_file():
            raise IngestError(f"file {path}: not found (or not a regular file)")
        fmt = cfg["format"] or format_for(path.name)
        assert fmt is not None
        return Fetched(path=path, format=fmt, name=cfg["name"] or path.name, notes=[])
