"""The metrics directory: `shequ serve` forgets the files of processes that no longer run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shequ.core.observability import metricsdir


def test_cleaning_removes_dead_processes_files_and_keeps_live_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEQU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv(metricsdir.ENV, raising=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    where = tmp_path / "metrics"
    where.mkdir()
    for name in (f"counter_{dead_pid}.db", f"histogram_{dead_pid}.db", f"counter_{os.getpid()}.db"):
        (where / name).write_bytes(b"x")
    (where / "notes.txt").write_text("not ours")
    assert metricsdir.prepare(clean=True) == where
    assert sorted(p.name for p in where.iterdir()) == [f"counter_{os.getpid()}.db", "notes.txt"]
    assert os.environ[metricsdir.ENV] == str(where)


def test_without_cleaning_every_file_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEQU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv(metricsdir.ENV, raising=False)
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999999999.db").write_bytes(b"x")
    metricsdir.prepare()
    assert (tmp_path / "metrics" / "counter_999999999.db").exists()
