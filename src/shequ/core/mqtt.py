"""MQTT plumbing for devices (water gauges, gates): JSON publish and a consumer loop.

Configured by ``SHEQU_MQTT_URL`` (``mqtt://user:pass@host:1883`` or ``mqtts://…``).
Scale-out uses MQTT 5 shared subscriptions (``$share/<group>/<topic>``), so several
workers split one topic's messages without a code change.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from shequ.core import mqtt_lean

log = logging.getLogger(__name__)
mqtt_lean.install()

Handler = Callable[[str, dict[str, Any]], None]
# Takes a batch of (topic, JSON object) and answers how many of them it rejected.
BatchHandler = Callable[[list[tuple[str, dict[str, Any]]]], int]


class MqttError(RuntimeError):
    """The broker could not be reached or refused the operation."""


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        parts = urlsplit(url)
        if parts.scheme not in {"mqtt", "mqtts", "tcp", "ssl"}:
            raise MqttError(f"SHEQU_MQTT_URL must start with mqtt:// or mqtts://, not {url!r}")
        if not parts.hostname:
            raise MqttError(f"SHEQU_MQTT_URL has no host: {url!r}")
        tls = parts.scheme in {"mqtts", "ssl"}
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )


def _url(url: str | None) -> str:
    url = url or settings.MQTT_URL
    if not url:
        raise MqttError("SHEQU_MQTT_URL is not set")
    return url


def make_client(
    url: str | None = None, client_id: str | None = None, *, manual_ack: bool = False
) -> mqtt.Client:
    broker = BrokerUrl.parse(_url(url))
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"shequ-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    return client


def _connect(
    client: mqtt.Client,
    url: str | None,
    timeout: float,
    session_expiry: int = 0,
    receive_maximum: int | None = None,
    *,
    threaded: bool = True,
) -> bool:
    """Connect and start the network loop (``threaded``: paho's own thread; else this thread
    runs it until the broker answers, and the caller's after); True when the broker resumed a
    session.

    ``session_expiry`` > 0 resumes a persistent session (MQTT 5 clean start off): the broker
    keeps the subscriptions and queues QoS 1 messages for that many seconds while the client
    is away. ``receive_maximum``: how many QoS 1 messages the broker may send before the
    client acknowledges them (Mosquitto's own default is 20)."""
    broker = BrokerUrl.parse(_url(url))
    connected = threading.Event()
    failure: list[str] = []
    resumed: list[bool] = []

    def on_connect(_c: Any, _u: Any, flags: Any, reason: Any, _p: Any = None) -> None:
        if reason.is_failure:
            failure.append(str(reason))
        resumed.append(bool(getattr(flags, "session_present", False)))
        connected.set()

    client.on_connect = on_connect
    try:
        props = Properties(PacketTypes.CONNECT)
        if receive_maximum:
            props.ReceiveMaximum = receive_maximum
        if session_expiry > 0:
            props.SessionExpiryInterval = session_expiry
            client.connect(
                broker.host, broker.port, keepalive=30, clean_start=False, properties=props
            )
        elif receive_maximum:
            client.connect(broker.host, broker.port, keepalive=30, properties=props)
        else:
            client.connect(broker.host, broker.port, keepalive=30)
    except OSError as exc:
        raise MqttError(f"cannot reach MQTT broker {broker.host}:{broker.port}: {exc}") from exc
    if threaded:
        client.loop_start()
    if not (connected.wait(timeout) if threaded else pump(client, connected.is_set, timeout)):
        client.loop_stop()
        raise MqttError(f"MQTT broker {broker.host}:{broker.port} did not answer in {timeout}s")
    if failure:
        client.loop_stop()
        raise MqttError(f"MQTT broker refused the connection: {failure[0]}")
    return bool(resumed and resumed[0])


def pump(client: mqtt.Client, done: Callable[[], bool], timeout: float) -> bool:
    """Run the client's network loop in this thread until ``done()`` (True) or the timeout or
    a lost connection (False)."""
    deadline = time.monotonic() + timeout
    while not done():
        left = deadline - time.monotonic()
        if left <= 0 or client.loop(min(left, 0.1)) != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return done()
    return True


def publish_json(
    topic: str,
    payload: dict[str, Any],
    *,
    qos: int = 1,
    url: str | None = None,
    timeout: float = 5.0,
    retain: bool = False,
) -> None:
    """Publish one JSON message and wait until the broker has it (QoS 1 by default)."""
    client = make_client(url)
    _connect(client, url, timeout)
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        info = client.publish(topic, body, qos=qos, retain=retain)
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise MqttError(f"publish to {topic!r} was not acknowledged in {timeout}s")
    finally:
        client.disconnect()
        client.loop_stop()


class Publisher:
    """One connection for many publishes (``publish_json`` connects for each message)."""

    def __init__(self, url: str | None = None, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.client = make_client(url)
        _connect(self.client, url, timeout)
        self._pending: list[tuple[str, mqtt.MQTTMessageInfo]] = []

    def publish(self, topic: str, payload: dict[str, Any], *, qos: int = 1) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        self._pending.append((topic, self.client.publish(topic, body, qos=qos)))

    def flush(self) -> int:
        """Wait until the broker has every message published so far; how many it took."""
        pending, self._pending = self._pending, []
        for topic, info in pending:
            info.wait_for_publish(self.timeout)
            if not info.is_published():
                raise MqttError(f"publish to {topic!r} was not acknowledged in {self.timeout}s")
        return len(pending)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def check(url: str | None = None, timeout: float = 3.0) -> str:
    """'ok' when the broker accepts a connection, otherwise the reason."""
    client = make_client(url)
    try:
        _connect(client, url, timeout)
    except MqttError as exc:
        return f"error: {exc}"
    client.disconnect()
    client.loop_stop()
    return "ok"


@dataclass
class ConsumerStats:
    received: int = 0
    handled: int = 0
    rejected: int = 0


class Consumer:
    """Subscribe to topics and hand each JSON object to ``handler(topic, data)``.

    A message that is not a JSON object, or whose handler raises, is logged and
    counted as rejected; the consumer keeps going. A QoS 1 message is acknowledged to the
    broker only after the handler returns, so a consumer killed mid-message gets it again.
    With ``client_id`` and ``session_expiry`` the session is persistent: messages published
    while the consumer is down wait at the broker.
    """

    manual_ack = False
    threaded = True  # paho's network thread calls the handler
    receive_maximum: int | None = None

    def __init__(
        self,
        topics: list[str],
        handler: Handler,
        *,
        url: str | None = None,
        share_group: str | None = None,
        qos: int = 1,
        client_id: str | None = None,
        session_expiry: int = 0,
        status_topic: str | None = None,
        status: dict[str, Any] | None = None,
    ) -> None:
        self.topics = [f"$share/{share_group}/{t}" if share_group else t for t in topics]
        self.handler = handler
        self.url = url
        self.qos = qos
        self.session_expiry = session_expiry
        self.stats = ConsumerStats()
        self.subscribed = threading.Event()
        self.client = make_client(url, client_id, manual_ack=self.manual_ack)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_args: self.subscribed.set()
        # Presence: retained ``{"online": true}`` once subscribed, cleared as it stops, and
        # ``{"online": false}`` from the broker (the will) when it dies.
        self.status_topic, self.status = status_topic, status or {}
        if status_topic:
            self.client.will_set(status_topic, _status(False, self.status), qos=1, retain=True)

    def _on_message(self, _client: Any, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        try:
            data = json.loads(msg.payload)
            if not isinstance(data, dict):
                raise ValueError("payload is not a JSON object")
            self.handler(msg.topic, data)
        except Exception:  # one bad device message must not stop the consumer
            self.stats.rejected += 1
            log.warning("rejected MQTT message on %s", msg.topic, exc_info=True)
        else:
            self.stats.handled += 1

    def start(self, timeout: float = 5.0) -> None:
        resumed = _connect(
            self.client,
            self.url,
            timeout,
            self.session_expiry,
            self.receive_maximum,
            threaded=self.threaded,
        )
        self._subscribe()
        # A resumed session holds the subscription already, and the messages it queued come
        # before the broker's acknowledgement, behind the handler: do not wait on them.
        if not resumed and not self._wait(self.subscribed.is_set, timeout):
            raise MqttError("the broker did not acknowledge the subscription")
        self._announce(True, timeout)

    def _subscribe(self) -> None:
        result, _mid = self.client.subscribe([(t, self.qos) for t in self.topics])
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise MqttError(f"subscribe failed: {result}")

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        """Until ``done()``: paho's thread does the network's work, or, without one, this one."""
        if not self.threaded:
            return pump(self.client, done, timeout)
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _announce(self, online: bool, timeout: float = 5.0) -> None:
        """Online: the retained status; stopping: the retained status cleared (an empty
        message), so the broker keeps nothing of a consumer that left in good order."""
        if self.status_topic:
            body = _status(True, self.status) if online else b""
            info = self.client.publish(self.status_topic, body, qos=1, retain=True)
            self._wait(info.is_published, timeout)

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, ValueError):  # the broker away: the will says it
            self._announce(False)
        self.client.disconnect()
        self.client.loop_stop()


def _status(online: bool, status: dict[str, Any]) -> str:
    return json.dumps({**status, "online": online})


def reachable(url: str | None = None, timeout: float = 3.0) -> None:
    """Connect to the broker and leave again; MqttError saying why when it cannot."""
    client = make_client(url)
    try:
        _connect(client, url, timeout)
    finally:
        client.disconnect()
        client.loop_stop()


def online(
    topic_filter: str,
    *,
    url: str | None = None,
    wait: float = 1.0,
    where: dict[str, Any] | None = None,
) -> list[str]:
    """The status topics under ``topic_filter`` whose retained status says online (a
    consumer's ``status_topic``) and holds every item of ``where``; the broker sends retained
    messages as one subscribes."""
    client = make_client(url)
    seen: dict[str, bool] = {}
    wanted = {**(where or {}), "online": True}

    def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with contextlib.suppress(ValueError, AttributeError):
            said = json.loads(msg.payload)
            seen[msg.topic] = all(said.get(k) == v for k, v in wanted.items())

    client.on_message = on_message
    _connect(client, url, wait + 4)
    try:
        client.subscribe(topic_filter, qos=1)
        threading.Event().wait(wait)
    finally:
        client.disconnect()
        client.loop_stop()
    return sorted(t for t, up in seen.items() if up)


class BatchConsumer(Consumer):
    """A consumer that hands messages to ``handler`` in batches, from a thread of its own.

    That thread runs the client's network loop itself: it reads everything that has arrived
    (at most ``batch_size`` messages, without waiting for more), calls ``handler(batch)``,
    which answers how many it rejected, acknowledges the batch and reads again. Each QoS 1
    message is acknowledged to the broker only after the handler returns, so a consumer
    killed mid-batch gets the whole batch again. The broker may send ``2 * batch_size``
    messages ahead of the acknowledgements (MQTT 5 receive maximum); they wait in the
    socket while a batch is handled. (With paho's own network thread beside the handler, the
    two took turns at the interpreter's lock at every SQLite call and every acknowledgement:
    the ingester spent 0.29 ms of CPU a message, against 0.08 ms for the handler alone.)

    A lost connection is opened again (1 s, then up to 30 s between tries); what arrived and
    was not acknowledged is dropped, since the broker sends it again; a session the broker
    no longer holds is subscribed again, and the status said online again. ``on_exit`` runs in
    the thread as it ends (to close its database connection).
    """

    manual_ack = True
    threaded = False

    def __init__(
        self,
        topics: list[str],
        handler: BatchHandler,
        *,
        batch_size: int = 500,
        on_exit: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(topics, lambda _t, _d: None, **kwargs)
        self.batch_handler = handler
        self.batch_size = batch_size
        self.receive_maximum = min(2 * batch_size, 65_535)
        self.on_exit = on_exit
        self._arrived: list[mqtt.MQTTMessage] = []
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._work, name="mqtt-batches", daemon=True)

    def _on_message(self, _client: Any, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._arrived.append(msg)

    def _work(self) -> None:
        try:
            while not self._stopping.is_set():
                # Wait for traffic (and keep the connection alive), then read what has come.
                if self.client.loop(0.2) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    self._reconnect()
                    continue
                while len(self._arrived) < self.batch_size:
                    before = len(self._arrived)
                    if self.client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                        break
                    if len(self._arrived) == before:
                        break
                if self._arrived:
                    batch = self._arrived[: self.batch_size]
                    del self._arrived[: self.batch_size]
                    self._handle(batch)
        finally:
            if self.on_exit is not None:
                self.on_exit()

    def _reconnect(self) -> None:
        self._arrived.clear()  # not acknowledged: the broker sends it again
        delay = 1.0
        while not self._stopping.wait(delay):
            try:
                self.client.reconnect()
            except OSError as exc:
                log.warning("MQTT broker still away (%s); trying again", exc)
                delay = min(2 * delay, 30.0)
                continue
            log.warning("MQTT connection lost; connected again")
            return

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason: Any, _p: Any = None) -> None:
        """A connection made again (the first is ``start``'s)."""
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        if not getattr(flags, "session_present", False):
            self._subscribe()
        if self.status_topic:  # the broker said offline (the will) when the connection broke
            self.client.publish(self.status_topic, _status(True, self.status), qos=1, retain=True)

    def _handle(self, batch: list[mqtt.MQTTMessage]) -> None:
        parsed, rejected = [], 0
        for msg in batch:
            try:
                data = json.loads(msg.payload)
                if not isinstance(data, dict):
                    raise ValueError("payload is not a JSON object")
                parsed.append((msg.topic, data))
            except ValueError:
                rejected += 1
                log.warning("rejected MQTT message on %s", msg.topic, exc_info=True)
        try:
            rejected += self.batch_handler(parsed) if parsed else 0
        except Exception:  # the batch could not be stored at all: dropped, the consumer goes on
            rejected = len(batch)
            log.exception("rejected a batch of %d MQTT messages", len(batch))
        for msg in batch:
            self.client.ack(msg.mid, msg.qos)
        self.stats.received += len(batch)
        self.stats.rejected += rejected
        self.stats.handled += len(batch) - rejected

    def start(self, timeout: float = 5.0) -> None:
        super().start(timeout)
        self.client.on_connect = self._on_connect
        self._worker.start()

    def stop(self) -> None:
        """Finish the batch under way (acknowledged), then disconnect; the rest waits at the
        broker for the session."""
        self._stopping.set()
        if self._worker.is_alive():
            self._worker.join()
        super().stop()
