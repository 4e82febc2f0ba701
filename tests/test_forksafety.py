"""A process forked after deltalake or DuckDB started refuses to run, at start-up, saying why.

Each case runs in a fresh interpreter (the test process itself holds these runtimes), forks
there, and reports what the child's start-up check said.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FORK_AND_CHECK = """
import json, os, sys
import shequ
from shequ import forksafety

{prepare}

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    try:
        {child}
        out = {{"ok": True}}
    except forksafety.ForkedAfterRuntime as exc:
        out = {{"ok": False, "message": str(exc)}}
    os.write(w, json.dumps(out).encode())
    os._exit(0)
os.close(w)
data = b""
while chunk := os.read(r, 65536):
    data += chunk
os.waitpid(pid, 0)
print(data.decode())
"""


FRESH_CHECK = 'forksafety.assert_fresh("child")'


def run_forked(tmp_path: Path, prepare: str, child: str = FRESH_CHECK) -> dict:
    script = FORK_AND_CHECK.format(prepare=textwrap.dedent(prepare), child=child)
    env = {
        **os.environ,
        "SHEQU_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "shequ.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fork_of_a_clean_process_starts(tmp_path: Path) -> None:
    assert run_forked(tmp_path, "import duckdb, deltalake") == {"ok": True}


def test_a_fork_after_deltalake_wrote_a_table_refuses_to_start(tmp_path: Path) -> None:
    prepare = f"""
    import pyarrow as pa
    from deltalake import write_deltalake
    write_deltalake({str(tmp_path / "t")!r}, pa.table({{"a": [1, 2]}}))
    """
    out = run_forked(tmp_path, prepare)
    assert out["ok"] is False
    assert "tokio" in out["message"] and "deltalake" in out["message"]
    assert "shequ serve" in out["message"]


def test_a_fork_while_the_query_engine_holds_duckdb_databases_refuses_to_start(
    tmp_path: Path,
) -> None:
    prepare = """
    import django
    django.setup()
    from shequ.hub.query.sandbox import locked_database
    con = locked_database([], 1, "100MB")
    """
    out = run_forked(tmp_path, prepare)
    assert out["ok"] is False
    assert "DuckDB" in out["message"]


def test_a_fork_with_an_open_database_connection_refuses_to_start(tmp_path: Path) -> None:
    prepare = """
    import django
    django.setup()
    from django.db import connection
    connection.ensure_connection()
    """
    out = run_forked(tmp_path, prepare)
    assert out["ok"] is False
    assert "database connection 'default'" in out["message"]


def test_the_web_application_checks_at_import(tmp_path: Path) -> None:
    prepare = f"""
    import pyarrow as pa
    from deltalake import write_deltalake
    write_deltalake({str(tmp_path / "t")!r}, pa.table({{"a": [1]}}))
    """
    out = run_forked(tmp_path, prepare, child="import shequ.wsgi")
    assert out["ok"] is False
    assert "This web worker" in out["message"]


@pytest.mark.parametrize("closed", [True, False])
def test_closed_query_databases_are_forgotten(tmp_path: Path, closed: bool) -> None:
    prepare = f"""
    import django
    django.setup()
    from shequ.hub.query.sandbox import SANDBOXES, locked_database
    locked_database([], 1, "100MB").close()
    if {closed}:
        SANDBOXES.clear()
    """
    assert run_forked(tmp_path, prepare)["ok"] is closed
