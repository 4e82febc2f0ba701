"""Benchmark: shared parking, one function per part.

    python bench/parking.py [--quick] [--part a|b|c] [--repeat N]

(c) allocation: N applicants (10,000; --quick: 2,000) living in 40 estates ask for night
    passes in G garages (50 with 2,000 spaces; --quick: 10 with 400), in three priority groups,
    each ranking two of the five garages nearest home, walking limit 800 m. Times the min-cost
    flow allocation (``shequ.parking.allocation.allocate``) against the first-come greedy
    baseline in the same process (best of --repeat runs each, after a warm-up) and shows both
    total walking distances and the number served per group; peak RSS of the allocation alone
    in a fresh process; and its cost against an exact solver (SciPy's assignment over one
    column per space) on 200 random instances small enough to check. Targets: under 5 s, and
    equal cost on every checked instance.

(a) gate events: a fresh shequ (throwaway SHEQU_VAR_DIR, embedded default: SQLite) with four
    garages, a 24/7 sharing plan, 50 shared passes each and two gate devices each; ``shequ
    serve`` runs as it ships (granian, a WSGI worker of 2 threads per core) on a free port. Eight
    concurrent clients, one per gate, post 20,000 events (--quick: 1,000) to
    ``POST /api/v1/parking/gate-events``: in and out in step with who is inside, about a
    third shared-pass cars and the rest visitors, 3 % ANPR look-alikes of pass plates (folded
    0/D, 8/B, 1/I or no province, some with low confidence), 1 % unread plates, 2 % repeats of
    an earlier event (idempotency).
    Prints events/s and the decision latency p50/p99 seen by the client, against the same
    number of ``GET /api/v1/health`` from the same eight clients in the same run (the cost of
    the HTTP stack and one query), and the peak RSS of the server. Targets: p99 < 50 ms and at
    least 1,000 events/s.
(b) sign readers: the same set-up on a fresh server; 200 readers poll the guidance sign's
    feed ``/parking/signs/<estate>.json`` once a second each (the sign page polls every 2 s)
    for a few seconds alone (the baseline), then while the load of (a) runs (for at most 120 s;
    --quick: 20 s); prints the sign's p50/p99 in both and the gate figures under the readers.
    Target: p99 < 200 ms.

The load is generated on the same machine by one client process, which competes with the
server for the same cores: the figures are a lower bound on what the server alone would do,
and the client's own CPU time is printed beside them. The client is asyncio with one
keep-alive HTTP/1.1 connection per gate or reader written on asyncio streams: httpx cost about
3 ms of CPU a request here (and its pool slows down with 200 connections), which the server
would have lost to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shequ.parking.allocation import Allocation, Applicant, Garage, allocate, exact, greedy
from shequ.parking.geo import LatLon, haversine_m
from support.common import ROOT, peak_rss_mib, region_chain, run_child, setup_django, shequ_env

TARGET_SECONDS = 5.0
T0 = datetime(2026, 11, 1, 9, 0)
CENTRE = LatLon(30.2720, 120.1480)
DEGREES_PER_KM = (1 / 111.2, 1 / 96.3)  # latitude, longitude near 30.27 N


def _spot(rng: random.Random, km: float = 3.0) -> LatLon:
    return LatLon(
        CENTRE.lat + rng.uniform(-km / 2, km / 2) * DEGREES_PER_KM[0],
        CENTRE.lon + rng.uniform(-km / 2, km / 2) * DEGREES_PER_KM[1],
    )


def street(applicants: int, garages: int, spaces: int, seed: int = 20211) -> tuple[Any, Any]:
    """Garages and estates spread over 3 km x 3 km; applicants rank two of their 5 nearest."""
    rng = random.Random(seed)
    lots = [Garage(f"G{k:03d}", {"night": spaces // garages}, _spot(rng)) for k in range(garages)]
    estates = [_spot(rng) for _ in range(40)]

    sites = [(g.code, g.location) for g in lots if g.location is not None]
    near = {
        home: [code for code, _ in sorted(sites, key=lambda s: haversine_m(home, s[1]))[:5]]
        for home in estates
    }
    people = []
    for i in range(applicants):
        home = rng.choice(estates)
        people.append(
            Applicant(
                id=f"A{i:05d}",
                applied_at=T0 + timedelta(seconds=rng.randint(0, 30 * 86400)),
                group=rng.choices([0, 1, 2], weights=[15, 35, 50])[0],
                preferences=tuple(rng.sample(near[home], 2)),
                location=home,
            )
        )
    return people, lots


def _best(fn: Callable[[], Allocation], repeat: int) -> tuple[float, Allocation]:
    fn()  # warm-up: imports, allocator caches
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def exact_check(instances: int = 200, seed: int = 7) -> tuple[int, int]:
    """Random small instances on which the flow and the exact solver agree (of how many)."""
    rng = random.Random(seed)
    equal = 0
    for _ in range(instances):
        codes = [f"G{k}" for k in range(rng.randint(1, 4))]
        lots = [Garage(c, {w: rng.randint(0, 3) for w in ("night", "weekend")}) for c in codes]
        people = [
            Applicant(
                id=f"P{i}",
                applied_at=T0 + timedelta(minutes=rng.randint(0, 20)),
                window=rng.choice(["night", "weekend"]),
                group=rng.randint(0, 2),
                preferences=tuple(rng.sample(codes, rng.randint(0, len(codes)))),
                walk_m={c: rng.randint(0, 1000) for c in codes if rng.random() < 0.8},
            )
            for i in range(rng.randint(1, 9))
        ]
        flow, truth = allocate(people, lots), exact(people, lots)
        equal += flow.priority_vector() == truth.priority_vector() and (
            flow.total_cost == truth.total_cost
        )
    return equal, instances


def allocation_child(applicants: int, garages: int, spaces: int) -> dict[str, Any]:
    """In a fresh process: the allocation alone, for its peak memory."""
    people, lots = street(applicants, garages, spaces)
    before = peak_rss_mib()
    allocate(people, lots)
    return {"peak_rss_mib": peak_rss_mib(), "before_mib": before}


def allocation(quick: bool, repeat: int) -> None:
    """(c) min-cost allocation against first come, peak RSS, exact check."""
    n, g, spaces = (2_000, 10, 400) if quick else (10_000, 50, 2_000)
    people, lots = street(n, g, spaces)
    flow_s, flow = _best(lambda: allocate(people, lots), repeat)
    greedy_s, first = _best(lambda: greedy(people, lots), repeat)
    script = str(Path(__file__).resolve())
    child = run_child([script, "--child", "c", str(n), str(g), str(spaces)], dict(os.environ))
    print(
        f"allocation {n}x{g} ({spaces:,} spaces): {flow_s:.2f} s (greedy baseline: "
        f"{greedy_s:.2f} s, ratio {flow_s / greedy_s:.1f}; target < {TARGET_SECONDS:g} s), "
        f"total walk {flow.total_walk_m / 1000:.1f} km vs greedy {first.total_walk_m / 1000:.1f} "
        f"km, peak RSS {child['peak_rss_mib']:.0f} MiB"
    )
    print(
        f"served per priority group: min-cost {flow.priority_vector()} of "
        f"{tuple(n for _, n in sorted(flow.applicants_by_group.items()))}, greedy "
        f"{first.priority_vector()}; cost (walk + preference penalty) {flow.total_cost:,} vs "
        f"greedy {first.total_cost:,}"
    )
    equal, total = exact_check()
    print(
        f"exact check: equal cost to scipy linear_sum_assignment on {equal}/{total} random "
        f"instances (up to 9 applicants, 4 garages, 2 windows, 3 groups)"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    verdict = "within" if flow_s < TARGET_SECONDS and equal == total else "over"
    print(f"{verdict} target; best of {repeat} runs; load average {load} on {os.cpu_count()} CPUs")


# ---------------------------------------------------------------------------------------------
# (a) and (b): a live `shequ serve` under gate events and guidance-sign readers
# ---------------------------------------------------------------------------------------------

GATE_TARGET_P99_MS, GATE_TARGET_RATE, SIGN_TARGET_P99_MS = 50.0, 1_000.0, 200.0
GARAGES, GATES_PER_GARAGE, PASSES_PER_GARAGE, VISITORS_PER_GARAGE = 4, 2, 50, 800
READERS, READ_INTERVAL_S = 200, 1.0
COMMUNITY = "990102001001"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
LOOK_ALIKE = {"0": "D", "D": "0", "8": "B", "B": "8", "1": "I"}


def _plate(rng: random.Random, province: str = "浙") -> str:
    letter = rng.choice("ABCDEFGHJK")
    return province + letter + "".join(rng.choice(PLATE_CHARS) for _ in range(5))


def server_setup(var_dir: Path) -> dict[str, Any]:
    """In a fresh process: migrate, then garages, plans, free products, passes, gate devices."""
    setup_django(var_dir)
    from django.contrib.auth import get_user_model

    from shequ.core import pii
    from shequ.core.models import Membership, Role
    from shequ.parking.models import Application, Estate, ResidentAccount
    from shequ.parking.services import garages, passes, plates

    parent = region_chain(COMMUNITY)
    users = get_user_model().objects
    operator = users.create_user(username="bench-operator")
    Membership.objects.create(user=operator, region=parent, role=Role.COMMUNITY_STAFF)
    estate = Estate.objects.create(
        region=parent, code="E001", name="锦绣花园", slug="jinxiu", lat=30.2741, lon=120.1551
    )
    rng = random.Random(5)
    out: dict[str, Any] = {"sign": estate.slug, "garages": []}
    for g in range(GARAGES):
        garage = garages.create_garage(
            operator,
            parent,
            code=f"G{g + 1:02d}",
            name=f"车库{g + 1}",
            lat=30.2750 + g / 2000,
            lon=120.1560,
            total_spaces=400,
        )
        garages.declare_plan(
            operator,
            garage,
            code="all",
            name="全天",
            capacity=PASSES_PER_GARAGE,
            hours="24/7",
        )
        product = garages.set_product(
            operator, garage, plan_code="all", kind="monthly", price_fen=0
        )
        owned = []
        for n in range(PASSES_PER_GARAGE):
            plate = _plate(rng)
            user = users.create_user(username=f"bench-{g}-{n}")
            phone = f"139{g:02d}{n:06d}"
            ResidentAccount.objects.create(
                user=user,
                phone_enc=pii.encrypt(phone),
                phone_hash=pii.lookup_hash("phone", phone),
                phone_masked=pii.mask_phone(phone),
                estate=estate,
            )
            app = Application.objects.create(
                resident=user,
                estate=estate,
                plates_enc=pii.encrypt(json.dumps([plate])),
                plate_hashes=[plates.plate_hash(plate)],
                plates_masked=[pii.mask_plate(plate)],
                status="verified",
            )
            order = passes.buy(user, app, product)  # free: active at once
            assert order.status == "paid", order.status
            owned.append(plate)
        tokens = [garages.issue_device(operator, garage, f"gate-{k}")[1] for k in range(2)]
        out["garages"].append({"code": garage.code, "plates": owned, "tokens": tokens})
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree_hwm_mib(pid: int) -> float:
    """Peak RSS (VmHWM) of a process and its descendants (server workers), summed."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
        todo += [int(c) for c in children]
    return total / 1024


