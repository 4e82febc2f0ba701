"""The typhoon scenario as a user runs it (README): `shequ demo --scenario typhoon` builds and
serves the demo and replays the storm live beside the server; the duty officer follows it over
the API. At the peak the culvert's alert has climbed blue → yellow → orange → red, the street's
response is at II, the road closure and the rescue are under way; `shequ flood typhoon` plays
the rest: every alert resolves, the tasks are done, the response ends. Played again, nothing is
added. A community's staff, who watch another region, see none of it.

The scenario gets a platform of its own (its own var dir, and database on PostgreSQL): the
shared demo of the other system tests has its culvert already red.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from system_support import PASSWORD, Platform, assert_clean

PACE = "0.1"  # seconds between the storm's 5-minute steps


def _database() -> Iterator[str]:
    url = os.environ.get("SHEQU_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield ""
        return
    import psycopg

    base, _, _name = url.rpartition("/")
    name = f"shequ_typhoon_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """`shequ demo --scenario typhoon --until peak`: served, the storm replayed to its peak."""
    root = tmp_path_factory.mktemp("typhoon")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    env.update(
        SHEQU_VAR_DIR=str(root / "var"),
        SHEQU_DEMO_PASSWORD=PASSWORD,
        SHEQU_WEB_WORKERS="2",
        PYTHONUNBUFFERED="1",
        SHEQU_MQTT_URL="mqtt://127.0.0.1:9",  # no broker: the scenario needs none
    )
    databases = _database()
    if url := next(databases):
        env["SHEQU_DATABASE_URL"] = url
    plat = Platform(var_dir=root / "var", env=env)
    plat.start("web", "demo", "--scenario", "typhoon", "--until", "peak", "--pace", PACE)
    try:
        plat.wait_healthy("web")
        plat.wait_for_log("web", "typhoon: 31 steps", timeout=300)
        yield plat
    finally:
        plat.stop_all()
        next(databases, None)


def run(platform: Platform, *argv: str) -> str:
    """`shequ ARGV` to its end, on the platform's var dir (its output)."""
    proc = platform.start("cli", *argv, serve=False)
    assert proc.wait(timeout=300) == 0, platform.log("cli")[-3000:]
    platform.procs.pop("cli")
    return platform.log("cli")


def get(client: httpx.Client, url: str) -> Any:
    answer = client.get(url)
    assert_clean(answer)
    assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
    return answer.json()


def test_a_typhoon_replayed_live_fires_escalates_is_handled_and_clears(storm: Platform) -> None:
    duty, other = storm.client("duty"), storm.client("community")

    # At the peak: the culvert red, its history every level on the way, acknowledged again.
    alerts = get(duty, "/api/v1/flood/alerts")
    depth = next(a for a in alerts if (a["point"], a["rule"]) == ("culvert", "threshold"))
    assert (depth["level"], depth["state"]) == (4, "acknowledged"), depth
    history = get(duty, f"/api/v1/flood/alerts/{depth['id']}/events")
    climbed = [(e["kind"], e["level"]) for e in history if e["kind"] in ("fired", "escalated")]
    assert climbed == [("fired", 1), ("escalated", 2), ("escalated", 3), ("escalated", 4)]
    assert {"acknowledged", "ack_lapsed"} <= {e["kind"] for e in history}
    trapped = [a for a in alerts if a["rule"] == "camera" and a["level"] == 4]
    assert trapped and trapped[0]["device"] == "C01", alerts
    assert {a["point"] for a in alerts} >= {"culvert", "main-road", "creek-bridge", "square"}
    levels = {p["code"]: p["level"] for p in get(duty, "/api/v1/flood/points")}
    assert levels["culvert"] == 4 and levels["back-hill"] == 0, levels
    responses = get(duty, "/api/v1/flood/response-levels")
    assert [(r["region_code"], r["level"]) for r in responses] == [("990102001000", "II")]
    tasks = get(duty, "/api/v1/flood/tasks")
    assert {(t["kind"], t["state"], t["point"]) for t in tasks} == {
        ("close_road", "in_progress", "culvert"),
        ("patrol", "in_progress", "culvert"),
    }
    page = duty.get("/flood/alerts/")
    assert page.status_code == 200 and "铁路涵洞" in page.text

    # The community's staff watch another region: none of it is theirs.
    assert get(other, "/api/v1/flood/alerts?state=all") == []
    assert get(other, "/api/v1/flood/tasks?state=all") == []
    assert get(other, "/api/v1/flood/points") == []
    assert other.get(f"/api/v1/flood/alerts/{depth['id']}/events").status_code == 404
    theirs = other.get("/flood/alerts/")
    assert theirs.status_code == 200 and "铁路涵洞" not in theirs.text

    # The rest of the storm: the water falls, the alerts resolve, the tasks are done.
    out = run(storm, "flood", "typhoon")
    assert "typhoon: 72 steps" in out, out[-2000:]
    assert get(duty, "/api/v1/flood/alerts") == []
    past = get(duty, "/api/v1/flood/alerts?state=all")
    assert {a["state"] for a in past} == {"resolved"}, past
    assert get(duty, "/api/v1/flood/response-levels") == []
    done = get(duty, "/api/v1/flood/tasks?state=all")
    assert sorted((t["kind"], t["state"]) for t in done) == [
        ("close_road", "done"),
        ("patrol", "done"),
    ]

    # Again, as the README says: nothing is added.
    again = run(storm, "demo", "--scenario", "typhoon", "--no-serve")
    assert "0 readings stored (864 already there), 0 alert changes, 0 actions" in again, again
    duty, other = storm.client("duty"), storm.client("community")  # the demo set passwords anew
    assert len(get(duty, "/api/v1/flood/alerts?state=all")) == len(past)
    assert len(get(duty, "/api/v1/flood/tasks?state=all")) == 2
    assert get(other, "/api/v1/flood/alerts?state=all") == []
