"""Benchmark: 1,000 simulated gauges publishing readings to Mosquitto (issue 17).

    python bench/flood.py [--quick] [--ingesters N] [--per-message N]

A fresh shequ (throwaway SHEQU_VAR_DIR, embedded default: SQLite) with 100 underpass points of
10 water-level gauges each, every gauge with the underpass rules (depth thresholds, rate of
rise, no data) and a duty officer on the roster. The local Mosquitto (SHEQU_MQTT_URL, else
127.0.0.1:1883) carries, in the same run:

(a) raw paho throughput: the same messages published to a topic of the run's own and taken
    by a bare paho subscriber process (QoS 1, shared subscription, nothing done with them);
(b) shequ's sustained ingestion: the real ``shequ flood ingest`` process (``--ingesters 2``:
    two in one shared subscription group, as a deployment scales out) stores the readings with
    rule evaluation on; one gauge in ten crosses the red line halfway (45 cm after
    5 cm), and the alert latency is the time from publishing that reading to the alert's
    notification (``Alert.notified_at``, set as the duty officer is told);
(c) the HTTP batch endpoint: ``shequ serve`` takes ``POST /api/v1/flood/readings`` batches
    of 1,000 readings from 4 concurrent gauges.

Each message is one reading of one gauge (``shequ/v1/devices/<id>/readings``; with
``--per-message N``, N of one gauge's readings a minute apart, as a logger sends them),
published with QoS 1 from 10 connections of 100 gauges each. The publisher keeps at most
WINDOW messages ahead of what the receiver has taken (Mosquitto queues 1,000 per session and
drops the rest silently), so the rates are sustained ones and published == stored can hold. Printed:
readings/s of each, the ratio (b)/(a), alert latency p50/p99, peak RSS of the ingester and the
server, and readings published vs stored. Targets: (b) >= 5,000 readings/s on 2 cores, alert
p99 < 2 s, published == stored.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parking import _free_port, _load_avg, _tree_hwm_mib, _wait_healthy
from support.common import ROOT, region_chain, run_child, setup_django, shequ_env

GAUGES = 1_000
PER_POINT = 10
CONNECTIONS = 10
WINDOW = 800
HTTP_BATCH, HTTP_CLIENTS = 1_000, 4
VILLAGE = "990102001201"
BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
TARGET_RATE, TARGET_P99_S = 5_000.0, 2.0
T0 = datetime(2026, 7, 1, tzinfo=UTC)


def server_setup(var_dir: Path) -> dict[str, Any]:
    """In a fresh process: the region, 100 points of 10 gauges with their rules, a duty roster."""
    setup_django(var_dir)
    from django.contrib.auth import get_user_model

    from shequ.core.models import Membership, Role
    from shequ.flood.services import devices, roster

    parent = region_chain(VILLAGE)
    users = get_user_model().objects
    admin = users.create_user(username="bench-admin", is_superuser=True, is_staff=True)
    duty = users.create_user(username="bench-duty")
    Membership.objects.create(user=duty, region=parent, role=Role.DUTY_OFFICER)
    start = datetime.now(UTC) - timedelta(hours=1)
    roster.add_shift(admin, parent, duty, start, start + timedelta(days=2))
    run = uuid.uuid4().hex[:6]
    codes, tokens = [], []
    for p in range(GAUGES // PER_POINT):
        point = devices.create_point(
            admin, parent, code=f"b{run}-{p:03d}", name=f"涵洞{p:03d}", kind="underpass",
            lat=30.28 + p / 10_000, lon=120.12,
        )  # fmt: skip
        for g in range(PER_POINT):
            gauge = devices.add_device(
                admin, point, f"b{run}-{p:03d}-{g}", "water_level", interval_seconds=60
            )
            devices.add_underpass_rules(admin, gauge)
            codes.append(gauge.code)
            if len(tokens) < HTTP_CLIENTS:
                tokens.append(devices.issue_token(admin, gauge))
    return {"codes": codes, "tokens": tokens, "run": run}


# --- MQTT -------------------------------------------------------------------------------------


def _client(client_id: str | None = None, receive_maximum: int = 0, threaded: bool = True) -> Any:
    """A connected paho client; ``threaded``: with paho's network thread, else the caller
    runs the network loop (``Publisher``)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    url = urlsplit(BROKER)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"bench-{uuid.uuid4().hex[:10]}",
        protocol=mqtt.MQTTv5,
    )
    if url.username:
        client.username_pw_set(url.username, url.password)
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = receive_maximum or 65_535
    client.max_inflight_messages_set(200)
    client.connect(url.hostname or "127.0.0.1", url.port or 1883, keepalive=60, properties=props)
    if threaded:
        client.loop_start()
        return client
    deadline = time.monotonic() + 10
    while not client.is_connected():
        if time.monotonic() > deadline or client.loop(0.1):
            raise RuntimeError(f"the broker {BROKER} did not accept the publisher")
    return client


