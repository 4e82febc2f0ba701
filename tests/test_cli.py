"""The `shequ` command: demo data, createadmin, manage, and a real `serve` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model

from shequ.cli import main
from shequ.core.models import Membership, Person, Region, Role
from shequ.dashboard.indicators import REGISTRY
from shequ.dashboard.models import Value
from shequ.demo.build import build_demo
from shequ.hub.models import Dataset, Origin

pytestmark = pytest.mark.usefixtures("small_time_bank")


def test_the_demo_has_a_street_two_communities_a_village_and_one_user_per_role(
    db: None, settings: object
) -> None:
    logins = build_demo(hub=False)
    assert {login["username"] for login in logins} >= {"admin", "community", "resident"}
    street = Region.objects.get(code="990102001000")
    assert sorted(street.children.values_list("level", flat=True)) == [
        "community",
        "community",
        "village",
    ]
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert get_user_model().objects.get(username="admin").check_password(logins[0]["password"])
    assert Person.objects.count() > 0


def test_running_the_demo_twice_refreshes_instead_of_duplicating(db: None) -> None:
    build_demo()
    counts = (Region.objects.count(), Membership.objects.count(), Person.objects.count())
    rows = dict(Dataset.objects.filter(version__isnull=False).values_list("key", "row_count"))
    build_demo()
    assert (Region.objects.count(), Membership.objects.count(), Person.objects.count()) == counts
    assert Dataset.objects.filter(origin=Origin.UPSTREAM).count() == 72
    # Parking publishes its indices back to the hub (flowback), the time bank its monthly
    # indicators and anonymised service records, once, and the dashboards their indicators'
    # time series.
    assert set(Dataset.objects.exclude(origin=Origin.UPSTREAM).values_list("key", flat=True)) == {
        "berth_index_hourly",
        "idle_night_spaces",
        "estate_parking_index",
        "timebank_indicators_monthly",
        "timebank_service_records",
        "dashboard_indicator_values",
    }
    again = dict(Dataset.objects.filter(version__isnull=False).values_list("key", "row_count"))
    # A time series: the second build adds today's run of the indicators, not their history.
    runs = Value.objects.values("indicator", "at").distinct().count()
    assert runs == len(REGISTRY) * 2 + sum(i.as_of for i in REGISTRY.values()) * 14
    assert again.pop("dashboard_indicator_values") > rows.pop("dashboard_indicator_values")
    assert again == rows
    assert rows["household_registry"] > 1000 and rows["garage_gate_records"] > 10_000
    # The demo login "resident", with its password, is a resident on the parking pages.
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="resident"))
    assert client.get("/parking/", follow=True).redirect_chain[-1][0] == "/parking/me/"


def test_createadmin_makes_a_platform_admin_and_rejects_a_weak_password(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    Region.objects.create(code="990000000000", name="示范省", level="province")
    assert main(["createadmin", "root", "--password", "123"]) == 1
    assert "error:" in capsys.readouterr().err
    assert main(["createadmin", "root", "--password", "a-long-enough-Passw0rd"]) == 0
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.password.startswith("argon2")
    assert user.memberships.get().role == Role.PLATFORM_ADMIN


def test_manage_runs_any_django_command(tmp_path: Path) -> None:
    # A real process: Django's command runner closes every connection when it ends.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    env["SHEQU_VAR_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "-m", "shequ.cli", "manage", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.xdist_group("serve")
def test_serve_migrates_a_fresh_database_and_answers_health_and_login(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    env["SHEQU_VAR_DIR"] = str(tmp_path / "var")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shequ.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{base}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.3)
        assert health is not None and health.status_code == 200, "server did not come up"
        assert health.json()["database"] == "ok"
        login = httpx.get(f"{base}/login/", timeout=5)
        assert login.status_code == 200
        assert 'name="password"' in login.text
        assert httpx.get(f"{base}/static/vendor/htmx.min.js", timeout=5).status_code == 200
        assert (tmp_path / "var" / "shequ.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