@dataclass
class Server:
    url: str
    port: int
    pid: int
    setup: dict[str, Any]

    def peak_rss_mib(self) -> float:
        return _tree_hwm_mib(self.pid)


@contextmanager
def shequ_server() -> Iterator[Server]:
    """A throwaway shequ on the embedded default, set up, served by `shequ serve`."""
    with tempfile.TemporaryDirectory(prefix="shequ-bench-") as tmp:
        var = Path(tmp) / "var"
        # As deployed: DEBUG off (DEBUG keeps every query's SQL and time in memory).
        env = shequ_env(var) | {"SHEQU_DATA_DIR": str(var / "data"), "SHEQU_DEBUG": "false"}
        script = str(Path(__file__).resolve())
        setup = run_child([script, "--child", "setup", str(var)], env)
        port = _free_port()
        cmd = [sys.executable, "-m", "shequ.cli", "serve", "--port", str(port)]
        log = (Path(tmp) / "serve.log").open("w")
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc)
            yield Server(url, port, proc.pid, setup)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
            trouble = [
                x
                for x in (Path(tmp) / "serve.log").read_text().splitlines()
                if "ERROR" in x or "Internal Server Error" in x or x.startswith("django.")
            ]
            if trouble:
                print(f"  server log: {len(trouble)} errors, first: {trouble[0][:300]}")


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"shequ serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("shequ serve did not answer /api/v1/health within 120 s")


