"""The gauge reports of the alert race: one process per report, each with its own connection.

Run as ``python race_reader.py <device id> <ISO time> <count> <value> <go file>`` with
SHEQU_DATABASE_URL pointing at the test database. Django is set up once, before any connection
is opened, and the process forks COUNT readers (a fork costs a millisecond, a Python start with
Django two seconds); reader i reports VALUE at the time plus i seconds. Each prints
``ready <i>`` once connected, waits for the start signal (the go file), posts, and prints
``<i> stored=<n> changed=<n>``. Exits 0 when every reader did.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

START_WITHIN_S = 120


def say(line: str) -> None:
    os.write(1, f"{line}\n".encode())  # one write: the readers' lines never interleave


def read_once(device_id: str, at: str, value: float, go: Path, i: int) -> None:
    from datetime import datetime

    from django.db import connection

    from shequ.flood.models import Device
    from shequ.flood.services import ingest
    from shequ.flood.services.ingest import ReadingRow

    device = Device.objects.select_related("point").get(pk=device_id)
    row = ReadingRow(time=datetime.fromisoformat(at), value=value)
    connection.ensure_connection()
    say(f"ready {i}")
    deadline = time.monotonic() + START_WITHIN_S  # a test that failed before the start
    while not go.exists():  # leaves no reader polling for ever
        if time.monotonic() > deadline:
            raise TimeoutError(f"no start signal within {START_WITHIN_S} s")
        time.sleep(0.001)
    done = ingest.ingest(device, [row])
    say(f"{i} stored={done.stored} changed={done.alerts_changed}")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django

    django.setup()
    from datetime import datetime, timedelta

    import shequ.flood.services.ingest  # noqa: F401  (imported once, before the forks)

    device_id, start, count, value, go = sys.argv[1:6]
    first = datetime.fromisoformat(start)
    children = []
    for i in range(int(count)):
        at = (first + timedelta(seconds=i)).isoformat()
        pid = os.fork()
        if pid == 0:  # no connection was open before the fork: each reader opens its own
            code = 1
            try:
                read_once(device_id, at, float(value), Path(go), i)
                code = 0
            except BaseException as exc:  # said, and the exit code tells the parent
                say(f"{i} failed: {exc!r}")
            finally:
                os._exit(code)
        children.append(pid)
    failed = sum(os.waitpid(pid, 0)[1] != 0 for pid in children)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
