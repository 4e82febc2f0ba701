"""The typhoon's gauge readings through the broker, as the gauges themselves send them.

With a broker configured (``SHEQU_MQTT_URL``) that answers, and an ingester of the demo's group
(``SHEQU_FLOOD_MQTT_GROUP``, ``shequ-flood`` by default) saying it is subscribed
(``services/mqtt.py``: its retained status), each step's readings are published with QoS 1 to
``shequ/v1/devices/<device id>/readings`` (one reading a message, the ingester's format), and
the replay waits until the ingester has stored all of them (bounded by ``WAIT``) before the
people of that step act. Otherwise the replay calls ``ingest.ingest_many`` itself (``direct``).

The replay publishes with the credentials of ``SHEQU_MQTT_URL``: on a broker with per-device
credentials (docs/flood.md) that user needs ``topic write shequ/v1/devices/+/readings`` too.
The ingester trusts the topic (the broker checks who publishes where), so nothing else changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from shequ import config
from shequ.core import mqtt
from shequ.flood.models import AlertEvent, AlertEventKind, Device, Reading
from shequ.flood.services import mqtt as flood_mqtt
from shequ.flood.services.ingest import ReadingRow

MQTT, DIRECT = "MQTT", "direct"
WAIT = 60.0  # seconds the ingester has to store a step's readings
READY = 60.0  # seconds an ingester started beside the replay has to subscribe
POLL = 0.05
CHANGES = (AlertEventKind.FIRED, AlertEventKind.ESCALATED, AlertEventKind.RESOLVED)


class NoIngester(RuntimeError):
    """The broker path was asked for, and no ingester stored the readings in time."""


def group() -> str:
    return config.env("FLOOD_MQTT_GROUP") or flood_mqtt.SHARE_GROUP


@dataclass
class Route:
    """How the replay's readings reach the database: ``MQTT`` (with its publisher) or
    ``direct``, and why."""

    name: str
    reason: str
    publisher: mqtt.Publisher | None = None
    published: int = field(default=0)

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()


def choose(via: str) -> Route:
    """``auto``: MQTT when the broker answers and an ingester is up, else direct; ``mqtt``:
    wait (``READY``) for an ingester, or raise ``NoIngester``; ``direct``: direct."""
    if via == "direct":
        return Route(DIRECT, "asked for")
    url = settings.MQTT_URL
    if not url:
        if via == "mqtt":
            raise NoIngester("SHEQU_MQTT_URL is not set")
        return Route(DIRECT, "no broker configured")
    if (status := mqtt.check(url, timeout=2)) != "ok":
        if via == "mqtt":
            raise NoIngester(f"the broker does not answer: {status}")
        return Route(DIRECT, "the broker does not answer")
    deadline = time.monotonic() + (READY if via == "mqtt" else 0)
    while not (up := flood_mqtt.ingesters_online(group(), url=url, wait=0.5)):
        if time.monotonic() >= deadline:
            if via == "mqtt":
                raise NoIngester(
                    f"no ingester of group {group()!r} subscribed in {READY:.0f}s "
                    "(start `shequ flood ingest`, or replay with --via direct)"
                )
            return Route(DIRECT, f"no ingester of group {group()!r} is up")
    return Route(MQTT, f"ingester {up[0].rsplit('/', 1)[-1]}", mqtt.Publisher(url))


@dataclass(frozen=True)
class Sent:
    stored: int
    duplicates: int
    alerts_changed: int


def send(route: Route, at: datetime, batch: list[tuple[Device, list[ReadingRow]]]) -> Sent:
    """Publish one step's readings and wait until the ingester has stored them all."""
    assert route.publisher is not None
    devices = [device for device, _rows in batch]
    expected = sum(len(rows) for _device, rows in batch)
    had = _stored(devices, at)
    changes = _changes(devices)
    for device, rows in batch:
        for row in rows:  # one reading a message, as a gauge sends it
            payload = {"time": row.time.isoformat(), "value": row.value}
            route.publisher.publish(flood_mqtt.readings_topic(device.code), payload)
    route.published += route.publisher.flush()
    deadline = time.monotonic() + WAIT
    while (now := _stored(devices, at)) < expected:
        if time.monotonic() >= deadline:
            raise NoIngester(
                f"the ingester stored {now - had} of the {expected - had} readings of "
                f"{at:%Y-%m-%d %H:%M} UTC published {WAIT:.0f}s ago: is `shequ flood ingest` "
                f"(group {group()!r}) running on this database? (or replay with --via direct)"
            )
        time.sleep(POLL)
    return Sent(expected - had, had, _changes(devices) - changes)


def _stored(devices: list[Device], at: datetime) -> int:
    return Reading.objects.filter(device__in=devices, at=at).count()


def _changes(devices: list[Device]) -> int:
    return AlertEvent.objects.filter(alert__rule__device__in=devices, kind__in=CHANGES).count()
