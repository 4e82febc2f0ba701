"""The SQLite writer queue holds across processes (several web workers share one file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from shequ.core.services.writelock import sqlite_writer

PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
sys.exit(0)
"""


def other_process_can_lock(path: Path) -> bool:
    return subprocess.run([sys.executable, "-c", PROBE, str(path)]).returncode == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the queue is for SQLite only")
def test_another_process_waits_while_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "shequ.sqlite3"
    monkeypatch.setitem(connection.settings_dict, "NAME", str(db))
    lock = tmp_path / "shequ.sqlite3-writer.lock"
    with sqlite_writer():
        assert lock.exists()
        assert not other_process_can_lock(lock)
    assert other_process_can_lock(lock)
    with sqlite_writer():  # taken again by the same process
        assert not other_process_can_lock(lock)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the queue is for SQLite only")
@pytest.mark.django_db(transaction=True)
def test_the_log_is_checkpointed_after_a_turn_not_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shequ.core.services import writelock

    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "shequ.sqlite3"))
    monkeypatch.setattr(writelock, "CHECKPOINT_TURNS", 3)
    monkeypatch.setattr(writelock, "_turns", 0)
    lock = tmp_path / "shequ.sqlite3-writer.lock"
    checkpoints: list[tuple[int, bool]] = []
    turn = 0

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "wal_checkpoint" in sql:
            # Free for the next writer (another process) while the log is copied back.
            checkpoints.append((turn, other_process_can_lock(lock)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        for turn in range(1, 7):  # noqa: B007 (read by watch)
            with sqlite_writer():
                pass
    assert checkpoints == [(3, True), (6, True)]
