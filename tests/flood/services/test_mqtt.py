"""Readings over MQTT: the handler alone, then a consumer against the real Mosquitto broker
(SHEQU_MQTT_URL, default mqtt://127.0.0.1:1883): QoS 1, persistent session, shared groups."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from flood.factories import T0, add_gauge
from shequ.core.mqtt import Consumer, check, publish_json
from shequ.flood.models import Alert, Device, MonitoringPoint, Reading, Rule
from shequ.flood.services import mqtt, topics

BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"


def reading(minute: int, value: float) -> dict[str, Any]:
    return {"time": (T0 + timedelta(minutes=minute)).isoformat(), "value": value}


def topic(device: Device) -> str:
    return topics.readings(device.code)


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- the handler -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_reading_or_a_batch_is_stored_and_evaluated(gauge: Device, depth: Rule) -> None:
    mqtt.store(topic(gauge), reading(0, 5))
    done = mqtt.store(topic(gauge), {"readings": [reading(1, 12), reading(2, 30)]})
    assert (done.stored, done.alerts_changed) == (2, 2)
    assert Reading.objects.filter(device=gauge).count() == 3
    assert Alert.objects.get().level == 3


@pytest.mark.django_db
def test_a_repeated_message_is_stored_once(gauge: Device) -> None:
    mqtt.store(topic(gauge), reading(0, 5))
    assert mqtt.store(topic(gauge), reading(0, 5)).duplicates == 1
    assert Reading.objects.filter(device=gauge).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("device", "kind", "data"),  # the topic made in the test: its root is the worker's own
    [
        ("nobody", "readings", {"time": "2026-07-01T08:00:00Z", "value": 1}),
        ("W01", "other", {"time": "2026-07-01T08:00:00Z", "value": 1}),
        ("W01", "readings", {"time": "2026-07-01T08:00:00", "value": 1}),
        ("W01", "readings", {"readings": [{"value": 1}]}),
    ],
)
def test_messages_that_can_never_be_stored_are_rejected(
    gauge: Device, device: str, kind: str, data: dict[str, Any]
) -> None:
    where = topics.readings(device).replace("/readings", f"/{kind}")
    with pytest.raises(mqtt.Rejected):
        mqtt.store(where, data)
    assert not Reading.objects.exists()


# --- against the broker ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker() -> str:
    status = check(BROKER, timeout=2)
    if status != "ok":
        if STRICT:
            pytest.fail(f"MQTT broker {BROKER} unavailable in CI: {status}")
        pytest.skip(f"MQTT broker {BROKER} unavailable: {status}")
    return BROKER


@pytest.fixture
def consumer(broker: str) -> Iterator[Callable[[str], Consumer]]:
    """``start(client_id)``: the flood consumer with a persistent session, in this process."""
    group = f"test-{uuid.uuid4().hex[:8]}"
    started: list[Consumer] = []

    def start(client_id: str) -> Consumer:
        c = mqtt.consumer(url=broker, group=group, client_id=client_id, session_expiry=60)
        c.start()
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop()


@pytest.fixture
def live_gauge(culvert: MonitoringPoint) -> Device:
    gauge, _token = add_gauge(culvert, f"w-{uuid.uuid4().hex[:10]}", interval_seconds=60)
    return gauge


@pytest.mark.mqtt
@pytest.mark.django_db(transaction=True)
def test_readings_published_to_the_broker_are_stored(
    consumer: Callable[[str], Consumer], live_gauge: Device, broker: str
) -> None:
    c = consumer(f"shequ-test-{uuid.uuid4().hex[:8]}")
    publish_json(topic(live_gauge), reading(0, 5), url=broker)
    publish_json(topic(live_gauge), {"readings": [reading(1, 6), reading(2, 7)]}, url=broker)
    publish_json(topic(live_gauge), reading(0, 5), url=broker)  # a device's retry
    assert wait_for(lambda: c.stats.handled == 3, timeout=30)
    assert Reading.objects.filter(device=live_gauge).count() == 3


@pytest.mark.mqtt
@pytest.mark.django_db(transaction=True)
def test_readings_published_while_the_consumer_is_away_wait_in_its_session(
    consumer: Callable[[str], Consumer], live_gauge: Device, broker: str
) -> None:
    client_id = f"shequ-test-{uuid.uuid4().hex[:8]}"
    consumer(client_id).stop()  # the session (and its subscription) stays at the broker
    for minute in range(5):
        publish_json(topic(live_gauge), reading(minute, minute), url=broker)
    assert Reading.objects.filter(device=live_gauge).count() == 0
    again = consumer(client_id)
    # Wait on the consumer, not by polling the table: SQLite's shared in-memory test database
    # refuses a writer at once ("table is locked") while another thread reads.
    assert wait_for(lambda: again.stats.handled == 5, timeout=30)
    assert Reading.objects.filter(device=live_gauge).count() == 5
