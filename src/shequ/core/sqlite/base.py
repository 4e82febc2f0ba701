"""Django's SQLite backend, with the platform's writers taking turns through a lock file.

SQLite lets one writer at a time hold its database; another waits in its busy handler, which
sleeps between tries (1, 2, 5, 10, ... up to 100 ms) and takes the lock only if it is free at
the moment it looks. A process that commits and begins again at once, as the MQTT ingester does
with a backlog, is almost never caught between two transactions: on this machine a door check
waited 6 s at p99 behind a writer holding the lock in turns of 3 ms, and the load benchmark's
web workers waited for over a minute. A process blocked in ``flock`` is instead woken by the
kernel when the lock is let go: with every writer taking ``<database>.writelock`` first, the
same door check waited 49 ms at p99.

So every write transaction takes the lock file before SQLite's own lock: an atomic block from
its ``BEGIN`` to its commit or rollback, and a write outside a transaction (autocommit) for
its one statement. Reads are not held back (WAL lets them run beside the writer). The wait is
bounded by the database's busy timeout (``SHEQU_SQLITE_BUSY_TIMEOUT``), after which the writer
gets SQLite's own "database is locked". An in-memory database (the tests') has no lock file.
The lock is per open file, so the threads of one process take turns too, and the kernel lets
it go when its holder dies.

SQLite copies its write-ahead log back into the database file (a checkpoint, which syncs both
files) inside the commit that takes the log past 1,000 pages: every 85th door check or so, 3-6
ms with every writer behind it waiting. So one turn in ``CHECKPOINT_TURNS`` of a process runs
that checkpoint after letting its turn go, passively (it waits for no reader or writer);
SQLite's own remains the backstop.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections import deque
from typing import IO, Any, cast

from django.db.backends.sqlite3 import base

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
CHECKPOINT_TURNS = 50

_turns = 0
_turns_lock = threading.Lock()


def _open(path: str) -> IO[bytes]:
    # kept open with the connection; only the platform's user may take a turn
    return os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")


class WriteLock:
    """One connection's turn at writing: ``flock`` on the database's lock file.

    The kernel wakes every process blocked on a lock file when it is let go, and the first to
    run takes it; a process that lets it go and asks again at once is running, so it would
    nearly always be first. So a writer that has to wait says so first (a shared lock on the
    queue file) and a writer that finds anyone waiting waits with them rather than take the
    lock past them: then all of them are woken together and the turns go round.
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.held = False
        self._files: tuple[IO[bytes], IO[bytes]] | None = None

    def acquire(self) -> None:
        if self.held:
            return
        if self._files is None:
            self._files = (_open(self.path), _open(f"{self.path}-queue"))
        lock, queue = self._files
        if not _free(queue) or not _free(lock, keep=True):
            self._wait(lock, queue)
        self.held = True

    def _wait(self, lock: IO[bytes], queue: IO[bytes]) -> None:
        """Wait in the queue for the lock, at most the busy timeout.

        ``flock`` has no timeout of its own: a thread blocks in it, and this one waits for that
        thread. If the time runs out first, the files are given up (the thread lets the lock go
        and closes them whenever it gets it) and the next turn opens new ones.
        """
        got = threading.Event()
        mutex = threading.Lock()
        abandoned = False
        fcntl.flock(queue, fcntl.LOCK_SH)  # held only an instant by a writer looking

        def block() -> None:
            fcntl.flock(lock, fcntl.LOCK_EX)
            fcntl.flock(queue, fcntl.LOCK_UN)
            with mutex:
                if not abandoned:
                    got.set()
                    return
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
            queue.close()

        threading.Thread(target=block, name="sqlite-writelock", daemon=True).start()
        if got.wait(self.timeout):
            return
        with mutex:
            if got.is_set():
                return
            abandoned = True
        self._files = None
        raise sqlite3.OperationalError(
            f"database is locked (no turn at writing within {self.timeout:g} s)"
        )

    def release(self) -> None:
        if self.held and self._files is not None:
            fcntl.flock(self._files[0], fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        self.release()
        if self._files is not None:
            for file in self._files:
                file.close()
            self._files = None


def _free(file: IO[bytes], keep: bool = False) -> bool:
    """Whether nobody holds ``file`` (the queue: nobody waits); with ``keep``, it is now ours."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    if not keep:
        fcntl.flock(file, fcntl.LOCK_UN)
    return True


class Connection(sqlite3.Connection):
    """A connection that takes a turn before writing and lets it go as its write ends."""

    write_lock: WriteLock | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.write_lock is not None:
                self.write_lock.close()

    def take_turn(self) -> None:
        if self.write_lock is not None:
            self.write_lock.acquire()

    def end_turn(self) -> None:
        """Let the turn go once no transaction is open; now and then, checkpoint the log."""
        global _turns
        lock = self.write_lock
        if lock is None or not lock.held or self.in_transaction:
            return
        lock.release()
        with _turns_lock:
            _turns += 1
            due = _turns >= CHECKPOINT_TURNS
        if due:
            try:
                self.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.OperationalError:
                return  # a statement of this connection still open (a SELECT not read to
                # its end): the next turn tries again
            with _turns_lock:
                _turns = 0


class Cursor(base.SQLiteCursorWrapper):
    """Takes the connection's turn for a ``BEGIN`` (until the transaction ends) and for a
    write in autocommit (for that statement)."""

    @property
    def _conn(self) -> Connection:
        return cast(Connection, self.connection)

    def _takes_turn(self, query: str) -> bool:
        conn = self._conn
        if conn.write_lock is None or conn.in_transaction:
            return False
        verb = query.lstrip()[:7].upper()
        return verb.startswith("BEGIN") or verb.startswith(WRITES)

    # An autocommit write's rows (``INSERT … RETURNING``), read within its turn. SQLite ends
    # such a statement, and commits it, only once its rows have all been read: read later, it
    # committed after the turn had gone and met the checkpoint after the turn still running.
    _rows: deque[Any] | None = None

    def execute(self, query: str, params: Any = None) -> Any:
        self._rows = None
        if not self._takes_turn(query):
            return super().execute(query, params)
        self._conn.take_turn()
        try:
            super().execute(query, params)
            if self.description is not None and not self._conn.in_transaction:
                self._rows = deque(super().fetchall())
            return self
        finally:
            self._conn.end_turn()  # a BEGIN keeps it: its transaction is open

    def fetchone(self) -> Any:
        if self._rows is None:
            return super().fetchone()
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        if self._rows is None:
            return super().fetchmany(self.arraysize if size is None else size)
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self) -> list[Any]:
        if self._rows is None:
            return super().fetchall()
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __next__(self) -> Any:
        if self._rows is None:
            return super().__next__()
        if not self._rows:
            raise StopIteration
        return self._rows.popleft()

    def executemany(self, query: str, param_list: Any) -> Any:
        self._rows = None
        if not self._takes_turn(query):
            return super().executemany(query, param_list)
        self._conn.take_turn()
        try:
            return super().executemany(query, param_list)
        finally:
            self._conn.end_turn()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        params["factory"] = Connection
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            conn.write_lock = WriteLock(
                f"{self.settings_dict['NAME']}.writelock", float(conn_params.get("timeout", 5))
            )
        return conn

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=Cursor)
