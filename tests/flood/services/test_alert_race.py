"""50 readings crossing a threshold at once, from 50 processes, open exactly one alert.

PostgreSQL only: the processes must share the test database, and the row lock and the partial
unique constraint are what is being tested (SQLite's test database lives in memory).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from flood.factories import T0
from shequ.flood.models import Alert, Device, Reading, Rule

pytestmark = pytest.mark.django_db(transaction=True)
READERS = 50
HERE = Path(__file__).resolve().parent


def _database_url() -> str:
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{s['NAME']}"


@pytest.mark.skipif(
    os.environ.get("SHEQU_DATABASE_URL", "").split(":")[0] not in ("postgresql", "postgres"),
    reason="the race runs on PostgreSQL (SHEQU_DATABASE_URL)",
)
def test_fifty_concurrent_readings_over_a_threshold_open_one_alert(
    gauge: Device, depth: Rule, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    env = {**os.environ, "SHEQU_DATABASE_URL": _database_url()}
    args = [sys.executable, str(HERE / "race_reader.py"), str(gauge.pk), T0.isoformat(),
            str(READERS), "30", str(go)]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready = [proc.stdout.readline().strip() for _ in range(READERS)]
    assert sorted(ready) == sorted(f"ready {i}" for i in range(READERS)), ready
    go.touch()  # every reader is connected before the start
    outcomes = proc.communicate(timeout=180)[0].strip().splitlines()
    assert proc.returncode == 0, outcomes
    assert len(outcomes) == READERS and all("stored=1" in o for o in outcomes), outcomes
    assert Reading.objects.filter(device=gauge).count() == READERS
    alert = Alert.objects.get()
    assert (alert.level, alert.state) == (3, "firing")
    assert list(alert.events.values_list("kind", flat=True)) == ["fired"]
    assert sum(o.endswith("changed=1") for o in outcomes) == 1
