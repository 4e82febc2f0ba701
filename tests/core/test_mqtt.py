"""MQTT plumbing against a real broker (SHEQU_MQTT_URL, default mqtt://127.0.0.1:1883)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shequ.core.mqtt import BatchConsumer, BrokerUrl, Consumer, MqttError, check, publish_json

BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"


@pytest.fixture(scope="module")
def broker() -> str:
    status = check(BROKER, timeout=2)
    if status != "ok":
        if STRICT:
            pytest.fail(f"MQTT broker {BROKER} unavailable in CI: {status}")
        pytest.skip(f"MQTT broker {BROKER} unavailable: {status}")
    return BROKER


@pytest.fixture
def topic() -> str:
    return f"shequ-test/{uuid.uuid4().hex}"


class Inbox:
    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.changed = threading.Condition()

    def __call__(self, topic: str, data: dict[str, Any]) -> None:
        if data.get("explode"):
            raise ValueError("handler failure")
        with self.changed:
            self.items.append((topic, data))
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.items) < count and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
        return list(self.items)


@pytest.fixture
def consumer_factory(broker: str) -> Iterator[Any]:
    started: list[Consumer] = []

    def make(topics: list[str], handler: Any, **kwargs: Any) -> Consumer:
        consumer = Consumer(topics, handler, url=broker, **kwargs)
        consumer.start()
        started.append(consumer)
        return consumer

    yield make
    for consumer in started:
        consumer.stop()


pytestmark = pytest.mark.mqtt


def test_it_parses_broker_urls_with_credentials_and_tls() -> None:
    plain = BrokerUrl.parse("mqtt://gauge%40v:p%3Ass@10.0.0.5")
    assert (plain.host, plain.port, plain.username, plain.password, plain.tls) == (
        "10.0.0.5",
        1883,
        "gauge@v",
        "p:ss",
        False,
    )
    assert BrokerUrl.parse("mqtts://broker.example").port == 8883


def test_it_rejects_a_url_that_is_not_mqtt() -> None:
    with pytest.raises(MqttError, match="mqtt://"):
        BrokerUrl.parse("http://127.0.0.1:1883")


def test_it_reports_an_unreachable_broker_clearly() -> None:
    assert check("mqtt://127.0.0.1:1", timeout=1).startswith("error: cannot reach")


def test_a_published_json_message_reaches_a_subscriber(consumer_factory: Any, topic: str) -> None:
    inbox = Inbox()
    consumer_factory([f"{topic}/#"], inbox)
    publish_json(f"{topic}/gauge-7", {"level_cm": 85, "点位": "涵洞"}, url=BROKER)
    assert inbox.wait_for(1) == [(f"{topic}/gauge-7", {"level_cm": 85, "点位": "涵洞"})]


def test_bad_messages_are_counted_and_do_not_stop_the_consumer(
    consumer_factory: Any, topic: str
) -> None:
    import paho.mqtt.publish as single

    inbox = Inbox()
    consumer = consumer_factory([topic], inbox)
    host = BrokerUrl.parse(BROKER)
    single.single(topic, b"not json{", qos=1, hostname=host.host, port=host.port)
    single.single(topic, b"[1, 2]", qos=1, hostname=host.host, port=host.port)
    publish_json(topic, {"explode": True}, url=BROKER)
    publish_json(topic, {"ok": 1}, url=BROKER)
    assert inbox.wait_for(1) == [(topic, {"ok": 1})]
    assert consumer.stats.rejected == 3
    assert consumer.stats.handled == 1


def test_a_shared_subscription_splits_messages_between_workers(
    consumer_factory: Any, topic: str
) -> None:
    inbox = Inbox()
    first = consumer_factory([topic], inbox, share_group="ingest")
    second = consumer_factory([topic], inbox, share_group="ingest")
    for i in range(20):
        publish_json(topic, {"seq": i}, url=BROKER)
    received = inbox.wait_for(20)
    assert sorted(d["seq"] for _t, d in received) == list(range(20))
    assert first.stats.handled + second.stats.handled == 20


# --- batches -----------------------------------------------------------------------------------


class Proxy:
    """A TCP relay between clients and the broker whose connections a test can cut."""

    def __init__(self, broker: str) -> None:
        import socket

        self.target = BrokerUrl.parse(broker)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[Any] = []
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        import socket

        while True:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection((self.target.host, self.target.port))
            self.sockets += [client, upstream]
            self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(a, b), daemon=True).start()

    @staticmethod
    def _relay(source: Any, sink: Any) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        import socket

        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def close(self) -> None:
        self.server.close()
        self.cut()


class Batches:
    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.seen: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, batch: list[tuple[str, dict[str, Any]]]) -> int:
        with self.lock:
            self.sizes.append(len(batch))
            self.seen += [d["seq"] for _t, d in batch]
        return 0

    def wait_for(self, wanted: set[int], timeout: float = 15.0) -> set[int]:
        deadline = time.monotonic() + timeout
        while not wanted <= set(self.seen) and time.monotonic() < deadline:
            time.sleep(0.02)
        return set(self.seen)


def publish_many(topic: str, seqs: range) -> None:
    from shequ.core.mqtt import Publisher

    publisher = Publisher(BROKER)
    for i in seqs:
        publisher.publish(topic, {"seq": i})
    publisher.flush()
    publisher.close()


def test_a_batch_consumer_takes_what_has_arrived_in_batches_and_acknowledges_it(
    broker: str, topic: str
) -> None:
    batches = Batches()
    client_id = f"test-{uuid.uuid4().hex[:10]}"
    consumer = BatchConsumer([topic], batches, url=broker, client_id=client_id,
                             session_expiry=60, batch_size=50)  # fmt: skip
    consumer.start()
    try:
        publish_many(topic, range(400))
        assert batches.wait_for(set(range(400))) == set(range(400))
    finally:
        consumer.stop()
    assert max(batches.sizes) <= 50
    assert consumer.stats.handled == 400
    # Every one was acknowledged: the resumed session has nothing to send again.
    again = Batches()
    resumed = BatchConsumer([topic], again, url=broker, client_id=client_id, session_expiry=60)
    resumed.start()
    time.sleep(1.0)
    resumed.stop()
    assert again.seen == []


@pytest.mark.parametrize("session_expiry", [60, 0], ids=["session kept", "session lost"])
def test_a_batch_consumer_connects_again_when_the_connection_breaks(
    broker: str, topic: str, session_expiry: int
) -> None:
    proxy = Proxy(broker)
    batches = Batches()
    status = f"{topic}-status/consumer"
    client_id = f"test-{uuid.uuid4().hex[:10]}"
    consumer = BatchConsumer([topic], batches, url=proxy.url, session_expiry=session_expiry,
                             client_id=client_id, status_topic=status)  # fmt: skip
    consumer.start()
    try:
        publish_many(topic, range(100))
        assert batches.wait_for(set(range(100))) == set(range(100))
        proxy.cut()
        if session_expiry:  # published while it is away: kept for it by the broker
            publish_many(topic, range(100, 200))
        deadline = time.monotonic() + 15
        while proxy.accepted < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.accepted == 2, "the consumer did not connect again"
        time.sleep(0.5)  # subscribed again where the broker lost the session
        publish_many(topic, range(200, 300))
        wanted = set(range(300)) if session_expiry else set(range(100)) | set(range(200, 300))
        assert batches.wait_for(wanted) >= wanted
        from shequ.core.mqtt import online

        assert online(f"{topic}-status/+", url=broker) == [status]  # said online again
    finally:
        consumer.stop()
        proxy.close()
