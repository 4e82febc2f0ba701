"""The provider base class, its snapshot cache keyed by dataset version, and the registry."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import ClassVar

from django.conf import settings

from shequ.core import pii
from shequ.hub.models import Dataset
from shequ.hub.query import QueryError, run_query_system

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subject:
    """Who stands at the door: the ID-number HMAC and the door's community code."""

    id_hash: str
    region_code: str


@dataclass(frozen=True)
class Finding:
    """One provider's answer: a reason code, the colour it implies, whether it refuses/alerts."""

    provider: str
    reason: str
    colour: str = "green"
    refuse: bool = False
    alert: bool = False
    version: int | None = None


@dataclass
class Snapshot:
    key: str
    version: int | None
    rows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checked: float = 0.0


class Provider:
    """Reads ``dataset`` once per version: ``sql`` selects the ID number first, then values."""

    kind: ClassVar[str] = ""
    dataset: ClassVar[str] = ""
    sql: ClassVar[str] = ""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def dataset_key(self) -> str:
        return self.dataset

    def enabled(self) -> bool:
        return bool(self.dataset_key())

    def answer(self, subject: Subject) -> Finding:
        raise NotImplementedError

    def lookup(self, subject: Subject) -> tuple[tuple[str, ...] | None, int | None]:
        """The subject's row of the current version (``None`` when absent), and that version."""
        snap = self.snapshot()
        return snap.rows.get(subject.id_hash), snap.version

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - snap.checked < settings.ACCESS_STATUS_CHECK_SECONDS:
            return snap
        with self._lock:
            key = self.dataset_key()
            version = current_version(key)
            snap = self._snapshot
            if snap is None or (snap.key, snap.version) != (key, version):
                snap = self._load(key, version)
            snap.checked = now
            self._snapshot = snap
            return snap

    def _load(self, key: str, version: int | None) -> Snapshot:
        if version is None:
            return Snapshot(key, None)
        sql = self.sql.format(table=key)
        try:
            result = run_query_system(
                sql,
                version={key: version},
                clear=True,
                purpose=f"access: {self.kind} status at the estate doors",
                limit=int(settings.HUB_QUERY_MAX_ROWS),
            )
        except QueryError as exc:
            log.warning("access %s: %s unreadable: %s", self.kind, key, pii.mask_text(exc.message))
            return Snapshot(key, None)
        rows: dict[str, tuple[str, ...]] = {}
        for row in result.rows_json():
            id_number = str(row[0] or "").strip().upper()
            if id_number:
                rows[pii.lookup_hash("id_card", id_number)] = tuple(str(v or "") for v in row[1:])
        return Snapshot(key, version, rows)

    def forget(self) -> None:
        self._snapshot = None


def current_version(key: str) -> int | None:
    row = Dataset.objects.filter(key=key).values_list("version", flat=True).first()
    return int(row) if row is not None else None


PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    PROVIDERS[provider.kind] = provider
    return provider


def providers() -> list[Provider]:
    return [p for p in PROVIDERS.values() if p.enabled()]


def forget_snapshots() -> None:
    for provider in PROVIDERS.values():
        provider.forget()