def messages(
    codes: list[str], per_gauge: int, prefix: str, per_message: int = 1
) -> list[tuple[str, bytes, str]]:
    """(topic, payload, code) in publishing order: round after round of every gauge. A gauge
    in ten reads 5 cm, then 45 cm from halfway (red); the others 5 cm and a little noise.
    With ``per_message`` > 1 a message carries that many of one gauge's readings, a minute
    apart (``{"readings": [...]}``), as a logger that sends what it has every few minutes."""
    out = []
    for first in range(0, per_gauge, per_message):
        for n, code in enumerate(codes):
            batch = []
            for i in range(first, min(first + per_message, per_gauge)):
                at = (T0 + timedelta(minutes=i)).isoformat()
                value = 45.0 if n % 10 == 0 and i >= per_gauge // 2 else 5.0 + (i + n) % 3 / 10
                batch.append({"time": at, "value": value})
            data: Any = batch[0] if per_message == 1 else {"readings": batch}
            out.append((prefix.format(code=code), json.dumps(data).encode(), code))
    return out


class Publisher:
    """10 connections of 100 gauges; at most WINDOW messages ahead of ``taken()``.

    This thread runs the connections' network loops itself (a ``select`` over their sockets
    between publishes): with a paho thread per connection, the ten took turns at the
    interpreter's lock with every publish and the run's publisher cost about as much CPU as
    the ingester it measures, on the same two cores."""

    def __init__(self, taken: Any) -> None:
        self.taken = taken
        self.clients = [_client(threaded=False) for _ in range(CONNECTIONS)]
        self.by_socket = {c.socket(): c for c in self.clients}
        self.sent_at: dict[str, float] = {}  # a crossing gauge's code -> when its red was sent

    def _service(self, timeout: float) -> None:
        """Read the broker's acknowledgements, send what is queued, keep the sessions alive."""
        import select

        wants = [s for s, c in self.by_socket.items() if c.want_write()]
        readable, writable, _ = select.select(list(self.by_socket), wants, [], timeout)
        for sock in readable:
            self.by_socket[sock].loop_read()
        for sock in writable:
            self.by_socket[sock].loop_write()

    def run(self, work: list[tuple[str, bytes, str]], crossing_from: int) -> float:
        """Publish everything; the seconds from the first publish to the last one taken."""
        infos = []
        started = time.perf_counter()
        for index, (topic, body, code) in enumerate(work):
            while index - self.taken() >= WINDOW:
                self._service(0.002)
            if index % 100 == 0:
                self._service(0)
            if index >= crossing_from and code not in self.sent_at and b"45.0" in body:
                self.sent_at[code] = time.time()
            client = self.clients[hash(code) % CONNECTIONS]
            infos.append(client.publish(topic, body, qos=1))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            self.taken() >= len(work) and all(i.is_published() for i in infos[-1000:])
        ):
            self._service(0.005)
            for client in self.clients:
                client.loop_misc()
        return time.perf_counter() - started

    def close(self) -> None:
        for c in self.clients:
            c.disconnect()


