"""Benchmark: a door check's write beside a writer that commits back to back, on SQLite.

    python bench/sqlite_turns.py [--quick]

The embedded default's writers take turns through a lock file (``shequ.core.sqlite``): a
process waiting for its turn is woken by the kernel when the turn is let go. Without it, SQLite's
busy handler sleeps between tries (1, 2, 5, ... up to 100 ms) and takes the lock only if it is
free when it looks. Here one process writes as the MQTT ingester does with a backlog (a
transaction of 3 ms of inserts, then the next at once) while this one writes a row 80 times a
second, the gate events' rate in bench/platform_load.py, through the platform's backend: once with
the turns (the backend as it ships) and once without (the baseline: SQLite's busy handler).
Printed: p50/p99/max of the single write's latency in each, the ratio of the p99s, and the
writes that waited past the busy timeout (SQLITE's "database is locked").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.common import peak_rss_mib, shequ_env

HOG = """
import sqlite3, sys, time
from shequ.core.sqlite.base import WriteLock
db, turns = sys.argv[1], sys.argv[2] == "1"
conn = sqlite3.connect(db, timeout=30, isolation_level=None)
lock = WriteLock(db + ".writelock", 30)
print("ready", flush=True)
while True:
    if turns:
        lock.acquire()
    conn.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    while time.perf_counter() - started < 0.003:
        conn.execute("INSERT INTO hog (v) VALUES (1)")
    conn.execute("COMMIT")
    if turns:
        lock.release()
"""


def run(tmp: Path, turns: bool, writes: int) -> tuple[list[float], int]:
    from django.db import connection

    from shequ.core.sqlite import base

    name = tmp / f"turns-{int(turns)}.sqlite3"
    options = dict(connection.settings_dict["OPTIONS"], timeout=10)
    db = base.DatabaseWrapper(dict(connection.settings_dict, NAME=str(name), OPTIONS=options))
    db.ensure_connection()
    with db.cursor() as cursor:
        cursor.execute("CREATE TABLE hog (v INTEGER)")
        cursor.execute("CREATE TABLE event (v INTEGER)")
    if not turns:
        db.connection.write_lock = None  # SQLite's busy handler alone
    hog = subprocess.Popen(
        [sys.executable, "-c", HOG, str(name), "1" if turns else "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    latencies: list[float] = []
    locked = 0
    try:
        assert hog.stdout is not None and hog.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        for v in range(writes):
            started = time.perf_counter()
            try:
                with db.cursor() as cursor:
                    cursor.execute("INSERT INTO event (v) VALUES (%s)", [v])
            except Exception as exc:  # counted: the write gave up
                if "locked" not in str(exc):
                    raise
                locked += 1
            latencies.append(time.perf_counter() - started)
            time.sleep(max(0.0, 1 / 80 - (time.perf_counter() - started)))
    finally:
        hog.kill()
        hog.wait()
        db.close()
    return sorted(latencies), locked


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="400 writes each (else 2,400)")
    args = parser.parse_args()
    writes = 400 if args.quick else 2400
    with tempfile.TemporaryDirectory(prefix="shequ-bench-turns-") as tmp:
        os.environ.update(shequ_env(Path(tmp) / "var"))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
        django.setup()
        figures = {}
        for turns in (True, False):
            figures[turns] = run(Path(tmp), turns, writes)
    for turns, label in ((True, "with turns"), (False, "busy handler alone")):
        lat, locked = figures[turns]
        print(
            f"sqlite write beside a back-to-back writer, {label}: p50 {pct(lat, 0.5):.1f} ms, "
            f"p99 {pct(lat, 0.99):.1f} ms, max {lat[-1] * 1000:.0f} ms, "
            f"{locked} of {len(lat)} gave up (database is locked)"
        )
    ratio = pct(figures[True][0], 0.99) / pct(figures[False][0], 0.99)
    print(f"sqlite turns p99: {pct(figures[True][0], 0.99):.1f} ms "
          f"(baseline busy handler: {pct(figures[False][0], 0.99):.1f} ms, ratio {ratio:.3f}), "
          f"peak RSS {peak_rss_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