def gate_streams(setup: dict[str, Any], events: int, run: str, seed: int = 11) -> list[Any]:
    """One list of (token, body bytes) per gate; per garage the cars go in and out in turn."""
    rng = random.Random(seed)
    streams: list[list[tuple[str, bytes]]] = []
    per_garage = events // len(setup["garages"])
    start = datetime.now(UTC)
    for g in setup["garages"]:
        passes = list(g["plates"])
        visitors = [_plate(rng, rng.choice("浙沪苏皖")) for _ in range(VISITORS_PER_GARAGE)]
        inside: set[str] = set()
        sent: list[bytes] = []
        gates: list[list[tuple[str, bytes]]] = [[] for _ in g["tokens"]]
        for i in range(per_garage):
            body = _next_event(rng, passes, visitors, inside)
            body |= {"event_id": f"{run}-{g['code']}-{i}", "garage": g["code"]}
            body["time"] = (start + timedelta(milliseconds=20 * i)).isoformat()
            raw = json.dumps(body, ensure_ascii=False).encode()
            if sent and rng.random() < 0.02:
                raw = rng.choice(sent[-50:])  # the camera sends an event again
            sent.append(raw)
            k = i % len(gates)
            gates[k].append((g["tokens"][k], raw))
        streams += gates
    return streams