def subscriber_child(topic: str, expected: int) -> None:
    """(a)'s receiver, in a process of its own: counts QoS 1 messages and prints progress."""
    count = 0
    done = threading.Event()

    def on_message(*_args: Any) -> None:
        nonlocal count
        count += 1
        if count % 100 == 0 or count == expected:
            print(count, flush=True)
        if count >= expected:
            done.set()

    client = _client(receive_maximum=1000)
    client.on_message = on_message
    client.subscribe(topic, qos=1)
    print("subscribed", flush=True)
    done.wait(300)
    client.disconnect()
    client.loop_stop()


def raw_paho(codes: list[str], per_gauge: int, per_message: int = 1) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    work = messages(codes, per_gauge, f"bench/{run}/{{code}}/readings", per_message)
    topic = f"$share/bench-{run}/bench/{run}/+/readings"
    args = [sys.executable, __file__, "--child", "subscribe", topic, str(len(work))]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "subscribed"
    got = [0]

    def follow() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            got[0] = int(line)

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(0.3)  # the subscription is in place
    publisher = Publisher(lambda: got[0])
    seconds = publisher.run(work, len(work))
    publisher.close()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:  # some never arrived: say how many did (to 100)
        proc.kill()
        proc.wait()
    return {"rate": got[0] / seconds, "received": got[0], "published": len(work), "s": seconds,
            "readings": got[0] / seconds * per_message}  # fmt: skip


