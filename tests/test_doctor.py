"""`shequ doctor`: each check says what is wrong and how to fix it (issue 21)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from shequ import doctor
from shequ.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db
BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 1883), 2).close()
    except OSError:
        return False
    return True


def shequ_doctor(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    clean.update(SHEQU_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-m", "shequ.cli", "doctor"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_broker_on_a_closed_port_fails(settings: Any) -> None:
    settings.MQTT_URL = f"mqtt://127.0.0.1:{closed_port()}"
    check = doctor.broker()
    assert check.status == doctor.FAIL
    assert "cannot reach MQTT broker" in check.detail and "SHEQU_MQTT_URL" in check.detail


def test_no_broker_configured_is_fine(settings: Any) -> None:
    settings.MQTT_URL = ""
    assert doctor.broker().status == doctor.OK
    assert doctor.flood_ingester().status == doctor.OK


def test_a_broker_without_an_ingester_of_the_group_warns(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not broker_up():
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    settings.MQTT_URL = BROKER
    monkeypatch.setenv("SHEQU_FLOOD_MQTT_GROUP", f"nobody-{uuid.uuid4().hex[:8]}")
    assert doctor.broker().status == doctor.OK
    check = doctor.flood_ingester()
    assert check.status == doctor.WARN and "shequ flood ingest" in check.detail


def test_redis_on_a_closed_port_fails(settings: Any) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    check = doctor.redis_queue()
    assert check.status == doctor.FAIL and "SHEQU_REDIS_URL" in check.detail


def test_no_worker_heartbeat_fails_and_a_fresh_one_passes() -> None:
    check = doctor.worker_heartbeat()
    assert check.status == doctor.FAIL and "none has ever run" in check.detail
    now = timezone.now()
    row = WorkerHeartbeat.objects.create(
        hostname="w1", pid=7, started_at=now, last_seen=now - timedelta(minutes=4)
    )
    check = doctor.worker_heartbeat()
    assert check.status == doctor.FAIL and "w1:7, was seen 4 min ago" in check.detail
    WorkerHeartbeat.objects.filter(pk=row.pk).update(last_seen=now - timedelta(seconds=20))
    check = doctor.worker_heartbeat()
    assert check.status == doctor.OK and "1 alive: w1:7" in check.detail
    WorkerHeartbeat.objects.filter(pk=row.pk).update(stopped_at=now)
    check = doctor.worker_heartbeat()
    assert check.status == doctor.FAIL and "stopped" in check.detail


def test_an_unapplied_migration_fails() -> None:
    assert doctor.migrations().status == doctor.OK
    MigrationRecorder(connection).record_unapplied("core", "0005_workers")
    check = doctor.migrations()
    assert check.status == doctor.FAIL
    assert "core.0005_workers" in check.detail and "shequ manage migrate" in check.detail


def test_a_folder_that_cannot_be_written_fails(tmp_path: Path) -> None:
    assert doctor.folder("data dir", tmp_path).status == doctor.OK
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    check = doctor.folder("data dir", not_a_folder)
    assert check.status == doctor.FAIL and "not writable" in check.detail


def test_too_little_free_space_fails_or_warns(tmp_path: Path) -> None:
    huge = 1 << 60
    assert doctor.folder("var dir", tmp_path, fail_below=huge).status == doctor.FAIL
    check = doctor.folder("var dir", tmp_path, fail_below=0, warn_share=1.0)
    assert check.status == doctor.WARN and "less than 100% left" in check.detail


def test_an_unreadable_hub_table_fails(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    assert doctor.hub_tables().status == doctor.OK  # no tables yet
    log = tmp_path / "hub" / "tables" / "broken" / "_delta_log"
    log.mkdir(parents=True)
    (log / "00000000000000000000.json").write_text("this is not a commit\n")
    check = doctor.hub_tables()
    assert check.status == doctor.FAIL and "broken" in check.detail


def test_a_readable_hub_table_passes(settings: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    settings.DATA_DIR = tmp_path
    write_deltalake(str(tmp_path / "hub" / "tables" / "t"), pa.table({"a": [1, 2]}))
    check = doctor.hub_tables()
    assert check.status == doctor.OK and "1 Delta tables" in check.detail


def test_production_on_sqlite_warns(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PRODUCTION = True
    settings.ALLOWED_HOSTS = ["shequ.example.gov.cn"]
    monkeypatch.setenv("SHEQU_PII_HMAC_KEY", "x" * 50)
    check = doctor.configuration()
    if connection.vendor == "sqlite":
        assert check.status == doctor.WARN and "PostgreSQL" in check.detail
    else:
        assert check.status == doctor.OK
    monkeypatch.delenv("SHEQU_PII_HMAC_KEY")
    assert "SHEQU_PII_HMAC_KEY" in doctor.configuration().detail


def test_a_check_that_breaks_fails_and_the_others_still_run() -> None:
    def exploding() -> doctor.Check:
        raise OSError("the disk went away")

    results = doctor.run([exploding, doctor.migrations])
    assert [r.status for r in results] == [doctor.FAIL, doctor.OK]
    assert results[0].line() == "FAIL  exploding: could not check: the disk went away"


def test_the_command_fails_on_production_settings_without_keys(tmp_path: Path) -> None:
    done = shequ_doctor(tmp_path, SHEQU_ENV="production")
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL  configuration: SHEQU_ENV=production refuses"), done
    # Every problem on a line of its own, each with its fix.
    assert "\n  - SHEQU_SECRET_KEY is required" in done.stdout, done


def test_the_command_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"postgresql://shequ@127.0.0.1:{closed_port()}/shequ"
    done = shequ_doctor(tmp_path, SHEQU_DATABASE_URL=url)
    assert done.returncode == 1, done
    lines = done.stdout.splitlines()
    assert any(line.startswith("FAIL  database: postgresql 127.0.0.1:") for line in lines), lines
    assert any(line.startswith("OK    var dir:") for line in lines), lines  # the others ran
