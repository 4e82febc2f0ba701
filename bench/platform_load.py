"""Benchmark: the whole platform under mixed load at once (issue 21).

    python bench/platform_load.py [--quick] [--seconds S] [--database sqlite|postgresql]
                             [--rate-scale X] [--web-workers N]
    python bench/platform_load.py --url http://127.0.0.1:8000 --password PW [--pid web=PID ...]
                             [--mqtt-topic-root ROOT] [--metrics-token TOKEN]

Without ``--url``: builds the demo (``shequ demo --no-serve``, scale 1) in a throwaway var dir
(``--database postgresql``: and a throwaway database at 127.0.0.1:5432, user postgres, dropped
afterwards), then starts the platform as a user does: ``shequ serve --workers N``,
``shequ worker`` and ``shequ flood ingest`` (the MQTT broker of ``SHEQU_MQTT_URL``, else
127.0.0.1:1883, under a topic root of the run's own). With ``--url``: the platform already
running there (a demo; its logins' password), nothing built or started.

Over HTTP only, as staff would: the street and community staff log in, issue door terminals'
tokens on 锦绣花园's north gate page and the gauges' tokens (W02, W04-W06, ``POST
/api/v1/flood/devices/<id>/token``); the street asks the hub for the community's green
residents (request, approved by the admin, then a query), the faces the demo enrolled.

A load generator in a process of its own (asyncio on raw keep-alive HTTP/1.1 connections, a
few microseconds a request; each terminal, gauge and browser session on connections of its
own, another while one of its requests is in flight; paho for MQTT) then offers, open-loop
(every request is sent at its scheduled time whatever the answers before it, and its latency
is counted from that time, so queueing is in it), per second at ``--rate-scale 1``:

- residents browsing (the demo resident, 4 sessions): 8 pages among home, parking, time bank,
  feedback and the phone summary;
- gate events: 80 ``POST /api/v1/access/check`` from 8 face terminals (95 % enrolled green
  residents, 5 % unknown faces);
- gauge readings: 4 HTTP batches of 20 readings (``POST /api/v1/flood/readings``, one a second
  per gauge) and 100 MQTT publishes of one reading (QoS 1, latency to the broker's PUBACK),
  every value the quiet 2 cm, so no alert is raised;
- staff dashboards (the street's staff, 3 sessions): the street overview every 10 s and the
  big screen's JSON every 3 s per staff member.

First ``GET /api/v1/health`` alone at the same total HTTP rate (the baseline: the HTTP stack
and one query under the same offered load), then the mix for ``--seconds`` (300; ``--quick``:
60 s on SQLite). Printed: per class and endpoint the rate achieved against offered, p50/p99,
errors (a status of 400 or more, a refused or dropped connection, no answer within 10 s; no
PUBACK) with the first reasons, and the ratio of its p99 to the baseline's; the readings
stored against those sent (``/metrics``), the jobs still queued; per process (web server
and its workers, worker, ingester, generator) the peak RSS (VmHWM) and the CPU seconds
used during the mix. Device rate limits: ``SHEQU_DEVICE_RATE_LIMIT`` is set to 10^9 (its
default, 600 a minute per token, would refuse a terminal's 10 checks a second; see
docs/operations.md); a platform given by ``--url`` needs it set likewise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from support.common import ROOT, shequ_env

BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
PG_URL = "postgresql://postgres@127.0.0.1:5432"
TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256
COMMUNITY = "990102001001"  # 锦绣社区: its estate 锦绣花园, the demo resident's home
ESTATE, GATE = "锦绣花园", "北门"
# The village's water gauges but the culvert's W01 and the creek bridge's W03 (the system tier's
# flood journeys raise W01 and count W03's readings on the same demo).
GAUGES = ["W02", "W04", "W05", "W06"]
QUIET_CM = 2.0
RESIDENT_PAGES = [
    "/",
    "/parking/me/",
    "/timebank/",
    "/dashboard/feedback/mine/",
    "/dashboard/phone/",
]
TERMINALS, RESIDENT_SESSIONS, STAFF_SESSIONS = 8, 4, 3
BATCH = 20
# requests (messages) a second at --rate-scale 1
RATES = {
    "residents": 8.0,
    "gates": 80.0,
    "gauges_http": 4.0,
    "gauges_mqtt": 100.0,
    "staff_overview": STAFF_SESSIONS / 10,
    "staff_screen": STAFF_SESSIONS / 3,
}
LABELS = {
    "residents": "residents browsing",
    "gates": "gate events POST /api/v1/access/check",
    "gauges_http": f"gauge batches POST /api/v1/flood/readings ({BATCH} readings)",
    "gauges_mqtt": "gauge readings MQTT publish (QoS 1, to PUBACK)",
    "staff_overview": "staff street overview GET /dashboard/",
    "staff_screen": "staff big screen JSON GET /api/v1/dashboard/screen",
}


# --- the load generator (a process of its own) ----------------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams (Content-Length or chunked)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes, headers: str) -> Answer:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{headers}"
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        fields = dict(x.lower().split(": ", 1) for x in lines if ": " in x)
        if fields.get("transfer-encoding", "") == "chunked":
            payload = b""
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                payload += await reader.readexactly(size + 2)
                payload = payload[:-2]
            await reader.readuntil(b"\r\n")
        else:
            payload = await reader.readexactly(int(fields.get("content-length", 0)))
        if fields.get("connection") == "close":
            self.close()
        return Answer(int(status_line.split()[1]), payload)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


@dataclass
class Stats:
    """What one endpoint saw: latencies (s) of answered requests, statuses, errors."""

    offered: float = 0.0
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    at: list[float] = field(default_factory=list)  # each answered request's scheduled time
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    reasons: list[str] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)

    def note(self, latency: float, status: str, error: str = "", at: float = 0.0) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if error:
            self.errors += 1
            if len(self.reasons) < 3:
                self.reasons.append(error[:200])
        else:
            self.latencies.append(latency)
            self.at.append(at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "offered": self.offered, "sent": self.sent, "latencies": self.latencies,
            "at": self.at, "statuses": self.statuses, "errors": self.errors,
            "reasons": self.reasons, "extra": self.extra,
        }  # fmt: skip


class Pool:
    """One client's (a terminal's, a gauge's, a browser's) idle keep-alive connections; a new
    one when none is idle, at most MAX_CONNECTIONS open in all (``slots``, shared)."""

    def __init__(self, host: str, port: int, slots: asyncio.Semaphore) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.slots = slots

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> Answer | str:
        """The answer, or why there was none (an error)."""
        async with self.slots:
            conn = self.idle.pop() if self.idle else Connection(self.host, self.port)
            for attempt in (1, 2):  # a kept-alive connection the server closed: once more
                fresh = conn.streams is None
                try:
                    answer = await asyncio.wait_for(
                        conn.request(method, path, body, headers), TIMEOUT_S
                    )
                except TimeoutError:
                    conn.close()
                    return f"no answer within {TIMEOUT_S:g} s"
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    conn.close()
                    if fresh or attempt == 2:
                        return f"{type(exc).__name__}: {exc}"
                    continue
                self.idle.append(conn)
                return answer
        raise AssertionError("unreachable")


class Generator:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        url = urlsplit(plan["url"])
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.pools: dict[str, Pool] = {}
        self.slots: asyncio.Semaphore | None = None
        self.rng = random.Random(21)
        self.run = plan["run"]
        self.counters: dict[str, int] = {}
        self.clocks: dict[str, datetime] = {}  # a gauge's last reading time, HTTP or MQTT
        self.mqtt: Any = None
        self.pending: dict[int, tuple[float, Stats]] = {}
        self.early: dict[int, float] = {}
        self.lock = threading.Lock()
        # readings over every phase (warm-up included), to set against what was stored
        self.totals = {"http_received": 0, "http_stored": 0, "mqtt_acked": 0}

    def _stamp(self, code: str) -> datetime:
        """Now, or 1 ms after the gauge's last reading: the gauge's readings are current and
        none is a duplicate of another (over HTTP or MQTT)."""
        last = self.clocks.get(code)
        now = datetime.now(UTC)
        at = now if last is None or now > last else last + timedelta(milliseconds=1)
        self.clocks[code] = at
        return at

    def _count(self, key: str) -> int:
        n = self.counters.get(key, 0)
        self.counters[key] = n + 1
        return n

    async def _http(
        self,
        client: str,
        stats: Stats,
        scheduled: float,
        method: str,
        path: str,
        body: bytes,
        headers: str,
    ) -> Answer | None:
        """One request of CLIENT (its own connections, as a device or browser has)."""
        stats.sent += 1
        if self.slots is None:
            self.slots = asyncio.Semaphore(MAX_CONNECTIONS)
        pool = self.pools.get(client) or self.pools.setdefault(
            client, Pool(self.host, self.port, self.slots)
        )
        answer = await pool.request(method, path, body, headers)
        latency = time.perf_counter() - scheduled
        if isinstance(answer, str):
            stats.note(latency, "no answer", answer)
            return None
        error = "" if answer.status < 400 else f"{answer.status} {answer.body[:150]!r}"
        stats.note(latency, str(answer.status), error, at=scheduled)
        return answer

    # one request of each class; ``stats`` is per endpoint
    async def residents(self, scheduled: float, stats: dict[str, Stats]) -> None:
        n = self._count("residents")
        who = n % len(self.plan["residents"])
        cookie = self.plan["residents"][who]
        path = RESIDENT_PAGES[n % len(RESIDENT_PAGES)]  # 4 sessions, 5 pages: every pair
        await self._http(
            f"resident-{who}", stats[f"GET {path}"], scheduled, "GET", path, b"", cookie
        )

    async def gates(self, scheduled: float, stats: dict[str, Stats]) -> None:
        n = self._count("gates")
        tokens, faces = self.plan["door_tokens"], self.plan["faces"]
        known = self.rng.random() < 0.95
        face = self.rng.choice(faces) if known else f"X{self.rng.randint(0, 10**6)}"
        body = {
            "event_id": f"{self.run}-{n}",
            "method": "face",
            "value": face,
            "time": datetime.now(UTC).isoformat(),
        }
        token = tokens[n % len(tokens)]
        headers = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        one = stats["POST /api/v1/access/check"]
        raw = json.dumps(body).encode()
        door = f"door-{n % len(tokens)}"
        answer = await self._http(
            door, one, scheduled, "POST", "/api/v1/access/check", raw, headers
        )
        if answer is not None and answer.status == 200:
            got = json.loads(answer.body)
            kind = "replayed" if got.get("replayed") else str(got.get("colour"))
            one.extra[kind] = one.extra.get(kind, 0) + 1

    async def gauges_http(self, scheduled: float, stats: dict[str, Stats]) -> None:
        n = self._count("gauges_http")
        codes = list(self.plan["gauge_tokens"])
        code = codes[n % len(codes)]
        readings = [
            {"time": self._stamp(code).isoformat(), "value": QUIET_CM} for _ in range(BATCH)
        ]
        token = self.plan["gauge_tokens"][code]
        headers = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        one = stats["POST /api/v1/flood/readings"]
        body = json.dumps({"readings": readings}).encode()
        answer = await self._http(
            f"gauge-{code}", one, scheduled, "POST", "/api/v1/flood/readings", body, headers
        )
        if answer is not None and answer.status == 200:
            got = json.loads(answer.body)
            for key in ("received", "stored", "duplicates", "alerts_changed"):
                one.extra[key] = one.extra.get(key, 0) + int(got.get(key, 0))
            self.totals["http_received"] += int(got.get("received", 0))
            self.totals["http_stored"] += int(got.get("stored", 0))

    async def gauges_mqtt(self, scheduled: float, stats: dict[str, Stats]) -> None:
        n = self._count("gauges_mqtt")
        codes = self.plan["mqtt_codes"]
        code = codes[n % len(codes)]
        body = json.dumps({"time": self._stamp(code).isoformat(), "value": QUIET_CM})
        one = stats["MQTT <root>/devices/<id>/readings"]
        one.sent += 1
        topic = f"{self.plan['mqtt_root']}/devices/{code}/readings"
        # Never hold the lock while paho does: its network thread calls back holding its own.
        info = self.mqtt.publish(topic, body, qos=1)
        if info.rc != 0:
            one.note(0.0, "refused", f"publish rc {info.rc}")
            return
        with self.lock:
            acked = self.early.pop(info.mid, None)
            if acked is None:
                self.pending[info.mid] = (scheduled, one)
            else:  # the PUBACK came before publish() returned
                self._acked(one, acked - scheduled, scheduled)

    def _on_publish(self, _client: Any, _userdata: Any, mid: int, *_rest: Any) -> None:
        now = time.perf_counter()
        with self.lock:
            found = self.pending.pop(mid, None)
            if found is None:
                self.early[mid] = now
            else:
                self._acked(found[1], now - found[0], found[0])

    def _acked(self, one: Stats, latency: float, scheduled: float) -> None:
        """(Holding the lock.)"""
        one.note(latency, "PUBACK", at=scheduled)
        self.totals["mqtt_acked"] += 1

    async def staff_overview(self, scheduled: float, stats: dict[str, Stats]) -> None:
        n = self._count("staff_overview")
        who = n % len(self.plan["staff"])
        cookie = self.plan["staff"][who]
        path = "/dashboard/"
        await self._http(f"staff-{who}", stats[f"GET {path}"], scheduled, "GET", path, b"", cookie)

    async def staff_screen(self, scheduled: float, stats: dict[str, Stats]) -> None:
        n = self._count("staff_screen")
        who = n % len(self.plan["staff"])
        cookie = self.plan["staff"][who]
        path = "/api/v1/dashboard/screen"
        await self._http(f"staff-{who}", stats[f"GET {path}"], scheduled, "GET", path, b"", cookie)

    async def health(self, scheduled: float, stats: dict[str, Stats]) -> None:
        """From as many clients as the mix has over HTTP (browsers, terminals, gauges)."""
        n, plan = self._count("health"), self.plan
        clients = sum(len(plan[k]) for k in ("residents", "door_tokens", "gauge_tokens", "staff"))
        path = "/api/v1/health"
        await self._http(
            f"health-{n % clients}", stats[f"GET {path}"], scheduled, "GET", path, b"", ""
        )

    async def offer(
        self, name: str, rate: float, seconds: float, stats: dict[str, Stats], start: float
    ) -> None:
        """Open loop: request i at start + phase + i / rate, whatever came back before."""
        send = getattr(self, name)
        phase = self.rng.uniform(0, min(1 / rate, seconds) / 2)
        tasks: set[asyncio.Task[None]] = set()
        i = 0
        while (at := start + phase + i / rate) < start + seconds:
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(send(at, stats))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            await asyncio.gather(*tasks)

    async def phase(self, rates: dict[str, float], seconds: float) -> dict[str, dict[str, Stats]]:
        out: dict[str, dict[str, Stats]] = {}
        for name, rate in rates.items():
            paths = {
                "residents": [f"GET {p}" for p in RESIDENT_PAGES],
                "gates": ["POST /api/v1/access/check"],
                "gauges_http": ["POST /api/v1/flood/readings"],
                "gauges_mqtt": ["MQTT <root>/devices/<id>/readings"],
                "staff_overview": ["GET /dashboard/"],
                "staff_screen": ["GET /api/v1/dashboard/screen"],
                "health": ["GET /api/v1/health"],
            }[name]
            out[name] = {p: Stats(offered=rate / len(paths)) for p in paths}
        start = time.perf_counter() + 0.05
        await asyncio.gather(
            *(self.offer(n, r, seconds, out[n], start) for n, r in rates.items() if r > 0)
        )
        if "gauges_mqtt" in rates:  # the PUBACKs still to come
            deadline = time.perf_counter() + TIMEOUT_S
            while self.pending and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            with self.lock:
                for _mid, (_at, one) in self.pending.items():
                    one.note(0.0, "no PUBACK", f"no PUBACK within {TIMEOUT_S:g} s")
                self.pending.clear()
        return out

    def connect_mqtt(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        url = urlsplit(self.plan["broker"])
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-{self.run}", protocol=mqtt.MQTTv5
        )
        if url.username:
            client.username_pw_set(url.username, url.password)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.on_publish = self._on_publish
        client.connect(url.hostname or "127.0.0.1", url.port or 1883, keepalive=60)
        client.loop_start()
        self.mqtt = client

    async def main(self) -> dict[str, Any]:
        plan = self.plan
        rates = {k: v * plan["rate_scale"] for k, v in RATES.items()}
        self.connect_mqtt()
        say("warm-up")
        await self.phase(rates, plan["warm_seconds"])  # imports, caches, first connections
        total_http = sum(v for k, v in rates.items() if k != "gauges_mqtt")
        say("baseline")
        base = await self.phase({"health": total_http}, plan["health_seconds"])
        say("mixed")
        started = time.perf_counter()
        mixed = await self.phase(rates, plan["seconds"])
        elapsed = time.perf_counter() - started
        say("done")
        self.mqtt.disconnect()
        self.mqtt.loop_stop()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "seconds": elapsed,
            "started": started,
            "health_seconds": plan["health_seconds"],
            "baseline": {k: s.as_dict() for k, s in base["health"].items()},
            "mixed": {c: {k: s.as_dict() for k, s in v.items()} for c, v in mixed.items()},
            "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024,
            "pid": os.getpid(),
            "totals": self.totals,
        }


def say(what: str) -> None:
    print(f"phase {what}", flush=True)


def generator_child(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    result = asyncio.run(Generator(plan).main())
    Path(plan["out"]).write_text(json.dumps(result))
    print("phase written", flush=True)


# --- processes: start, watch, stop ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with suppress(OSError):
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return out


def _proc(pid: int) -> tuple[str, float, float] | None:
    """(command line, peak RSS MiB, CPU seconds incl. reaped children) of a live process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return None
    hwm = next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM")), 0)
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return cmd, hwm / 1024, ticks / os.sysconf("SC_CLK_TCK")