def _readings(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        return int(con.execute("SELECT COALESCE(MAX(id), 0) FROM flood_reading").fetchone()[0])


def _count(db: Path, sql: str) -> list[Any]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        return con.execute(sql).fetchall()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used: on a shared machine the rate a core
    would sustain is readings / CPU seconds, whatever the wall clock says."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _broker_pid() -> int | None:
    """The local Mosquitto's process, to count its CPU (None when it runs elsewhere)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "mosquitto":
                    return int(proc.name)
            except OSError:
                continue
    return None


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def shequ_ingest(
    env: dict[str, str],
    db: Path,
    codes: list[str],
    per_gauge: int,
    log_path: Path,
    ingesters: int = 1,
    per_message: int = 1,
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    # The command exactly as users run it (the console script, default batch size), or the
    # module where the script is not installed; several ingesters share one subscription
    # group (distinct client ids), as a deployment scales out (docs/flood.md).
    script = Path(sys.executable).with_name("shequ")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "shequ.cli"]
    procs, logs = [], []
    for n in range(ingesters):
        args = [*command, "flood", "ingest", "--client-id", f"bench-{run}-{n}"]
        args += ["--group", f"bench-{run}", "--session-expiry", "120", "--url", BROKER]
        log = log_path.with_suffix(f".{n}.log").open("w")
        proc = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True
        )
        procs.append(proc)
        logs.append(log)
    for proc in procs:
        assert proc.stdout is not None
        assert "subscribed" in proc.stdout.readline()
    # after start-up (imports, URL configuration)
    cpu_start = [_cpu_seconds(p.pid) for p in procs]
    broker = _broker_pid()
    broker_start = _cpu_seconds(broker) if broker else 0.0
    own_start, busy_start = _own_cpu(), _machine_busy()
    work = messages(codes, per_gauge, "shequ/v1/devices/{code}/readings", per_message)
    readings = len(codes) * per_gauge
    before = _readings(db)
    taken = [0]
    stop = threading.Event()

    def poll() -> None:  # the readings stored so far (the table's ids only grow)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
            while not stop.is_set():
                row = con.execute("SELECT COALESCE(MAX(id), 0) FROM flood_reading").fetchone()
                taken[0] = int(row[0]) - before
                time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    publisher = Publisher(lambda: taken[0] // per_message)  # messages taken, near enough
    seconds = publisher.run(work, len(codes) * (per_gauge // 2) // per_message)
    publisher.close()
    stop.set()
    poller.join()
    rss = max(_tree_hwm_mib(p.pid) for p in procs)
    cpu = sum(_cpu_seconds(p.pid) - c for p, c in zip(procs, cpu_start, strict=True))
    own = _own_cpu() - own_start  # the publisher's connections and the stored-count poll
    busy = _machine_busy() - busy_start
    broker_cpu = _cpu_seconds(broker) - broker_start if broker else None
    for proc in procs:
        proc.terminate()
    for proc, log in zip(procs, logs, strict=True):
        proc.wait(60)
        log.close()
    stored = _count(db, "SELECT COUNT(*) FROM flood_reading")[0][0] - before
    rows = _count(
        db,
        "SELECT d.code, a.notified_at FROM flood_alert a JOIN flood_rule r ON r.id = a.rule_id "
        "JOIN flood_device d ON d.id = r.device_id WHERE r.kind = 'threshold'",
    )
    latencies = []
    for code, notified in rows:
        if code in publisher.sent_at and notified:
            told = datetime.fromisoformat(notified).replace(tzinfo=UTC).timestamp()
            latencies.append(told - publisher.sent_at[code])
    latencies.sort()
    return {
        "rate": stored / seconds,
        "published": readings,
        "stored": stored,
        "alerts": len(rows),
        "crossing": len(publisher.sent_at),
        "latencies": latencies,
        "rss": rss,
        "cpu": cpu,
        "own_cpu": own,
        "busy": busy,
        "broker_cpu": broker_cpu,
        "s": seconds,
        "errors": [
            x
            for n in range(ingesters)
            for x in log_path.with_suffix(f".{n}.log").read_text().splitlines()
            if "Error" in x
        ][:3],
    }


# --- HTTP -------------------------------------------------------------------------------------


def http_batches(
    env: dict[str, str], db: Path, tokens: list[str], per_client: int
) -> dict[str, Any]:
    import httpx

    port = _free_port()
    log = (db.parent / "serve.log").open("w")
    cmd = [sys.executable, "-m", "shequ.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    before = _count(db, "SELECT COUNT(*) FROM flood_reading")[0][0]
    statuses: dict[int, int] = {}
    try:
        _wait_healthy(url, proc)
        start = T0 + timedelta(days=30)

        def post(token: str, batches: int, offset: int) -> None:
            with httpx.Client(base_url=url, timeout=120) as client:
                for b in range(batches):
                    at = start + timedelta(days=offset + b)
                    body = {
                        "readings": [
                            {"time": (at + timedelta(seconds=i)).isoformat(), "value": 5.0}
                            for i in range(HTTP_BATCH)
                        ]
                    }
                    answer = client.post(
                        "/api/v1/flood/readings",
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        post(tokens[0], 1, 1000)  # imports and caches
        threads = [
            threading.Thread(target=post, args=(t, per_client, n * 100))
            for n, t in enumerate(tokens)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        rss = _tree_hwm_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    stored = _count(db, "SELECT COUNT(*) FROM flood_reading")[0][0] - before - HTTP_BATCH
    published = per_client * len(tokens) * HTTP_BATCH
    return {"rate": stored / seconds, "stored": stored, "published": published, "rss": rss,
            "statuses": statuses}  # fmt: skip


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="6 readings a gauge (6,000)")
    parser.add_argument(
        "--ingesters", type=int, default=1, help="`shequ flood ingest` processes in one group"
    )
    parser.add_argument(
        "--per-message",
        type=int,
        default=1,
        help="readings a message (default 1; 10: loggers sending ten minutes at a time)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.child[0] == "setup":
        print(json.dumps(server_setup(Path(args.child[1]))))
        return
    if args.child and args.child[0] == "subscribe":
        subscriber_child(args.child[1], int(args.child[2]))
        return
    per = max(1, args.per_message)
    per_gauge = max(6 if args.quick else 30, 3 * per)  # three messages a gauge at least
    http_per_client = 3 if args.quick else 10
    with tempfile.TemporaryDirectory(prefix="shequ-bench-flood-") as tmp:
        var = Path(tmp) / "var"
        env = shequ_env(var) | {"SHEQU_DATA_DIR": str(var / "data"), "SHEQU_DEBUG": "false"}
        env["SHEQU_MQTT_URL"] = BROKER
        setup = run_child([str(Path(__file__).resolve()), "--child", "setup", str(var)], env)
        db = var / "shequ.sqlite3"
        codes = setup["codes"]
        raw = raw_paho(codes, per_gauge, per)
        ours = shequ_ingest(
            env, db, codes, per_gauge, Path(tmp) / "ingest.log", max(1, args.ingesters), per
        )
        http = http_batches(env, db, setup["tokens"], http_per_client)
    lat = ours["latencies"]
    each = f", {per} readings a message" if per > 1 else ", one reading a message"
    print(
        f"(a) raw paho publish->subscribe{each}: {raw['rate']:,.0f} msg/s = "
        f"{raw['readings']:,.0f} readings/s ({raw['received']:,} of {raw['published']:,} "
        f"messages received in {raw['s']:.1f} s)"
    )
    print(
        f"(b) shequ flood ingest x{args.ingesters}, rules on{each}: {ours['rate']:,.0f} "
        f"readings/s ({ours['stored']:,} stored of {ours['published']:,} published in "
        f"{ours['s']:.1f} s); ratio (b)/(a) {ours['rate'] / raw['readings']:.2f}; peak RSS of "
        f"an ingester {ours['rss']:.0f} MiB"
    )
    print(
        f"    ingester CPU {ours['cpu']:.1f} s (all ingesters): "
        f"{ours['stored'] / max(ours['cpu'], 0.01):,.0f} readings per CPU-second, what one "
        "core would sustain unshared"
    )
    broker_cpu = "not local" if ours["broker_cpu"] is None else f"{ours['broker_cpu']:.1f} s"
    print(
        f"    CPU while (b) ran: machine busy {ours['busy']:.1f} s of "
        f"{ours['s'] * (os.cpu_count() or 1):.1f} s ({os.cpu_count()} cores); ingesters "
        f"{ours['cpu']:.1f} s, publisher and poll (this process) {ours['own_cpu']:.1f} s, "
        f"broker {broker_cpu}"
    )
    print(
        f"    alert latency publish->notification: p50 {_pct(lat, 0.5):.2f} s, p99 "
        f"{_pct(lat, 0.99):.2f} s over {len(lat)} of {ours['crossing']} crossing gauges "
        f"({ours['alerts']} threshold alerts)"
    )
    print(
        f"(c) HTTP POST /api/v1/flood/readings, {HTTP_CLIENTS} gauges x {HTTP_BATCH:,}-reading "
        f"batches: {http['rate']:,.0f} readings/s ({http['stored']:,} stored of "
        f"{http['published']:,}; answers {http['statuses']}); ratio (c)/(a) "
        f"{http['rate'] / raw['rate']:.2f}; peak RSS server {http['rss']:.0f} MiB"
    )
    within = (
        ours["rate"] >= TARGET_RATE
        and _pct(lat, 0.99) < TARGET_P99_S
        and ours["stored"] == ours["published"]
    )
    print(
        f"{'within' if within else 'over'} target ((b) >= {TARGET_RATE:,.0f}/s, alert p99 < "
        f"{TARGET_P99_S:g} s, published == stored: {ours['published'] == ours['stored']}); "
        f"load average {_load_avg()}"
    )
    if ours["errors"]:
        print(f"  ingester log: {ours['errors'][0][:300]}")


if __name__ == "__main__":
    main()
