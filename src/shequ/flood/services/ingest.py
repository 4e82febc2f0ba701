"""Readings in: validated as a whole, stored once per (device, time), evaluated as they arrive.

HTTP (``api/readings.py``) and MQTT (``services/mqtt.py``) both call ``ingest``. A batch is
one transaction: either every new reading is stored, the latest value moved and the rules
evaluated, or nothing is. A retried batch stores nothing twice and answers what it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError

from shequ.core.errors import Invalid
from shequ.core.inputs import OffsetDatetime
from shequ.flood import metrics
from shequ.flood.models import Device, DeviceKind, LatestReading, Reading
from shequ.flood.services import judge, rawsql

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


Checked = tuple[Device, dict[datetime, float], int]  # a batch's device, values by time, rows


def check(device: Device, rows: list[ReadingRow]) -> Checked:
    """The batch as ``store_checked`` takes it; ``Invalid`` for what it would refuse, before
    any write."""
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
    return device, values, len(rows)


def ingest(device: Device, rows: list[ReadingRow], now: datetime | None = None) -> Outcome:
    return ingest_many([(device, rows)], now)[0]


def ingest_many(
    batches: Sequence[tuple[Device, list[ReadingRow]]], now: datetime | None = None
) -> list[Outcome]:
    """Several batches (the MQTT consumer's messages of many gauges) in one transaction; one
    invalid batch refuses them all (the MQTT consumer checks each with ``check`` to drop only
    it, then calls ``store_checked``)."""
    return store_checked([check(device, rows) for device, rows in batches], now)


def store_checked(checked: Sequence[Checked], now: datetime | None = None) -> list[Outcome]:
    """Checked batches in one transaction, with a constant number of queries whatever the
    number of readings and devices: which (device, time) are known, the new readings
    inserted, the latest values moved, the rules judged (``judge.evaluate_many``)."""
    now = now or timezone.now()
    if not any(values for _d, values, _n in checked):
        return [Outcome(n, 0, n, 0) for _d, _v, n in checked]
    with transaction.atomic():
        known = _known(checked)
        fresh: list[list[tuple[datetime, float]]] = []
        merged: dict[int, tuple[Device, list[tuple[datetime, float]]]] = {}
        for device, values, _n in checked:
            device_id = device.id
            new = sorted((at, v) for at, v in values.items() if (device_id, at) not in known)
            known.update((device_id, at) for at, _v in new)  # a device twice: stored once
            fresh.append(new)
            merged.setdefault(device_id, (device, []))[1].extend(new)
        _insert(
            [(device_id, at, v) for device_id, (_d, new) in merged.items() for at, v in new], now
        )
        for _d, new in merged.values():
            new.sort()
        _move_latest({device_id: new[-1] for device_id, (_d, new) in merged.items() if new}, now)
        changed = judge.evaluate_many(list(merged.values()), now)
    out, told = [], set()
    for (device, _v, n), new in zip(checked, fresh, strict=True):
        count = 0 if device.id in told else changed.get(device.id, 0)
        told.add(device.id)
        out.append(Outcome(n, len(new), n - len(new), count))
    metrics.count_stored(sum(o.stored for o in out), sum(o.duplicates for o in out))
    return out


def _insert(rows: list[tuple[int, datetime, float]], now: datetime) -> None:
    """The new readings, in one statement executed for each (Django's bulk_create compiles
    every row's SQL in Python); a concurrent retry of the same batch stores nothing twice."""
    if not rows:
        return
    table = connection.ops.quote_name(Reading._meta.db_table)
    adapt = rawsql.datetime_adapter()
    received = adapt(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (device_id, at, value, received_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (device_id, at) DO NOTHING",
            [(device_id, adapt(at), value, received) for device_id, at, value in rows],
        )


def _known(checked: Sequence[Checked]) -> set[tuple[int, datetime]]:
    """The (device, time) pairs of the batches already stored: one query."""
    ids = sorted({device.id for device, values, _n in checked if values})
    times = [at for _d, values, _n in checked for at in values]
    adapt = rawsql.datetime_adapter()
    rows = rawsql.fetch(
        f"SELECT device_id, at FROM {rawsql.table(Reading)} "
        f"WHERE device_id IN ({rawsql.marks(len(ids))}) AND at >= %s AND at <= %s",
        [*ids, adapt(min(times)), adapt(max(times))],
        datetimes=(1,),
    )
    return set(rows)  # type: ignore[arg-type]


def _move_latest(newest: dict[int, tuple[datetime, float]], now: datetime) -> None:
    """The latest value only moves forward: an older reading never replaces a newer one, and
    a late reading still shows the device is alive (``received_at``). One upsert per 500
    devices, in device order, each row decided by the database against its current value (so
    concurrent ingesters never move it back)."""
    table = connection.ops.quote_name(LatestReading._meta.db_table)
    adapt = rawsql.datetime_adapter()
    items = sorted(newest.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        rows = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        received = adapt(now)
        for device_id, (at, value) in chunk:
            params += [device_id, adapt(at), value, received]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (device_id, at, value, received_at) VALUES {rows} "
                "ON CONFLICT (device_id) DO UPDATE SET "
                f"value = CASE WHEN excluded.at > {table}.at "
                f"THEN excluded.value ELSE {table}.value END, "
                f"at = CASE WHEN excluded.at > {table}.at THEN excluded.at ELSE {table}.at END, "
                f"received_at = CASE WHEN excluded.received_at > {table}.received_at "
                f"THEN excluded.received_at ELSE {table}.received_at END",
                params,
            )
