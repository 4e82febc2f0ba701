"""One SQLite writer at a time across the web server's threads and processes.

SQLite allows one write transaction at a time and makes the others wait in sleeps of 1 ms
growing to 100 ms (its busy handler), which shows as long tail latencies under concurrent
writes. Hot write paths (gate events) queue here instead: a thread lock within the process
and an advisory ``flock`` on a file beside the database across processes, so each writer
starts as soon as the one before it lets go. On PostgreSQL this does nothing.

SQLite copies its write-ahead log back into the database file (a checkpoint, which syncs
both files) inside the commit that takes the log past 1,000 pages: for gate events every
85th commit or so, 3-6 ms with the queue held and every writer behind it waiting. Writers of
the queue run that checkpoint after their turn instead, one in ``CHECKPOINT_TURNS`` turns of
a process, passively (it waits for no reader or writer); SQLite's own remains the backstop.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

CHECKPOINT_TURNS = 50

_thread_lock = threading.Lock()
_files: dict[str, int] = {}
_turns = 0


def _lock_fd(db_name: str) -> int:
    fd = _files.get(db_name)
    if fd is None:
        fd = os.open(f"{db_name}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        _files[db_name] = fd
    return fd


@contextmanager
def sqlite_writer() -> Iterator[None]:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or "mode=memory" in name:
        yield
        return
    global _turns
    with _thread_lock:
        fd = _lock_fd(name)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            _turns += 1
            due = _turns % CHECKPOINT_TURNS == 0
    if due and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
