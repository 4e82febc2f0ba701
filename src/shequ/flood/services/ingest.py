"""Readings in: validated as a whole, stored once per (device, time), evaluated as they arrive.

HTTP (``api/readings.py``) and MQTT (``services/mqtt.py``) both call ``ingest``. A batch is
one transaction: either every new reading is stored, the latest value moved and the rules
evaluated, or nothing is. A retried batch stores nothing twice and answers what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError

from shequ.core.errors import Invalid
from shequ.core.inputs import OffsetDatetime
from shequ.core.services.writelock import sqlite_writer
from shequ.flood.models import Device, DeviceKind, LatestReading, Reading
from shequ.flood.services import alerts

MAX_BATCH = 10_000
FIRST, LAST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class ReadingRow(BaseModel):
    """One reading: ``time`` in ISO 8601 with its offset (a naive time is refused)."""

    model_config = ConfigDict(extra="forbid")

    time: OffsetDatetime = Field(..., description="ISO 8601 with an offset, e.g. +08:00 or Z")
    value: float = Field(..., ge=-1e6, le=1e6, allow_inf_nan=False)


_ROWS = TypeAdapter(list[ReadingRow])


def parse_rows(data: Any) -> list[ReadingRow]:
    """Rows from JSON (MQTT): a list, or one object; errors name ``readings.<row>.<field>``."""
    rows = data if isinstance(data, list) else [data]
    try:
        return _ROWS.validate_python(rows)
    except PydanticError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            name = ".".join(["readings", *(str(p) for p in err["loc"])])
            fields.setdefault(name, []).append(err["msg"])
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        raise Invalid(_("Invalid readings: %(why)s") % {"why": summary}, fields=fields) from exc


@dataclass(frozen=True)
class Outcome:
    received: int
    stored: int
    duplicates: int
    alerts_changed: int

    def as_dict(self) -> dict[str, int]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "alerts_changed": self.alerts_changed,
        }


def _check(device: Device, rows: list[ReadingRow]) -> dict[datetime, float]:
    if device.kind == DeviceKind.CAMERA:
        raise Invalid(_("A camera sends camera events, not readings."), fields={"device": []})
    if len(rows) > MAX_BATCH:
        raise Invalid(
            _("At most %(n)s readings a batch.") % {"n": MAX_BATCH},
            fields={"readings": [_("too many rows")]},
        )
    values: dict[datetime, float] = {}
    for index, row in enumerate(rows):
        at = row.time.astimezone(UTC)
        if not FIRST <= at < LAST:
            name = f"readings.{index}.time"
            raise Invalid(
                _("%(f)s: a time between 2000 and 2100.") % {"f": name}, fields={name: []}
            )
        values.setdefault(at, row.value)  # the same time twice in a batch: the first counts
    return values


def ingest(device: Device, rows: list[ReadingRow], now: datetime | None = None) -> Outcome:
    values = _check(device, rows)
    if not values:
        return Outcome(0, 0, 0, 0)
    now = now or timezone.now()
    with sqlite_writer(), transaction.atomic():
        known = set(
            Reading.objects.filter(
                device=device, at__gte=min(values), at__lte=max(values)
            ).values_list("at", flat=True)
        )
        new = sorted((at, v) for at, v in values.items() if at not in known)
        Reading.objects.bulk_create(
            [Reading(device=device, at=at, value=v, received_at=now) for at, v in new],
            ignore_conflicts=True,  # a concurrent retry of the same batch stores nothing twice
            batch_size=2000,
        )
        if new:
            _move_latest(device, *new[-1], now)
        changed = alerts.evaluate(device, new, now)
    return Outcome(len(rows), len(new), len(rows) - len(new), changed)


def _move_latest(device: Device, at: datetime, value: float, now: datetime) -> None:
    """The latest value only moves forward: an older reading never replaces a newer one."""
    LatestReading.objects.bulk_create(
        [LatestReading(device=device, at=at, value=value, received_at=now)],
        ignore_conflicts=True,
    )
    LatestReading.objects.filter(device=device, at__lt=at).update(
        at=at, value=value, received_at=now
    )
    # A late reading still shows the device is alive.
    LatestReading.objects.filter(device=device, received_at__lt=now).update(received_at=now)
