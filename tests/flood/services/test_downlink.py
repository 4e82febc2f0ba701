"""The reporting interval sent down to a device: a retained QoS 1 message on its config topic,
acknowledged by the device on ``…/config/ack`` through the ingester; against the real Mosquitto
(SHEQU_MQTT_URL, default mqtt://127.0.0.1:1883)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from flood.factories import add_gauge, admin
from shequ.core.errors import Forbidden, Invalid
from shequ.core.models import AuditEvent
from shequ.core.mqtt import BrokerUrl, check, make_client, publish_json
from shequ.flood.models import Device, MonitoringPoint
from shequ.flood.services import downlink, mqtt, topics

BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"


@pytest.fixture
def broker(settings: Any) -> str:
    status = check(BROKER, timeout=2)
    if status != "ok":
        if STRICT:
            pytest.fail(f"MQTT broker {BROKER} unavailable in CI: {status}")
        pytest.skip(f"MQTT broker {BROKER} unavailable: {status}")
    settings.MQTT_URL = BROKER
    return BROKER


@pytest.fixture
def device(culvert: MonitoringPoint) -> Device:
    gauge, _token = add_gauge(culvert, f"w-{uuid.uuid4().hex[:10]}", interval_seconds=600)
    return gauge


def retained(code: str, timeout: float = 10.0) -> dict[str, Any]:
    """What a device subscribing now to its config topic is given by the broker."""
    got: list[dict[str, Any]] = []
    arrived = threading.Event()
    client = make_client(BROKER)

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        got.append({"body": json.loads(msg.payload), "retain": msg.retain, "qos": msg.qos})
        arrived.set()

    client.on_message = on_message
    broker = BrokerUrl.parse(BROKER)
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe(topics.config(code), qos=1)
    arrived.wait(timeout)
    client.disconnect()
    client.loop_stop()
    assert got, "no retained configuration"
    return got[0]


def ack_topic(device: Device) -> str:
    return topics.config_ack(device.code)


@pytest.mark.mqtt
@pytest.mark.django_db
def test_a_changed_interval_is_retained_for_the_device_and_pending_until_it_answers(
    broker: str, device: Device, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        downlink.set_interval(admin(), device, 300)
    device.refresh_from_db()
    assert (device.interval_seconds, device.config_version) == (300, 1)
    assert device.config_sent_version == 1
    assert downlink.status(device).state == "pending"
    message = retained(device.code)  # a device that connects later still gets it
    assert message["body"] == {"interval_seconds": 300, "version": 1}
    assert message["retain"] and message["qos"] == 1
    assert AuditEvent.objects.filter(action="flood.device.interval").count() == 1

    mqtt.store_many([(ack_topic(device), {"version": 1})])  # the ingester takes the answer
    device.refresh_from_db()
    assert downlink.status(device).state == "acknowledged"
    assert device.config_acked_at is not None


@pytest.mark.django_db
def test_the_same_interval_again_sends_nothing_and_a_bad_one_is_refused(device: Device) -> None:
    assert downlink.set_interval(admin(), device, 600).config_version == 0
    with pytest.raises(Invalid) as refused:
        downlink.set_interval(admin(), device, 5)
    assert "interval_seconds" in refused.value.fields
    device.refresh_from_db()
    assert (device.interval_seconds, device.config_version) == (600, 0)


@pytest.mark.django_db
def test_only_who_watches_the_region_changes_the_interval(
    device: Device, make_user: Callable[..., Any]
) -> None:
    outsider = make_user("duty_officer", "990103001001")
    with pytest.raises(Forbidden):
        downlink.set_interval(outsider, device, 300)


@pytest.mark.django_db
def test_an_old_repeated_or_unsent_version_moves_nothing(device: Device) -> None:
    Device.objects.filter(pk=device.pk).update(config_version=3, interval_seconds=120)
    assert not downlink.acknowledge(device.code, {"version": 4})  # never sent
    assert downlink.acknowledge(device.code, {"version": 3})
    assert not downlink.acknowledge(device.code, {"version": 3})  # a repeat
    assert not downlink.acknowledge(device.code, {"version": 2})  # late
    with pytest.raises(Invalid):
        downlink.acknowledge(device.code, {"version": "3"})
    device.refresh_from_db()
    assert device.config_acked_version == 3


@pytest.mark.mqtt
@pytest.mark.django_db
def test_a_configuration_the_broker_did_not_take_is_sent_by_the_worker(
    broker: str,
    device: Device,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.MQTT_URL = "mqtt://127.0.0.1:1"  # the broker away
    with django_capture_on_commit_callbacks(execute=True):
        downlink.set_interval(admin(), device, 120)
    device.refresh_from_db()
    assert (device.config_version, device.config_sent_version) == (1, 0)
    settings.MQTT_URL = broker
    assert downlink.publish_pending() == 1
    assert retained(device.code)["body"] == {"interval_seconds": 120, "version": 1}


@pytest.mark.mqtt
@pytest.mark.django_db(transaction=True)
def test_the_ingester_takes_a_devices_answer_from_the_broker(broker: str, device: Device) -> None:
    Device.objects.filter(pk=device.pk).update(config_version=1, interval_seconds=120)
    consumer = mqtt.consumer(url=broker, group=f"test-{uuid.uuid4().hex[:8]}")
    consumer.start()
    try:
        publish_json(ack_topic(device), {"version": 1}, url=broker)
        # the broker is shared with the other test workers: their devices' messages reach this
        # consumer too (and are rejected here), so wait for this device's answer, not a count
        deadline = threading.Event()
        for _ in range(200):
            device.refresh_from_db()
            if device.config_acked_version == 1:
                break
            deadline.wait(0.05)
    finally:
        consumer.stop()
    assert consumer.stats.handled >= 1
    assert device.config_acked_version == 1