def _label(root: str, cmd: str, depth: int) -> str:
    if "flood ingest" in cmd:
        return "ingester"
    if depth == 0:
        return root
    return f"{root} worker" if root == "web" else f"{root} child"


class Watch:
    """The peak RSS and CPU time of every process of named trees, sampled every second (a
    process that ends keeps its last sample); on PostgreSQL also the server's backends that
    serve the platform's database (shequ keeps its connections, ``SHEQU_DB_CONN_MAX_AGE``)."""

    def __init__(
        self, roots: dict[str, int], database_url: str = "", wal: Path | None = None
    ) -> None:
        self.roots = dict(roots)
        self.database_url = database_url
        self.wal = wal
        # (monotonic time, the write-ahead log's bytes, the web workers' CPU seconds) a second
        self.timeline: list[tuple[float, int, float]] = []
        self.pg: Any = None
        self.seen: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _backends(self) -> list[int]:
        import psycopg

        if self.pg is None:
            self.pg = psycopg.connect(self.database_url, autocommit=True)
        sql = (
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [int(row[0]) for row in self.pg.execute(sql).fetchall()]

    def sample(self) -> None:
        with self.lock:
            self._sample()

    def _sample(self) -> None:
        for pid in self._backends() if self.database_url else []:
            found = _proc(pid)
            if found is not None:
                entry = self.seen.setdefault(
                    pid, {"label": "postgres backend", "cpu0": found[2], "pid": pid}
                )
                entry.update(rss=max(found[1], entry.get("rss", 0.0)), cpu=found[2])
        for root, pid in self.roots.items():
            depth = {pid: 0}
            for p in _descendants(pid):
                found = _proc(p)
                if found is None:
                    continue
                cmd, rss, cpu = found
                with suppress(OSError):
                    for c in Path(f"/proc/{p}/task/{p}/children").read_text().split():
                        depth[int(c)] = depth.get(p, 0) + 1
                entry = self.seen.setdefault(
                    p, {"label": _label(root, cmd, depth.get(p, 1)), "cpu0": cpu, "pid": p}
                )
                entry.update(rss=max(rss, entry.get("rss", 0.0)), cpu=cpu)
        web = sum(e["cpu"] for e in self.seen.values() if e["label"] == "web worker")
        wal = 0
        if self.wal is not None:
            with suppress(OSError):
                wal = self.wal.stat().st_size
        self.timeline.append((time.perf_counter(), wal, web))

    def mark(self) -> None:
        """The CPU times from now on are the ones reported."""
        with self.lock:
            self._sample()
            for entry in self.seen.values():
                entry["cpu0"] = entry["cpu"]

    def mark_end(self) -> None:
        """... until now."""
        with self.lock:
            self._sample()
            for entry in self.seen.values():
                entry["cpu_mixed"] = entry["cpu"] - entry["cpu0"]

    def add(self, name: str, pid: int) -> None:
        with self.lock:
            self.roots[name] = pid

    def _loop(self) -> None:
        while not self.stop.wait(1.0):
            try:
                self.sample()
            except Exception as exc:  # a figure missing is said, the run goes on
                print(f"  watch: sampling failed: {exc!r}", file=sys.stderr, flush=True)

    def close(self) -> list[dict[str, Any]]:
        self.sample()
        self.stop.set()
        self.thread.join()
        if self.pg is not None:
            self.pg.close()
        return sorted(self.seen.values(), key=lambda e: (e["label"], e["pid"]))


@dataclass
class Platform:
    url: str
    password: str
    mqtt_root: str
    broker: str
    metrics_token: str
    pids: dict[str, int]
    logs: list[Path] = field(default_factory=list)
    built_s: float = 0.0
    database_url: str = ""  # PostgreSQL's, to watch its backends
    wal: Path | None = None  # SQLite's write-ahead log, to watch its size


def _wait(url: str, procs: list[subprocess.Popen[bytes]], timeout: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args} exited with {proc.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer /api/v1/health within {timeout:g} s")


@contextmanager
def database(kind: str) -> Iterator[str]:
    """'' on SQLite; a throwaway PostgreSQL database's URL, dropped afterwards."""
    if kind != "postgresql":
        yield ""
        return
    import psycopg

    name = f"bench_platform_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL}/{name}"
    finally:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def started_platform(kind: str, web_workers: int) -> Iterator[Platform]:
    """The demo built on a throwaway var dir, served by the real commands."""
    script = Path(sys.executable).with_name("shequ")
    shequ = [str(script)] if script.exists() else [sys.executable, "-m", "shequ.cli"]
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="shequ-bench-platform-") as tmp, database(kind) as db:
        var = Path(tmp) / "var"
        env = shequ_env(var) | {
            "SHEQU_DEBUG": "false",
            "SHEQU_DEMO_PASSWORD": f"bench-{secrets.token_hex(6)}",
            "SHEQU_METRICS_TOKEN": secrets.token_hex(16),
            "SHEQU_MQTT_URL": BROKER,
            "SHEQU_MQTT_TOPIC_ROOT": f"bench-{run}/shequ/v1",
            "SHEQU_ALLOW_SQLITE": "true",
            "PYTHONUNBUFFERED": "1",
        }
        if db:
            env["SHEQU_DATABASE_URL"] = db
        procs: dict[str, subprocess.Popen[bytes]] = {}
        logs: list[Path] = []

        def start(name: str, *argv: str) -> subprocess.Popen[bytes]:
            log = Path(tmp) / f"{name}.log"
            logs.append(log)
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    [*shequ, *argv], env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            procs[name] = proc
            return proc

        try:
            built = time.perf_counter()
            build = start("build", "demo", "--no-serve")
            if build.wait() != 0:
                raise SystemExit(f"shequ demo --no-serve failed:\n{logs[-1].read_text()[-3000:]}")
            built_s = time.perf_counter() - built
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            start("web", "serve", "--workers", str(web_workers), "--port", str(port))
            start("worker", "worker")
            group = f"bench-{run}"
            start("ingester", "flood", "ingest", "--group", group, "--client-id", group,
                  "--session-expiry", "60", "--url", BROKER)  # fmt: skip
            _wait(url, list(procs.values())[1:])
            deadline = time.monotonic() + 120
            while "subscribed" not in (Path(tmp) / "ingester.log").read_text():
                if procs["ingester"].poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("shequ flood ingest did not subscribe")
                time.sleep(0.2)
            yield Platform(
                url=url,
                password=env["SHEQU_DEMO_PASSWORD"],
                mqtt_root=env["SHEQU_MQTT_TOPIC_ROOT"],
                broker=BROKER,
                metrics_token=env["SHEQU_METRICS_TOKEN"],
                pids={n: procs[n].pid for n in ("web", "worker", "ingester")},
                logs=logs[1:],
                built_s=built_s,
                database_url=db,
                wal=None if db else var / "shequ.sqlite3-wal",
            )
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    with suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)


