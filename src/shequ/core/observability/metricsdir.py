"""The directory where the processes of one machine keep their metrics (no Django here).

``shequ serve`` calls ``prepare(clean=True)`` before it forks its web workers, and ``shequ
flood ingest`` calls ``prepare()`` before it starts: each then writes its counters to
memory-mapped files named after its pid in ``SHEQU_VAR_DIR/metrics`` (prometheus_client's
multiprocess mode, chosen by ``PROMETHEUS_MULTIPROC_DIR`` when prometheus_client is first
imported, so this runs before Django starts). Cleaning removes the files of processes that
no longer run, so a restarted server starts its counts from zero while an ingester that is
still running keeps its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from shequ import config

ENV = "PROMETHEUS_MULTIPROC_DIR"
_PID_FILE = re.compile(r".*_(\d+)\.db")


def path() -> Path:
    config.load_dotenv_file(Path.cwd())
    var_dir = Path(config.env("VAR_DIR", str(Path.cwd() / "var"))).resolve()
    return var_dir / "metrics"


def prepare(*, clean: bool = False) -> Path:
    """Create the directory, forget dead processes' files when ``clean``, and point this
    process (and those it starts) at it."""
    where = path()
    where.mkdir(parents=True, exist_ok=True)
    if clean:
        for file in where.iterdir():
            found = _PID_FILE.fullmatch(file.name)
            if found and not _alive(int(found[1])):
                file.unlink(missing_ok=True)
    os.environ[ENV] = str(where)
    return where


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
