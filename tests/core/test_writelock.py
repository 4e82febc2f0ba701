"""The SQLite writer queue holds across processes (several web workers share one file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