# --- set-up over HTTP, as staff would -------------------------------------------------------


def _login(url: str, username: str, password: str) -> Any:
    import httpx

    client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    client.cookies.set("django_language", "zh-hans")
    page = client.get("/login/")
    token = _csrf(page.text)
    answer = client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/"},
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not log in: {answer.status_code}")
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def _api_headers(client: Any) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies.get("csrftoken") or "", "Referer": f"{client.base_url}/"}


def _cookie_header(client: Any) -> str:
    cookies = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
    return f"Cookie: {cookies}\r\n"


def _expect(answer: Any, status: int, what: str) -> Any:
    if answer.status_code != status:
        raise SystemExit(f"{what}: {answer.status_code} {answer.text[:300]}")
    return answer


def _door_tokens(community: Any, count: int, run: str) -> list[str]:
    """Face terminals issued on the north gate's page (the token is shown once, there)."""
    points = _expect(community.get("/access/points/"), 200, "the access points page").text
    rows = re.findall(
        rf'<td>{ESTATE}</td><td><a href="(/access/points/\d+/)">([^<]+)</a></td>', points
    )
    url = next((u for u, name in rows if name == GATE), None)
    if url is None:
        raise SystemExit(f"no {ESTATE} {GATE} on the access points page")
    tokens = []
    for n in range(count):
        page = _expect(community.get(url), 200, url)
        answer = community.post(
            url,
            data={
                "name": f"压测{run}-{n}",
                "kind": "face",
                "csrfmiddlewaretoken": _csrf(page.text),
            },
            headers={"Referer": f"{community.base_url}{url}"},
        )
        shown = re.search(
            r'data-testid="device-token">.*?<p class="mono[^"]*">([^<]+)</p>', answer.text, re.S
        )
        if answer.status_code != 200 or not shown:
            raise SystemExit(f"no device token issued at {url}: {answer.status_code}")
        tokens.append(shown.group(1).strip())
    return tokens


