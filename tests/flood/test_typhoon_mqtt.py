"""The typhoon's readings through the real broker: published with QoS 1 to each gauge's topic,
stored by the ingester (a consumer in this process), waited for before the people act; again,
nothing is stored twice. Without an ingester the replay stores them itself, and says so."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import override_settings

from shequ.core.mqtt import Consumer, check
from shequ.demo.build import build_regions, build_users
from shequ.flood import demo
from shequ.flood.models import Alert, Reading
from shequ.flood.services import mqtt
from shequ.flood.typhoon import broker, plan, replay

BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"
UNTIL = 14  # the culvert fired (blue, then yellow), acknowledged at step 14
GAUGES = len(plan.COURSES)

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def group(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A broker, and this test's own ingester group (other consumers do not share it)."""
    status = check(BROKER, timeout=2)
    if status != "ok":
        if STRICT:
            pytest.fail(f"MQTT broker {BROKER} unavailable in CI: {status}")
        pytest.skip(f"MQTT broker {BROKER} unavailable: {status}")
    name = f"test-typhoon-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SHEQU_FLOOD_MQTT_GROUP", name)
    with override_settings(MQTT_URL=BROKER):
        yield name


@pytest.fixture
def ingester(group: str) -> Iterator[Consumer]:
    consumer = mqtt.consumer(url=BROKER, group=group, client_id=f"{group}-ingest")
    consumer.start()
    yield consumer
    consumer.stop()


@pytest.fixture
def village() -> None:
    build_regions()
    build_users("demo-password-for-tests")
    replay.reserve()
    demo.build()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database locks tables between the ingester's thread and "
    "this one (shared cache); tests/system/test_typhoon_served.py runs it on SQLite with the "
    "ingester as its own process",
)
def test_readings_published_to_the_broker_are_stored_by_the_ingester_before_people_act(
    village: None, ingester: Consumer
) -> None:
    lines: list[str] = []
    summary = replay.run(until=UNTIL, say=lines.append)
    sent = (UNTIL + 1) * GAUGES
    assert (summary.via, summary.published, summary.stored) == ("MQTT", sent, sent)
    assert ingester.stats.handled == sent and ingester.stats.rejected == 0
    assert f"readings via MQTT: {sent} published to the broker" in lines[-1], lines
    culvert = Alert.objects.get(point__code="culvert", rule__kind="threshold")
    assert culvert.state == "acknowledged"  # step 14's reading was stored before the ack
    assert summary.alerts_changed >= 2 and summary.acts

    again = replay.run(until=UNTIL)  # the gauges send again: the ingester stores nothing twice
    assert (again.via, again.stored, again.duplicates, again.acts) == ("MQTT", 0, sent, [])
    assert Reading.objects.filter(at__gte=replay.reserved().anchor).count() == sent  # type: ignore[union-attr]


def test_without_an_ingester_the_replay_stores_the_readings_itself(
    village: None, group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broker, "READY", 0.5)
    with pytest.raises(broker.NoIngester, match="no ingester of group"):
        replay.run(until=0, via="mqtt")
    lines: list[str] = []
    summary = replay.run(until=0, say=lines.append)  # auto: nobody to publish to
    assert (summary.via, summary.stored, summary.published) == ("direct", GAUGES, 0)
    assert "readings ingested directly (no ingester of group" in lines[-1], lines
