"""Readings over MQTT: ``shequ/v1/devices/<device id>/readings`` with one reading or a batch.

The broker's ACL lets each device publish only to its own topic (docs/flood.md), so the
topic names the device. Each message is ingested like an HTTP batch (``ingest.ingest``) and
acknowledged to the broker only after it is stored: a consumer killed mid-message gets it
again, and the (device, time) key stores it once. A message that can never be stored
(unknown device, malformed) is logged and dropped; a database that is briefly away is tried
again before the message is given up.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import DatabaseError, close_old_connections, connection

from shequ.core.errors import Invalid
from shequ.core.mqtt import Consumer
from shequ.flood.services import devices, ingest

log = logging.getLogger(__name__)

TOPIC = "shequ/v1/devices/+/readings"
SHARE_GROUP = "shequ-flood"
RETRIES = 5


class Rejected(ValueError):
    """A message that no retry can store."""


def device_code(topic: str) -> str:
    parts = topic.split("/")
    if len(parts) != 5 or parts[:3] != ["shequ", "v1", "devices"] or parts[4] != "readings":
        raise Rejected(f"not a readings topic: {topic!r}")
    return parts[3]


def consumer(
    *,
    url: str | None = None,
    group: str = SHARE_GROUP,
    client_id: str | None = None,
    session_expiry: int = 0,
) -> Consumer:
    """The readings consumer; the database connection of its network thread is closed when
    it disconnects (the thread ends with it)."""
    made = Consumer(
        [TOPIC],
        handle,
        url=url,
        share_group=group,
        client_id=client_id,
        session_expiry=session_expiry,
    )
    made.client.on_disconnect = lambda *_args: connection.close()
    return made


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