def _green_faces(street: Any, admin: Any) -> list[str]:
    """The faces the demo enrolled at the community's doors: its first green residents (by
    person id, as shequ.access.demo picks them), known as ``DEMO-<person id>``."""
    today = date.today()
    for dataset, columns, clear in (
        ("household_registry", ["person_id", "id_number", "region_code"], ["id_number"]),
        ("health_code_status", ["id_number", "status", "region_code"], ["id_number", "status"]),
    ):
        asked = street.post(
            "/api/v1/hub/requests",
            json={
                "dataset": dataset, "columns": columns, "clear_columns": clear,
                "purpose": "压力测试：门禁终端登记人员核对", "legal_basis": "平台压力测试",
                "period_from": str(today), "period_until": str(today + timedelta(days=1)),
            },
            headers=_api_headers(street),
        )  # fmt: skip
        asked = _expect(asked, 201, f"hub request for {dataset}").json()
        approve = f"/api/v1/hub/requests/{asked['id']}/approve"
        _expect(admin.post(approve, json={}, headers=_api_headers(admin)), 200, approve)
    sql = (
        "SELECT r.person_id FROM household_registry r JOIN health_code_status h ON h.id_number "
        f"= r.id_number WHERE r.region_code = '{COMMUNITY}' AND h.status = 'green' "
        "ORDER BY r.person_id LIMIT 16"
    )
    found = street.post("/api/v1/hub/query", json={"sql": sql}, headers=_api_headers(street))
    rows = _expect(found, 200, "hub query of the green residents").json()["rows"]
    if not rows:
        raise SystemExit("the hub has no green residents in the community")
    return [f"DEMO-{row[0]}" for row in rows]


