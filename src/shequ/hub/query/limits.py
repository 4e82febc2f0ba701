"""What one query may take: its time, a slot among the queries running, the bytes it returns.

- **Time.** ``SHEQU_HUB_QUERY_TIMEOUT`` is the most a query may run; a caller may ask for less,
  never more (a longer time asked for is cut to it).
- **Slots.** ``shequ serve`` answers with a few threads in each of a few processes; four
  cross joins once held every thread, and the health check waited 29 s. A query runs only in
  a free slot: ``SHEQU_HUB_QUERY_SLOTS`` in all, ``SHEQU_HUB_QUERY_SLOTS_PER_USER`` for one
  user. A slot is a lock file under ``DATA_DIR/hub/slots`` held with ``flock``: shared by
  every process of the machine, per open file (so by threads too), and let go by the kernel
  when its holder dies. A query that finds no free slot waits ``SHEQU_HUB_QUERY_WAIT``
  seconds at most, then gets 429: the threads stay free for the health check and the gates.
  Platform code (``run_query_system``, user None) needs no user slot and waits up to its time
  limit for a shared one.
- **Bytes.** The result is fetched from DuckDB in small batches and refused (413) as soon as it
  passes ``SHEQU_HUB_QUERY_MAX_BYTES``: a worker never holds a 1 GB answer.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

import duckdb
import pyarrow as pa
from django.conf import settings

from shequ.core.types import User
from shequ.hub.query.errors import QueryError
from shequ.hub.storage import hub_dir

BATCH_ROWS = 2048
POLL_SECONDS = 0.05


def max_timeout() -> float:
    return float(settings.HUB_QUERY_TIMEOUT)


def timeout_for(asked: float | None) -> float:
    """The seconds a query gets: what the caller asked for, at most the platform's limit."""
    limit = max_timeout()
    if asked is None:
        return limit
    seconds = float(asked)
    if not seconds > 0:
        raise QueryError.of("bad_timeout")
    return min(seconds, limit)


def max_bytes() -> int:
    return int(settings.HUB_QUERY_MAX_BYTES)


def _slots_dir() -> Path:
    path = hub_dir() / "slots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _try_one(names: list[str]) -> IO[bytes] | None:
    """Lock the first free slot file among names; None when every one is held."""
    for name in names:
        handle = (_slots_dir() / name).open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return handle
    return None


def _release(handle: IO[bytes] | None) -> None:
    if handle is not None:
        with suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


@contextmanager
def slot(user: User | None, wait: float | None = None) -> Iterator[None]:
    """Hold a user slot and a shared slot while the block runs; 429 when none frees in time."""
    total = max(1, int(settings.HUB_QUERY_SLOTS))
    per_user = max(1, int(settings.HUB_QUERY_SLOTS_PER_USER))
    seconds = float(settings.HUB_QUERY_WAIT) if wait is None else wait
    deadline = time.monotonic() + seconds
    mine: IO[bytes] | None = None
    shared: IO[bytes] | None = None
    try:
        if user is not None:
            names = [f"user-{user.pk}-{i}.lock" for i in range(per_user)]
            mine = _wait_for(names, deadline)
            if mine is None:
                raise QueryError.of("busy_user", 429, count=per_user)
        shared = _wait_for([f"all-{i}.lock" for i in range(total)], deadline)
        if shared is None:
            raise QueryError.of("busy", 429, count=total)
        yield
    finally:
        _release(shared)
        _release(mine)


def _wait_for(names: list[str], deadline: float) -> IO[bytes] | None:
    while True:
        handle = _try_one(names)
        if handle is not None or time.monotonic() >= deadline:
            return handle
        time.sleep(POLL_SECONDS)


def fetch(relation: duckdb.DuckDBPyRelation, limit: int) -> tuple[pa.Table, bool]:
    """At most limit rows of relation (and whether there were more), under the byte cap."""
    cap = max_bytes()
    reader = relation.limit(limit + 1).to_arrow_reader(BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    size = rows = 0
    for batch in reader:
        batches.append(batch)
        size += batch.nbytes
        rows += batch.num_rows
        if size > cap:
            reader.close()
            raise QueryError.of("result_too_large", 413, size=_mb(cap))
    table = pa.Table.from_batches(batches, schema=reader.schema)
    truncated = rows > limit
    return (table.slice(0, limit) if truncated else table), truncated


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"
