"""Two `shequ worker` processes on one database and one queue (issue 21).

Each worker runs huey's scheduler, so both enqueue every periodic job for every minute; each
schedule slot must still run once (the claims of ``core.periodic``). A hub ingestion run whose
task is delivered twice is carried out once. `shequ doctor` sees both workers' heartbeats.
On PostgreSQL when ``SHEQU_DATABASE_URL`` names one, else on SQLite; a var dir of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from system_support import SHEQU, Platform, throwaway_database, wait_until

CLAIM = re.compile(r"periodic (\S+) for (\S+): (claimed by \S+|run by another worker, skipped)")
EVERY_MINUTE = {
    "shequ.flood.jobs.sweep_no_data",
    "shequ.flood.jobs.sweep_cameras",
    "shequ.flood.jobs.remind_unacknowledged",
    "shequ.flood.jobs.publish_device_configs",
    "shequ.hub.jobs.schedule_sources",
}

QUEUE_TWICE = """
import json, sys
import django
django.setup()
from django.db import transaction
from shequ.hub.jobs import execute_run
from shequ.hub.models import Dataset, Source
from shequ.hub.services.sources import queue_run
dataset = Dataset.objects.get(key="worker_toilets")
source = Source.objects.create(
    dataset=dataset, name="toilets again", connector="file", config={"path": sys.argv[1]}
)
with transaction.atomic():
    run = queue_run(source)  # its task is enqueued once this commits
execute_run(run.pk)  # and once more: a duplicated delivery
print(json.dumps({"run": run.pk}))
"""

READ_BACK = """
import json, sys
import django
django.setup()
from shequ.core.models import PeriodicClaim
from shequ.hub.models import Dataset, IngestRun
run = IngestRun.objects.get(pk=int(sys.argv[1]))
dataset = Dataset.objects.get(key="worker_toilets")
print(json.dumps({
    "status": run.status,
    "error": run.error,
    "runs": IngestRun.objects.filter(dataset=dataset).count(),
    "versions": dataset.versions.count(),
    "claims": [[c.task, c.slot.isoformat(timespec="minutes")] for c in PeriodicClaim.objects.all()],
}))
"""


@pytest.fixture
def workers_platform(tmp_path: Path) -> Iterator[Platform]:
    database = throwaway_database("shequ_workers")
    url = next(database)
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    env.update(SHEQU_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", SHEQU_LOG_LEVEL="INFO")
    env["SHEQU_WORKER_HEARTBEAT_SECONDS"] = "5"
    env["DJANGO_SETTINGS_MODULE"] = "shequ.settings"
    if url:
        env["SHEQU_DATABASE_URL"] = url
    if os.environ.get("SHEQU_REDIS_URL"):
        env["SHEQU_REDIS_URL"] = os.environ["SHEQU_REDIS_URL"]
    plat = Platform(var_dir=var_dir, env=env)
    var_dir.mkdir(parents=True)
    try:
        yield plat
    finally:
        plat.stop_all()
        next(database, None)


def _run(plat: Platform, *argv: str) -> str:
    done = subprocess.run(
        argv, cwd=plat.var_dir.parent, env=plat.env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{argv[:3]}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _python(plat: Platform, code: str, *argv: str) -> Any:
    return json.loads(_run(plat, sys.executable, "-c", code, *argv).splitlines()[-1])


def _claims(plat: Platform) -> list[tuple[str, str, str]]:
    return [m.groups() for name in ("worker-a", "worker-b") for m in CLAIM.finditer(plat.log(name))]


def test_two_workers_run_each_schedule_slot_once(workers_platform: Platform) -> None:
    plat = workers_platform
    # Migrated once before several processes start (docs/operations.md): `hub` migrates.
    _run(plat, str(SHEQU), "hub", "catalog", "--load")
    plat.start("worker-a", "worker", serve=False)
    plat.start("worker-b", "worker", serve=False)
    started = time.monotonic()
    inbox = plat.var_dir / "data" / "inbox"  # the default import folder of file sources
    inbox.mkdir(parents=True)
    csv = inbox / "toilets.csv"
    csv.write_text("toilet_id,name\nT001,锦绣公厕\nT002,和园公厕\n", encoding="utf-8")
    _run(plat, str(SHEQU), "hub", "ingest", str(csv), "--dataset", "worker_toilets", "--create")
    more = inbox / "more-toilets.csv"
    more.write_text("toilet_id,name\nT003,锦绣二号公厕\n", encoding="utf-8")
    run_id = _python(plat, QUEUE_TWICE, str(more))["run"]
    for name in ("worker-a", "worker-b"):
        plat.wait_for_log(name, "Enqueueing periodic task", timeout=60)

    # Past the next minute boundary: both schedulers have enqueued the every-minute jobs for
    # two slots each, and the jobs have run.
    def two_rounds() -> bool | None:
        slots = {slot for task, slot, _ in _claims(plat) if task in EVERY_MINUTE}
        return True if len(slots) >= 2 and time.monotonic() - started > 62 else None

    wait_until(two_rounds, 90, "the every-minute jobs' second slot")
    time.sleep(3)  # the other worker's copies of the last slot
    seen = _claims(plat)
    claimed = Counter((task, slot) for task, slot, what in seen if what.startswith("claimed"))
    skipped = Counter((task, slot) for task, slot, what in seen if what.startswith("run by"))
    assert claimed, plat.log("worker-a")[-3000:]
    twice = {key: n for key, n in claimed.items() if n > 1}
    assert not twice, f"slots run by more than one worker: {twice}"
    every_minute_slots = {slot for task, slot in claimed if task in EVERY_MINUTE}
    assert len(every_minute_slots) >= 2
    # Both workers did enqueue them: the copies of the other worker were turned away.
    assert any(task in EVERY_MINUTE for task, _slot in skipped), seen
    assert set(skipped) <= set(claimed), "a slot turned away that no worker ran"

    found = wait_until(
        lambda: (r if (r := _python(plat, READ_BACK, str(run_id)))["status"]
                 not in ("queued", "running") else None),
        60,
        "the queued ingestion run finishing",
    )  # fmt: skip
    assert found["status"] == "succeeded", found["error"]
    assert found["runs"] == 2 and found["versions"] == 2, found  # the --create run and this one
    in_db = Counter((task, slot) for task, slot in found["claims"])
    assert all(n == 1 for n in in_db.values())
    assert set(claimed) <= set(in_db), "a logged claim has no claim row"

    doctor = subprocess.run(
        [str(SHEQU), "doctor"],
        cwd=plat.var_dir.parent,
        env=plat.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(
        (row for row in doctor.stdout.splitlines() if "worker heartbeat" in row), doctor.stdout
    )
    assert line.startswith("OK") and "2 alive" in line, doctor.stdout + doctor.stderr


def test_processes_started_together_on_a_new_database_migrate_one_at_a_time(
    workers_platform: Platform,
) -> None:
    """`shequ serve` and `shequ worker` started at once on a new version: each migrates at
    start; one does, the others wait for it and find nothing left to do."""
    plat = workers_platform
    argv = [str(SHEQU), "manage", "migrate", "--no-input", "--verbosity", "0"]
    procs = [
        subprocess.Popen(
            argv, cwd=plat.var_dir.parent, env=plat.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        for _ in range(3)
    ]  # fmt: skip
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], "\n".join(outputs)[-3000:]
    _run(plat, str(SHEQU), "manage", "migrate", "--check")