def setup(platform: Platform, scale: float, run: str) -> dict[str, Any]:
    pw = platform.password
    street, community, admin = (
        _login(platform.url, u, pw) for u in ("street", "community", "admin")
    )
    residents = [_login(platform.url, "resident", pw) for _ in range(RESIDENT_SESSIONS)]
    staff = [street] + [_login(platform.url, "street", pw) for _ in range(STAFF_SESSIONS - 1)]
    for path in RESIDENT_PAGES:  # every page answers the resident (not a redirect to a login)
        _expect(residents[0].get(path), 200, f"the resident's {path}")
    for path in ("/dashboard/", "/api/v1/dashboard/screen"):
        _expect(street.get(path), 200, f"the street staff's {path}")
    gauge_tokens = {}
    for code in GAUGES:
        issued = street.post(f"/api/v1/flood/devices/{code}/token", headers=_api_headers(street))
        gauge_tokens[code] = _expect(issued, 200, f"token of gauge {code}").json()["token"]
    plan = {
        "url": platform.url,
        "run": run,
        "rate_scale": scale,
        "residents": [_cookie_header(c) for c in residents],
        "staff": [_cookie_header(c) for c in staff],
        "door_tokens": _door_tokens(community, TERMINALS, run),
        "faces": _green_faces(street, admin),
        "gauge_tokens": gauge_tokens,
        "mqtt_codes": GAUGES,
        "mqtt_root": platform.mqtt_root,
        "broker": platform.broker,
    }
    for client in [community, admin, *residents, *staff]:
        client.close()
    return plan


