"""The embedded default's writers take turns through a lock file (shequ.core.sqlite).

Each test opens a database file of its own through the platform's backend, beside the test
database (which is in memory, and so has no lock file).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from shequ.core.sqlite import base

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the turns are the SQLite backend's"
)

PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
sys.exit(0)
"""

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""

# Another shequ process writing back to back: it takes its turn, holds SQLite's lock for a few
# milliseconds of inserts, commits and begins again at once (the MQTT ingester with a backlog).
HOG = """
import sqlite3, sys, time
from shequ.core.sqlite.base import WriteLock
db, seconds = sys.argv[1], float(sys.argv[2])
conn = sqlite3.connect(db, timeout=20, isolation_level=None)
lock = WriteLock(db + ".writelock", 20)
print("ready", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    lock.acquire()
    conn.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    while time.perf_counter() - started < 0.003:
        conn.execute("INSERT INTO hog (v) VALUES (1)")
    conn.execute("COMMIT")
    lock.release()
"""


def other_process_can_lock(path: Path) -> bool:
    return subprocess.run([sys.executable, "-c", PROBE, str(path)]).returncode == 0


@pytest.fixture
def wrapper(tmp_path: Path) -> Iterator[base.DatabaseWrapper]:
    options = dict(connection.settings_dict["OPTIONS"], timeout=2)
    settings_dict = dict(
        connection.settings_dict, NAME=str(tmp_path / "shequ.sqlite3"), OPTIONS=options
    )
    db = base.DatabaseWrapper(settings_dict, alias="turns")
    db.ensure_connection()
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE hog (v INTEGER)")
        cursor.execute("CREATE TABLE event (v INTEGER)")
    yield db
    db.close()


def lock_file(db: base.DatabaseWrapper) -> Path:
    return Path(f"{db.settings_dict['NAME']}.writelock")


def begin(db: base.DatabaseWrapper) -> None:
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(db: base.DatabaseWrapper, commit: bool = True) -> None:
    db.commit() if commit else db.rollback()
    db.set_autocommit(True)


@pytest.mark.django_db
def test_a_transaction_holds_the_turn_from_begin_to_commit(wrapper: Any) -> None:
    lock = lock_file(wrapper)
    assert other_process_can_lock(lock)
    begin(wrapper)
    with wrapper.cursor() as cursor:
        assert not other_process_can_lock(lock)  # BEGIN IMMEDIATE took it
        cursor.execute("INSERT INTO event (v) VALUES (%s)", [1])
        cursor.execute("SELECT count(*) FROM event")
    assert not other_process_can_lock(lock)
    end(wrapper)
    assert other_process_can_lock(lock)
    begin(wrapper)
    assert not other_process_can_lock(lock)
    end(wrapper, commit=False)  # a rollback lets it go too
    assert other_process_can_lock(lock)
    assert oct(lock.stat().st_mode)[-3:] == "600"


@pytest.mark.django_db
def test_a_write_in_autocommit_holds_it_for_its_statement_and_a_read_never(
    wrapper: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    real = base.WriteLock.acquire

    def acquire(self: base.WriteLock) -> None:
        taken.append("turn")
        real(self)

    monkeypatch.setattr(base.WriteLock, "acquire", acquire)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event")
        cursor.execute("  insert into event (v) values (%s)", [1])
        cursor.executemany("UPDATE event SET v = %s", [[2], [3]])
        cursor.execute("SELECT v FROM event")
        assert cursor.fetchall() == [(3,)]
    assert taken == ["turn", "turn"]
    assert other_process_can_lock(lock_file(wrapper))


@pytest.mark.django_db
def test_a_writer_that_waits_past_the_busy_timeout_gets_database_is_locked(
    wrapper: Any,
) -> None:
    held = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock_file(wrapper))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert held.stdout is not None and held.stdout.readline().strip() == "held"
        with pytest.raises(Exception, match="database is locked"), wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO event (v) VALUES (1)")
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM event")
            assert cursor.fetchone() == (0,)  # nothing written, no turn kept
    finally:
        held.kill()
        held.wait()
    with wrapper.cursor() as cursor:  # the abandoned wait let go: a turn again
        cursor.execute("INSERT INTO event (v) VALUES (1)")
    assert other_process_can_lock(lock_file(wrapper))


@pytest.mark.django_db
def test_a_writer_gets_its_turns_beside_one_that_writes_back_to_back(wrapper: Any) -> None:
    """Every write of this one is done, none waits out its timeout (how long they wait is
    bench/sqlite_turns.py's: a test never depends on the machine's speed)."""
    hog = subprocess.Popen(
        [sys.executable, "-c", HOG, str(wrapper.settings_dict["NAME"]), "30"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert hog.stdout is not None and hog.stdout.readline().strip() == "ready"
        for v in range(40):
            begin(wrapper)
            with wrapper.cursor() as cursor:
                cursor.execute("INSERT INTO event (v) VALUES (%s)", [v])
            end(wrapper)
            with wrapper.cursor() as cursor:
                cursor.execute("INSERT INTO event (v) VALUES (%s)", [-v])
    finally:
        hog.kill()
        hog.wait()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event")
        assert cursor.fetchone() == (80,)
        cursor.execute("SELECT count(*) > 0 FROM hog")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_the_log_is_checkpointed_after_a_turn_not_inside_it(
    wrapper: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "CHECKPOINT_TURNS", 3)
    monkeypatch.setattr(base, "_turns", 0)
    checkpoints: list[bool] = []
    real = base.Connection.execute

    def execute(self: sqlite3.Connection, sql: str, *args: Any) -> Any:
        if "wal_checkpoint" in sql:  # free for the next writer while the log is copied back
            checkpoints.append(other_process_can_lock(lock_file(wrapper)))
        return real(self, sql, *args)

    monkeypatch.setattr(base.Connection, "execute", execute)
    for v in range(6):
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO event (v) VALUES (%s)", [v])
    assert checkpoints == [True, True]


@pytest.mark.django_db
def test_an_in_memory_database_has_no_turns() -> None:
    assert connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]
    connection.ensure_connection()
    assert connection.connection.write_lock is None


@pytest.mark.django_db
def test_an_insert_returning_in_autocommit_is_done_within_its_turn(
    wrapper: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite ends an autocommit statement (and commits it) when its rows have all been read:
    a door check's ``INSERT … RETURNING`` read after the turn had let go committed outside
    it, and the checkpoint after the turn met the statement still running ("database table
    is locked", 1 door check in 40 answered 500)."""
    monkeypatch.setattr(base, "CHECKPOINT_TURNS", 1)
    monkeypatch.setattr(base, "_turns", 0)
    for v in range(4):
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO event (v) VALUES (%s) RETURNING v, v + 1", [v])
            assert other_process_can_lock(lock_file(wrapper))  # committed: the turn is over
            assert not wrapper.connection.in_transaction
            assert cursor.fetchone() == (v, v + 1)
            assert cursor.fetchone() is None
    with wrapper.cursor() as cursor:
        cursor.execute("DELETE FROM event WHERE v < %s RETURNING v", [2])
        assert sorted(cursor.fetchall()) == [(0,), (1,)] and cursor.fetchall() == []
        cursor.execute("UPDATE event SET v = v * 10 RETURNING v")
        assert sorted(row for row in cursor) == [(20,), (30,)]
        cursor.execute("SELECT v FROM event ORDER BY v")  # a read is read as it comes
        assert cursor.fetchmany(1) == [(20,)] and cursor.fetchall() == [(30,)]
