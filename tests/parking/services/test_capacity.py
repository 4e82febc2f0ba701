"""Racing buyers in separate processes never get more passes than the plan's capacity.

PostgreSQL only: the test database must be shared by real processes, and ``select_for_update``
is what is being tested (SQLite serialises writers with BEGIN IMMEDIATE instead; its test
database lives in memory and cannot be shared).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from shequ.parking.models import Pass, Product, SharingPlan

pytestmark = pytest.mark.django_db(transaction=True)
BUYERS = 10
CAPACITY = 3
HERE = Path(__file__).resolve().parent


def _database_url() -> str:
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return (
        f"postgresql://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@pytest.mark.skipif(
    os.environ.get("SHEQU_DATABASE_URL", "").split(":")[0] not in ("postgresql", "postgres"),
    reason="the race runs on PostgreSQL (SHEQU_DATABASE_URL)",
)
def test_racing_processes_never_oversell(
    make_resident: Any,
    make_application: Callable[..., Any],
    monthly: Product,
    plan: SharingPlan,
    tmp_path: Path,
) -> None:
    plan.capacity = CAPACITY
    plan.save()
    go = tmp_path / "go"
    env = {**os.environ, "SHEQU_DATABASE_URL": _database_url()}
    procs = []
    for i in range(BUYERS):
        resident = make_resident()
        app = make_application(resident, [f"浙A{i:05d}"])
        args = [
            sys.executable,
            str(HERE / "race_buyer.py"),
            str(resident.pk),
            str(app.pk),
            str(monthly.pk),
            str(go),
        ]
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True))
    for proc in procs:  # every buyer is connected before the start
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert all(p.returncode == 0 for p in procs), outcomes
    assert sorted(outcomes) == ["sold"] * CAPACITY + ["sold_out"] * (BUYERS - CAPACITY)
    assert Pass.objects.filter(status="pending").count() == CAPACITY