def _metrics(platform: Platform) -> dict[str, float]:
    """The platform's counters of interest, when it has a metrics token."""
    import httpx

    if not platform.metrics_token:
        return {}
    text = httpx.get(
        f"{platform.url}/metrics",
        headers={"Authorization": f"Bearer {platform.metrics_token}"},
        timeout=30,
    ).text
    out = {}
    for name in ("shequ_flood_readings_stored_total", "shequ_queue_pending_tasks"):
        found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
        if found:
            out[name] = float(found.group(1))
    return out


# --- the run and its report -----------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(platform: Platform, args: argparse.Namespace) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    plan = setup(platform, args.rate_scale, run)
    with tempfile.TemporaryDirectory(prefix="shequ-bench-load-") as tmp:
        plan |= {
            "seconds": args.seconds,
            "health_seconds": args.health_seconds,
            "warm_seconds": args.warm_seconds,
            "out": str(Path(tmp) / "result.json"),
        }
        (Path(tmp) / "plan.json").write_text(json.dumps(plan))
        before = _metrics(platform)
        watch = Watch(platform.pids, platform.database_url, platform.wal)
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", str(Path(tmp) / "plan.json")],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        watch.add("generator", child.pid)
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "phase mixed":
                watch.mark()
            elif line.strip() == "phase done":
                watch.mark_end()
        if child.wait() != 0:
            watch.close()
            raise SystemExit(f"the load generator exited with {child.returncode}")
        result = json.loads(Path(plan["out"]).read_text())
        processes = watch.close()
        result["timeline"] = watch.timeline
    totals = result["totals"]
    sent = totals["http_received"] + totals["mqtt_acked"]
    stored_wanted = totals["http_stored"] + totals["mqtt_acked"]
    after = _metrics(platform)
    if "shequ_flood_readings_stored_total" in before:
        deadline = time.monotonic() + 60  # the ingester catches up with the broker
        while time.monotonic() < deadline:
            stored = (
                after["shequ_flood_readings_stored_total"]
                - before["shequ_flood_readings_stored_total"]
            )
            if stored >= stored_wanted:
                break
            time.sleep(1)
            after = _metrics(platform)
    result |= {"processes": processes, "before": before, "after": after, "readings_sent": sent,
               "readings_wanted": stored_wanted, "faces": len(plan["faces"])}  # fmt: skip
    return result


