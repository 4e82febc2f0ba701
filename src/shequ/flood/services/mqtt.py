"""Readings over MQTT: ``shequ/v1/devices/<device id>/readings`` with one reading or a batch
(and the devices' acknowledgements of their configuration, ``services/downlink.py``).

The broker's ACL lets each device publish only to its own topic (docs/flood.md), so the
topic names the device. The consumer takes the messages queued since its last batch (up to
``BATCH``) and ingests them together (``ingest.ingest_many``: one transaction, a constant
number of queries), judged exactly like HTTP batches; they are acknowledged to the broker
only after they are stored: a consumer killed mid-batch gets them again, and the (device,
time) key stores them once. A message that can never be stored (unknown device, malformed)
is logged and dropped, alone; a database that is briefly away is tried again before the
batch is given up.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django.urls import reverse

from shequ.core import mqtt
from shequ.core.errors import Invalid
from shequ.core.mqtt import BatchConsumer, Consumer
from shequ.flood.services import devices, downlink, ingest, topics

log = logging.getLogger(__name__)

SHARE_GROUP = "shequ-flood"


def readings_topic(code: str) -> str:
    return topics.readings(code)


def database_id() -> str:
    """Which database this process writes to (a digest, no name or host in clear): an
    ingester's status says it, so a replay waits only on one that stores where it reads."""
    s = connection.settings_dict
    where = f"{connection.vendor}|{s.get('HOST') or ''}|{s.get('PORT') or ''}|{s['NAME']}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


def ingesters_online(
    group: str = SHARE_GROUP, *, url: str | None = None, wait: float = 1.0
) -> list[str]:
    """The status topics of the ingesters of ``group`` that say they are subscribed and
    store into this process's database."""
    status = topics.ingester_status(group)
    return mqtt.online(status, url=url, wait=wait, where={"database": database_id()})


RETRIES = 5
BATCH = 500


class Rejected(ValueError):
    """A message that no retry can store."""


def device_code(topic: str, under: str | None = None) -> str:
    code = topics.device_of(topic, "readings", under)
    if code is None:
        raise Rejected(f"not a readings topic: {topic!r}")
    return code


def ack_device(topic: str, under: str | None = None) -> str | None:
    """The device of a configuration acknowledgement's topic; None for another topic."""
    return topics.device_of(topic, "config/ack", under)


def acknowledge_configs(acks: list[tuple[str, dict[str, Any]]]) -> None:
    """Record the devices' acknowledgements of their configuration (``services/downlink.py``)."""
    for code, data in acks:
        try:
            downlink.acknowledge(code, data)
        except Invalid as exc:
            log.warning("rejected configuration acknowledgement of %s: %s", code, exc)


def consumer(
    *,
    url: str | None = None,
    group: str = SHARE_GROUP,
    client_id: str | None = None,
    session_expiry: int = 0,
    batch_size: int = BATCH,
) -> Consumer:
    """The readings consumer; its worker thread closes its database connection as it ends."""
    client_id = client_id or f"{group}-{uuid.uuid4().hex[:12]}"
    return BatchConsumer(
        [topics.readings(), topics.config_ack()],
        handle_many,
        url=url,
        share_group=group,
        client_id=client_id,
        session_expiry=session_expiry,
        batch_size=batch_size,
        status_topic=topics.ingester_status(group, client_id),
        status={"database": database_id()},
        on_exit=lambda: connection.close(),  # the worker thread's own connection
    )


def warm_up() -> None:
    """Load what the first alert needs before the first batch: the URL configuration that its
    message links to imports every app's views and API (seconds), which would otherwise fall
    inside the first batch's transaction and delay its alerts."""
    reverse("flood:map")


Message = tuple[str, dict[str, Any]]  # (topic, JSON object)


def handle_many(messages: list[Message]) -> int:
    """The consumer's handler: store a batch of messages; how many readings were rejected."""
    readings, acks = _sort(messages)
    return len(readings) - len(_store(readings, acks))


def store_many(messages: list[Message]) -> list[ingest.Outcome]:
    """Store the messages that can be stored, in one transaction; the others are logged and
    dropped. Raises a ``DatabaseError`` still there after the retries."""
    return _store(*_sort(messages))


def _sort(messages: list[Message]) -> tuple[list[Message], list[Message]]:
    """The readings messages and the configuration acknowledgements (device code, data)."""
    under = topics.root()
    readings, acks = [], []
    for topic, data in messages:
        code = ack_device(topic, under)
        if code:
            acks.append((code, data))
        else:
            readings.append((topic, data))
    return readings, acks


def _store(readings: list[Message], acks: list[Message]) -> list[ingest.Outcome]:
    parsed: list[tuple[str, list[ingest.ReadingRow]]] = []
    under = topics.root()
    for topic, data in readings:
        try:
            parsed.append(
                (device_code(topic, under), ingest.parse_rows(data.get("readings", data)))
            )
        except (Rejected, Invalid) as exc:
            log.warning("rejected MQTT message on %s: %s", topic, exc)
    if not parsed and not acks:
        return []
    for attempt in range(RETRIES):
        if not connection.in_atomic_block:
            close_old_connections()  # a connection the database dropped is opened anew
        try:
            if acks:  # idempotent: a retry records them again harmlessly
                acknowledge_configs(acks)
            if not parsed:
                return []
            known = devices.devices_by_code({code for code, _rows in parsed})
            batches: list[ingest.Checked] = []
            for code, rows in parsed:
                device = known.get(code)
                try:
                    if device is None:
                        raise Rejected(f"unknown or revoked device {code!r}")
                    batches.append(ingest.check(device, rows))
                except (Rejected, Invalid) as exc:
                    log.warning("rejected MQTT message of %s: %s", code, exc)
            return ingest.store_checked(batches) if batches else []
        except DatabaseError:
            if attempt == RETRIES - 1:
                raise
            log.warning("database error storing a batch, retrying", exc_info=True)
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def handle(topic: str, data: dict[str, Any]) -> None:
    """The consumer's handler (``shequ.core.mqtt.Consumer``)."""
    store(topic, data)


def store(topic: str, data: dict[str, Any]) -> ingest.Outcome:
    """Store one message's readings; raises ``Rejected`` for a message to drop."""
    code = device_code(topic)
    payload = data.get("readings", data)
    try:
        rows = ingest.parse_rows(payload)
    except Invalid as exc:
        raise Rejected(f"{code}: {exc.message}") from exc
    for attempt in range(RETRIES):
        if not connection.in_atomic_block:
            close_old_connections()  # a connection the database dropped is opened anew
        try:
            device = devices.device_by_code(code)
            if device is None:
                raise Rejected(f"unknown or revoked device {code!r}")
            return ingest.ingest(device, rows)
        except Invalid as exc:
            raise Rejected(f"{code}: {exc.message}") from exc
        except DatabaseError:
            if attempt == RETRIES - 1:
                raise
            log.warning("database error storing %s, retrying", code, exc_info=True)
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")
