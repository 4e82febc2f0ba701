"""Received MQTT 5 properties decode as paho decodes them, with paho's tables built once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt import _packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from shequ.core import mqtt_lean
from shequ.core.mqtt import BrokerUrl, make_client, pump

from .test_mqtt import broker  # noqa: F401  # the real broker, or a skip (a failure in CI)

pytestmark = pytest.mark.mqtt


def _sent() -> Properties:
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("gauge", "G-01"), ("unit", "cm")]
    props.MessageExpiryInterval = 600
    props.ContentType = "application/json"
    props.CorrelationData = b"\x00\x01"
    return props


def test_paho_decodes_received_properties_into_the_lean_class() -> None:
    assert mqtt_lean.install()  # done as shequ.core.mqtt is imported; again is harmless
    assert _packet.Properties is mqtt_lean.PublishProperties


def test_the_lean_class_reads_what_paho_reads_and_clears_between_reads() -> None:
    packed = _sent().pack()
    theirs = Properties(PacketTypes.PUBLISH)
    ours: Any = mqtt_lean.PublishProperties(PacketTypes.PUBLISH)  # attributes as received
    theirs.unpack(packed)
    ours.unpack(packed)
    assert ours.json() == theirs.json() and str(ours) == str(theirs)
    assert ours.UserProperty == [("gauge", "G-01"), ("unit", "cm")]
    ours.unpack(Properties(PacketTypes.PUBLISH).pack())  # none this time
    assert ours.isEmpty() and not hasattr(ours, "UserProperty")
    # Its own fields stay; two instances share paho's tables, untouched.
    assert ours.packetType == PacketTypes.PUBLISH
    other = mqtt_lean.PublishProperties(PacketTypes.PUBLISH)
    assert other.names is ours.names and other.names == theirs.names
    with pytest.raises(Exception, match="Property name"):
        ours.NoSuchProperty = 1  # paho's checks still apply


def test_a_message_through_the_broker_arrives_with_its_properties(broker: str) -> None:  # noqa: F811
    topic = f"shequ-test/{uuid.uuid4().hex}"
    got: list[paho.MQTTMessage] = []
    arrived = threading.Event()

    def on_message(_c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        got.append(msg)
        arrived.set()

    receiver, sender = make_client(broker), make_client(broker)
    receiver.on_message = on_message
    where = BrokerUrl.parse(broker)
    for client in (receiver, sender):
        client.connect(where.host, where.port)
    try:
        subscribed = threading.Event()
        receiver.on_subscribe = lambda *_a: subscribed.set()
        receiver.subscribe(topic, qos=1)
        assert pump(receiver, subscribed.is_set, 5)
        sender.publish(topic, b'{"level_cm": 12}', qos=1, properties=_sent())
        pump(sender, lambda: not sender.want_write(), 5)
        assert pump(receiver, arrived.is_set, 5)
    finally:
        for client in (receiver, sender):
            client.disconnect()
    (msg,) = got
    assert isinstance(msg.properties, mqtt_lean.PublishProperties)
    props: Any = msg.properties  # its attributes are the properties received
    assert msg.payload == b'{"level_cm": 12}'
    assert props.UserProperty == [("gauge", "G-01"), ("unit", "cm")]
    assert props.MessageExpiryInterval <= 600
    assert props.ContentType == "application/json"
    assert props.CorrelationData == b"\x00\x01"