def _r(rate: float) -> str:
    return f"{rate:.1f}" if rate >= 10 else f"{rate:.2g}"


def report(result: dict[str, Any], title: str) -> dict[str, Any]:
    """Print the figures; return them in short (``errors``: 0 when none)."""
    lines = [title]
    base = next(iter(result["baseline"].values()))
    base_p99, hs = _pct(base["latencies"], 0.99), result["health_seconds"]
    lines.append(
        f"baseline GET /api/v1/health alone at {_r(base['offered'])}/s offered for "
        f"{hs:g} s: {_r(len(base['latencies']) / hs)}/s, "
        f"p50 {_pct(base['latencies'], 0.5):.1f} ms, p99 {base_p99:.1f} ms, errors {base['errors']}"
    )
    summary: dict[str, Any] = {"baseline_errors": base["errors"], "classes": {}}
    errors = base["errors"]
    seconds = result["seconds"]
    for name, endpoints in result["mixed"].items():
        lat = [x for e in endpoints.values() for x in e["latencies"]]
        offered = sum(e["offered"] for e in endpoints.values())
        errs = sum(e["errors"] for e in endpoints.values())
        errors += errs
        reasons = [r for e in endpoints.values() for r in e["reasons"]][:3]
        p99 = _pct(lat, 0.99)
        summary["classes"][name] = {
            "answered": len(lat), "errors": errs, "reasons": reasons,
            "endpoints": {p: len(e["latencies"]) for p, e in endpoints.items()},
        }  # fmt: skip
        lines.append(
            f"{LABELS[name]}: {_r(len(lat) / seconds)}/s of {_r(offered)}/s offered, "
            f"p50 {_pct(lat, 0.5):.1f} ms, p99 {p99:.1f} ms, errors {errs}"
            + (f" ({'; '.join(reasons)})" if reasons else "")
            + f" (baseline health p99: {base_p99:.1f} ms, ratio {p99 / base_p99:.1f}x)"
        )
        for path, e in endpoints.items():
            extra = ", ".join(f"{k} {v}" for k, v in sorted(e["extra"].items()))
            if len(endpoints) > 1 or extra:
                lines.append(
                    f"    {path}: {_r(len(e['latencies']) / seconds)}/s, p50 "
                    f"{_pct(e['latencies'], 0.5):.1f} ms, p99 {_pct(e['latencies'], 0.99):.1f} ms, "
                    f"answers {e['statuses']}" + (f"; {extra}" if extra else "")
                )
    lines += _timeline(result)
    before, after = result["before"], result["after"]
    if before:
        key = "shequ_flood_readings_stored_total"
        stored = after[key] - before[key]
        lines.append(
            f"readings stored {stored:,.0f} of {result['readings_wanted']:,} new sent "
            f"(HTTP and MQTT, {result['readings_sent']:,} in all); jobs queued at the end "
            f"{after.get('shequ_queue_pending_tasks', float('nan')):.0f}"
        )
        if stored < result["readings_wanted"]:
            errors += 1
        summary["readings"] = {"stored": stored, "wanted": result["readings_wanted"]}
    else:
        lines.append("readings stored: not checked (no --metrics-token)")
    backends = [p for p in result["processes"] if p["label"] == "postgres backend"]
    if backends:
        cpu = sum(p.get("cpu_mixed", p["cpu"] - p["cpu0"]) for p in backends)
        lines.append(
            f"  PostgreSQL: {len(backends)} backends of the platform's database, CPU {cpu:.1f} s "
            f"during the {seconds:.0f} s mix in all; the largest peak RSS "
            f"{max(p['rss'] for p in backends):.0f} MiB (shared buffers it touched included)"
        )
    for p in result["processes"]:
        if p["label"] == "postgres backend":
            continue
        cpu = p.get("cpu_mixed", p["cpu"] - p["cpu0"])
        lines.append(
            f"  process {p['label']} (pid {p['pid']}): peak RSS {p['rss']:.0f} MiB, CPU "
            f"{cpu:.1f} s during the {seconds:.0f} s mix"
        )
    summary["processes"] = result["processes"]
    lines.append(
        f"  the generator's CPU in all (warm-up and baseline too): {result['cpu']:.1f} s; load "
        f"average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print("\n".join(lines), flush=True)
    summary["errors"] = errors
    return summary


def _timeline(result: dict[str, Any], parts: int = 5) -> list[str]:
    """The mix in PARTS spans of time, by scheduled time: per class p50/p99, the web workers'
    CPU per HTTP request answered, and the write-ahead log's largest size (SQLite): what grows
    as a long run goes on."""
    start, seconds = result["started"], result["seconds"]
    span = seconds / parts
    samples = result.get("timeline", [])
    lines = [f"over time ({parts} spans of {span:.0f} s):"]
    for k in range(parts):
        lo, hi = start + k * span, start + (k + 1) * span
        figures, answered = [], 0
        for name, endpoints in result["mixed"].items():
            lat = [
                x
                for e in endpoints.values()
                for x, at in zip(e["latencies"], e["at"], strict=True)
                if lo <= at < hi
            ]
            if name != "gauges_mqtt":
                answered += len(lat)
            figures.append(f"{name} {_pct(lat, 0.5):.0f}/{_pct(lat, 0.99):.0f}")
        inside = [x for x in samples if lo <= x[0] < hi]
        extra = ""
        if len(inside) >= 2 and answered:
            cpu = inside[-1][2] - inside[0][2]
            per = 1000 * cpu * (hi - lo) / (inside[-1][0] - inside[0][0]) / answered
            extra += f"; web workers' CPU {per:.2f} ms a request"
        if inside and any(x[1] for x in inside):
            extra += f"; write-ahead log up to {max(x[1] for x in inside) / 2**20:.1f} MiB"
        lines.append(
            f"  {k * span:.0f}-{(k + 1) * span:.0f} s, p50/p99 ms: " + ", ".join(figures) + extra
        )
    return lines


def _log_trouble(logs: list[Path]) -> int:
    count, first = 0, ""
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if "Traceback" in line or "ERROR" in line:
                count += 1
                first = first or f"{log.stem}: {line[:300]}"
    print(f"logs: {count} error lines" + (f", first: {first}" if first else ""), flush=True)
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 s, SQLite only")
    parser.add_argument("--seconds", type=float, default=None, help="the mix's length (300)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="multiply every rate")
    parser.add_argument("--web-workers", type=int, default=2, help="shequ serve --workers")
    parser.add_argument("--url", help="a running demo platform instead of building one")
    parser.add_argument("--password", default="", help="its demo password (with --url)")
    parser.add_argument("--pid", action="append", default=[], help="NAME=PID to watch (--url)")
    parser.add_argument("--mqtt-topic-root", default="shequ/v1", help="its topic root (--url)")
    parser.add_argument("--metrics-token", default="", help="its SHEQU_METRICS_TOKEN (--url)")
    parser.add_argument("--json", help="also write the figures in short to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        generator_child(args.child)
        return 0
    if args.quick and args.database != "sqlite":
        parser.error("--quick runs on SQLite only")
    if args.seconds is None:
        args.seconds = 60.0 if args.quick else 300.0
    args.health_seconds = max(5.0, min(30.0, args.seconds / 5))
    args.warm_seconds = min(5.0, args.seconds / 2)
    if args.url:
        pids = {k: int(v) for k, v in (p.split("=", 1) for p in args.pid)}
        platform = Platform(
            url=args.url.rstrip("/"), password=args.password, mqtt_root=args.mqtt_topic_root,
            broker=BROKER, metrics_token=args.metrics_token, pids=pids,
        )  # fmt: skip
        result = measure(platform, args)
        summary = report(result, f"platform load on {args.url}, {args.seconds:g} s mix")
        if args.json:
            Path(args.json).write_text(json.dumps(summary))
        return 1 if summary["errors"] else 0
    with started_platform(args.database, args.web_workers) as platform:
        result = measure(platform, args)
        title = (
            f"platform load, {args.database}, {args.seconds:g} s mix, rate scale "
            f"{args.rate_scale:g}, shequ serve --workers {args.web_workers}; demo (scale 1) built "
            f"in {platform.built_s:.0f} s"
        )
        summary = report(result, title)
        summary["errors"] += _log_trouble(platform.logs)
    if args.json:
        Path(args.json).write_text(json.dumps(summary))
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
