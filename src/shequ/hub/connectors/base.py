"""What every connector is: it fetches a source's input into a local file.

A connector does not parse rows. It brings the upstream input (an API's pages, a database
table, a portal's resource, a dropped file) to a local path and says which format it is in;
``shequ.hub.ingest.readers`` then turns that file into rows.

Connectors are stateless: every method is a classmethod taking the source's ``config``, so
``CONNECTORS[kind].fetch(config, workdir)`` and ``CONNECTORS[kind]().fetch(...)`` both work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from shequ.hub.ingest.readers import EXTENSION_FORMATS
from shequ.hub.ingest.staging import IngestError

# What a connector picks up by its name: the readers' formats, not a .txt (a folder's notes).
PICKED_UP = {ext: fmt for ext, fmt in EXTENSION_FORMATS.items() if ext != ".txt"}


@dataclass
class Fetched:
    """A fetched input: a local file, its format, and where it came from."""

    path: Path
    format: str  # "jsonl" | "parquet" | "csv" | "xlsx" | "xls" | "json"
    name: str  # URL or description for people; never holds a secret
    notes: list[str] = field(default_factory=list)


class NothingToFetch(IngestError):
    """The source has no new input right now (e.g. an empty drop folder): skip, don't fail."""


class Connector:
    """Base of every connector; subclasses set ``kind`` and implement the two classmethods."""

    kind: ClassVar[str] = ""
    # Config keys whose values must be stored encrypted (the whole value, even a dict).
    secret_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Return the config with defaults filled in, or raise ValidationError({key: message})."""
        raise NotImplementedError

    @classmethod
    def fetch(cls, config: Mapping[str, Any], workdir: Path) -> Fetched:
        """Bring the input into ``workdir`` (or point at it) and say what it is."""
        raise NotImplementedError

    @classmethod
    def checked_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """``validate_config`` for use at fetch time, where a bad config is an IngestError."""
        try:
            return cls.validate_config(config)
        except ValidationError as exc:
            raise IngestError(f"{cls.kind} source: invalid configuration: {describe(exc)}") from exc


def describe(exc: ValidationError) -> str:
    """One line naming each bad key and what is wrong with it."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Errors:
    """Collects ``{key: message}`` while validating, so one ValidationError names every key."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))


def require_mapping(config: object) -> Mapping[str, Any]:
    if not isinstance(config, Mapping):
        raise ValidationError({NON_FIELD_ERRORS: "The configuration must be a JSON object."})
    return config


def reject_unknown(config: Mapping[str, Any], allowed: set[str], errors: Errors) -> None:
    """Unknown keys are usually typos (``item_path``); say so instead of ignoring them."""
    for key in sorted(set(config) - allowed):
        errors.add(key, f"Unknown setting; expected one of: {', '.join(sorted(allowed))}.")


def text_value(
    config: Mapping[str, Any], key: str, errors: Errors, *, required: bool, default: str = ""
) -> str:
    value = config.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        errors.add(key, "Must be text.")
        return default
    value = value.strip()
    if required and not value:
        errors.add(key, "This setting is required.")
    return value


def number_value(
    config: Mapping[str, Any],
    key: str,
    errors: Errors,
    *,
    default: float,
    minimum: float,
    integer: bool = False,
) -> Any:
    value = config.get(key, default)
    if value is None:
        value = default
    kind = "a whole number" if integer else "a number"
    ok_type = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_type):
        errors.add(key, f"Must be {kind} of at least {minimum:g}.")
        return default
    if value < minimum:
        errors.add(key, f"Must be {kind} of at least {minimum:g}.")
        return default
    return value


def http_url(value: str, key: str, errors: Errors) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add(key, "Must be an http:// or https:// URL with a host name.")
    return value


def format_for(name: str) -> str | None:
    """The reader format for a file name or URL path, from its extension."""
    return PICKED_UP.get(Path(name).suffix.lower())


_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_file_name(name: str, *, default: str = "download", suffix: str = "") -> str:
    """A file name safe to create in a workdir: no directories, no odd characters."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._") or default
    if suffix and not base.lower().endswith(suffix.lower()):
        base += suffix
    if len(base) > 150:
        stem, ext = Path(base).stem, Path(base).suffix
        base = stem[: 150 - len(ext)] + ext
    return base


def import_dirs() -> list[Path]:
    """Folders the file and folder connectors may read (``SHEQU_HUB_IMPORT_DIRS``)."""
    from django.conf import settings

    return [Path(d).resolve() for d in settings.HUB_IMPORT_DIRS]


def check_import_path(key: str, path: str, errors: Errors) -> None:
    """A server path must lie inside an import folder: staff cannot ingest server files."""
    if not path:
        return
    resolved = Path(path).resolve()
    allowed = import_dirs()
    if not any(resolved == d or d in resolved.parents for d in allowed):
        folders = ", ".join(str(d) for d in allowed) or "(none configured)"
        errors.add(key, f"Must be inside an import folder (SHEQU_HUB_IMPORT_DIRS): {folders}.")