def _next_event(
    rng: random.Random, passes: list[str], visitors: list[str], inside: set[str]
) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.01:
        return {"direction": "in", "plate": "", "confidence": 0.0}
    if roll < 0.04:
        plate = rng.choice(passes)
        fold = [i for i, c in enumerate(plate) if c in LOOK_ALIKE]
        if fold and rng.random() < 0.7:
            i = rng.choice(fold)
            misread = plate[:i] + LOOK_ALIKE[plate[i]] + plate[i + 1 :]
        else:
            misread = plate[1:]
        return {"direction": "in", "plate": misread, "confidence": rng.choice([0.5, 0.9])}
    plate = rng.choice(passes) if rng.random() < 0.35 else rng.choice(visitors)
    direction = "out" if plate in inside else "in"
    (inside.discard if direction == "out" else inside.add)(plate)
    shown = plate if rng.random() < 0.8 else f"{plate[:2]}·{plate[2:]}"
    return {"direction": direction, "plate": shown, "confidence": round(rng.uniform(0.8, 1), 2)}


@dataclass
class Load:
    """What one kind of request saw: latencies (s), answers by status, and the wall time."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    first_error: str = ""

    def note(self, started: float, answer: Any) -> None:
        self.latencies.append(time.perf_counter() - started)
        status = answer.status_code
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != 200 and not self.first_error:
            self.first_error = f"{status} {answer.text[:300]}"

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)


@dataclass
class Answer:
    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a few microseconds a request.

    httpx costs about 3 ms of CPU a request on this machine and its pool slows down with 200
    connections: a load generator sharing two cores with the server must be lean.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> Any:
        for attempt in (1, 2):  # a kept-alive connection the server just closed: reconnect once
            try:
                return await self._once(method, path, body, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                await self.close()
                if attempt == 2:
                    return Answer(0, f"{type(exc).__name__}: {exc}".encode())
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, body: bytes, headers: str) -> Answer:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}"
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        fields = dict(x.lower().split(": ", 1) for x in lines if ": " in x)
        payload = await reader.readexactly(int(fields.get("content-length", 0)))
        if fields.get("connection") == "close":
            await self.close()
        return Answer(int(status_line.split()[1]), payload)

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def _post_all(
    conn: Connection, stream: list[tuple[str, bytes]], load: Load, until: float = math.inf
) -> None:
    for token, raw in stream:
        if time.perf_counter() > until:
            break
        headers = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        started = time.perf_counter()
        answer = await conn.request("POST", "/api/v1/parking/gate-events", raw, headers)
        load.note(started, answer)
        if answer.status_code == 200:
            body = answer.json()
            kind = "replayed" if body["replayed"] else body["decision"]
            kind += " (probable)" if body["probable_match"] and not body["replayed"] else ""
            load.decisions[kind] = load.decisions.get(kind, 0) + 1


async def _get_all(conn: Connection, path: str, count: int, load: Load) -> None:
    for _ in range(count):
        started = time.perf_counter()
        load.note(started, await conn.request("GET", path))


async def _poll(
    conn: Connection, path: str, stop: asyncio.Event, load: Load, rng: random.Random
) -> None:
    await asyncio.sleep(rng.uniform(0, READ_INTERVAL_S))
    while not stop.is_set():
        started = time.perf_counter()
        load.note(started, await conn.request("GET", path))
        spare = READ_INTERVAL_S - (time.perf_counter() - started)
        if spare > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), spare)


async def _timed(coros: list[Any], load: Load) -> None:
    started = time.perf_counter()
    await asyncio.gather(*coros)
    load.seconds = time.perf_counter() - started


async def _readers(
    conns: list[Connection], path: str, seconds: float | None, load: Load, gates: Any = None
) -> None:
    """Every reader polls for a fixed time, or for as long as the gates' load runs."""
    stop, rng = asyncio.Event(), random.Random(3)
    task = asyncio.gather(*(_poll(c, path, stop, load, rng) for c in conns))
    started = time.perf_counter()
    if gates is None:
        await asyncio.sleep(seconds or 0)
    else:
        await asyncio.sleep(READ_INTERVAL_S)  # every reader has started
        await gates
    stop.set()
    await task
    load.seconds = time.perf_counter() - started


async def drive(
    port: int, streams: list[Any], health: int, alone: float, sign: str | None, limit: float = 0
) -> dict[str, Load]:
    """Health baseline (if asked), sign readers alone (if asked), then the gate streams (with
    the readers polling throughout, if asked); one connection per client."""
    loads = {k: Load() for k in ("health", "gates", "sign_alone", "sign")}
    gates = [Connection("127.0.0.1", port) for _ in streams]
    if health:
        per = health // len(streams)
        jobs = [_get_all(c, "/api/v1/health", per, loads["health"]) for c in gates]
        await _timed(jobs, loads["health"])
    until = time.perf_counter() + alone + READ_INTERVAL_S + limit if limit else math.inf
    posts = [_post_all(c, s, loads["gates"], until) for c, s in zip(gates, streams, strict=True)]
    run = _timed(posts, loads["gates"])
    if sign:
        path = f"/parking/signs/{sign}.json"
        readers = [Connection("127.0.0.1", port) for _ in range(READERS)]
        await _readers(readers, path, alone, loads["sign_alone"])
        await _readers(readers, path, None, loads["sign"], run)
        for c in readers:
            await c.close()
    else:
        await run
    for c in gates:
        await c.close()
    return loads


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load_avg() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _warm(server: Server) -> None:
    """A few events of every kind first: imports, caches, the first connections."""
    asyncio.run(drive(server.port, gate_streams(server.setup, 200, "warm", seed=1), 0, 0, None))


def gate_events(quick: bool, repeat: int) -> None:
    """(a) gate events over HTTP against the same count of health checks."""
    events = 1_000 if quick else 20_000
    with shequ_server() as server:
        _warm(server)
        streams = gate_streams(server.setup, events, "a")
        cpu = _client_cpu()
        loads = asyncio.run(drive(server.port, streams, events, 0, None))
        cpu = _client_cpu() - cpu
        rss = server.peak_rss_mib()
    gates, health = loads["gates"], loads["health"]
    print(
        f"gate events: {gates.rate:,.0f} events/s, decision p50 {gates.ms(0.5):.1f} ms, p99 "
        f"{gates.ms(0.99):.1f} ms over {len(gates.latencies):,} events from {len(streams)} "
        f"clients (health baseline: {health.rate:,.0f} req/s, p50 {health.ms(0.5):.1f} ms, p99 "
        f"{health.ms(0.99):.1f} ms; ratio rate {gates.rate / health.rate:.2f}, p99 "
        f"{gates.ms(0.99) / health.ms(0.99):.1f}x); peak RSS server {rss:.0f} MiB"
    )
    _verdict("gate", gates, GATE_TARGET_P99_MS, GATE_TARGET_RATE, cpu, [health])


def sign_readers(quick: bool, repeat: int) -> None:
    """(b) the guidance sign's feed under 200 readers, alone and while (a) runs."""
    events, alone, limit = (1_000, 5.0, 20.0) if quick else (20_000, 15.0, 120.0)
    with shequ_server() as server:
        _warm(server)
        streams = gate_streams(server.setup, events, "b")
        cpu = _client_cpu()
        loads = asyncio.run(drive(server.port, streams, 0, alone, server.setup["sign"], limit))
        cpu = _client_cpu() - cpu
        rss = server.peak_rss_mib()
    sign, base, gates = loads["sign"], loads["sign_alone"], loads["gates"]
    print(
        f"sign readers: p50 {sign.ms(0.5):.1f} ms, p99 {sign.ms(0.99):.1f} ms over "
        f"{len(sign.latencies):,} reads ({sign.rate:,.0f}/s) by {READERS} readers while gate "
        f"events run (readers alone: p50 {base.ms(0.5):.1f} ms, p99 {base.ms(0.99):.1f} ms; ratio "
        f"p99 {sign.ms(0.99) / base.ms(0.99):.1f}x); gates meanwhile {gates.rate:,.0f} events/s, "
        f"p99 {gates.ms(0.99):.1f} ms; peak RSS server {rss:.0f} MiB"
    )
    _verdict("sign", sign, SIGN_TARGET_P99_MS, 0.0, cpu, [gates, base])


def _verdict(
    name: str, load: Load, p99_ms: float, rate: float, cpu: float, others: list[Load]
) -> None:
    other = sum(o.errors for o in others)
    within = load.ms(0.99) < p99_ms and load.rate >= rate and not load.errors + other
    target = f"p99 < {p99_ms:g} ms" + (f", >= {rate:,.0f}/s" if rate else "")
    decisions = ", ".join(f"{k} {n}" for k, n in sorted(load.decisions.items()))
    print(
        f"{'within' if within else 'over'} {name} target ({target}); answers {load.statuses}"
        f"{'; ' + decisions if decisions else ''}; non-200 elsewhere {other}; client CPU "
        f"{cpu:.1f} s; load average {_load_avg()} on {os.cpu_count()} CPUs"
    )
    for failed in (o for o in [load, *others] if o.first_error):
        print(f"  first non-200: {failed.first_error}")


PARTS: dict[str, Callable[[bool, int], None]] = {
    "a": gate_events,
    "b": sign_readers,
    "c": allocation,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--part", action="append", choices=sorted(PARTS), help="default: all")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        part, *rest = args.child
        if part == "setup":
            print(json.dumps(server_setup(Path(rest[0]))))
        else:
            print(json.dumps(allocation_child(*(int(x) for x in rest))))
        return
    for part in args.part or sorted(PARTS):
        PARTS[part](args.quick, args.repeat)


if __name__ == "__main__":
    main()
