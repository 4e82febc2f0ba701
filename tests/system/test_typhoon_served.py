"""The typhoon scenario as a user runs it (README): `shequ demo --scenario typhoon` builds and
serves the demo, starts its MQTT ingester (`shequ flood ingest`) against the real Mosquitto,
and replays the storm live beside the server, with `shequ worker` running: the gauges' readings
are published to the broker, stored by the ingester, and end as alerts in the duty officer's
inbox (HTTP, as the duty officer) and on the map's data. At the peak the culvert's alert has
climbed blue → yellow → orange → red, the street's response is at II, the road closure and the
rescue are under way; `shequ flood typhoon` plays the rest through the broker too: every alert
resolves, the tasks are done, the response ends. Played again with `--no-serve` (no ingester:
the replay stores the readings itself), nothing is added; the ingester stored exactly what was
published. A community's staff, who watch another region, see none of it.

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
from system_support import (
    BROKER,
    PASSWORD,
    Platform,
    assert_clean,
    broker_reachable,
    throwaway_database,
)

PACE = "0.1"  # seconds between the storm's 5-minute steps
GAUGES = 12


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """`shequ demo --scenario typhoon --until peak` and `shequ worker`: served, the storm
    replayed to its peak through the broker and the demo's ingester."""
    if not broker_reachable(BROKER):
        if os.environ.get("SHEQU_TEST_STRICT") == "1":
            pytest.fail(f"no MQTT broker at {BROKER}")
        pytest.skip(f"no MQTT broker at {BROKER}")
    root = tmp_path_factory.mktemp("typhoon")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    group = f"typhoon-{uuid.uuid4().hex[:10]}"
    env.update(
        SHEQU_VAR_DIR=str(root / "var"),
        SHEQU_DEMO_PASSWORD=PASSWORD,
        SHEQU_WEB_WORKERS="2",
        PYTHONUNBUFFERED="1",
        SHEQU_MQTT_URL=BROKER,
        # The ingester's shared-subscription group (and presence) of this platform alone.
        SHEQU_FLOOD_MQTT_GROUP=group,
        SHEQU_MQTT_TOPIC_ROOT=f"{group}/v1",  # the tier's shared demo stores none of the storm
        # The storm needs none of the time bank's 1,680 services (a minute of the build):
        # the figures of the small_time_bank fixture (tests/conftest.py), for a subprocess.
        SHEQU_TIMEBANK_DEMO_VOLUNTEERS="12",
        SHEQU_TIMEBANK_DEMO_SERVICES="30",
    )
    databases = throwaway_database("shequ_typhoon")
    if url := next(databases):
        env["SHEQU_DATABASE_URL"] = url
    plat = Platform(var_dir=root / "var", env=env)
    plat.start("web", "demo", "--scenario", "typhoon", "--until", "peak", "--pace", PACE)
    try:
        plat.wait_healthy("web")
        plat.start("worker", "worker", serve=False)
        plat.wait_for_log("web", "flood ingest: subscribed", timeout=120)
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


def drawn_levels(client: httpx.Client) -> dict[str, str]:
    """Each point's level on the live map's data (``map.json``, what the map redraws from)."""
    features = get(client, "/flood/map.json")["features"]
    return {
        f["properties"]["code"]: f["properties"]["level"]
        for f in features
        if "code" in f["properties"]
    }


def test_a_typhoon_replayed_live_fires_escalates_is_handled_and_clears(storm: Platform) -> None:
    duty, other = storm.client("duty"), storm.client("community")

    # The peak's readings went through the broker: published, then stored by the ingester.
    peak = (storm.log("web").split("typhoon: 31 steps", 1)[1]).splitlines()[0]
    published = 31 * GAUGES
    assert f"{published} readings stored (0 already there)" in peak, peak
    assert f"readings via MQTT: {published} published to the broker" in peak, peak

    # At the peak: the culvert red, its history every level on the way, acknowledged again.
    alerts = get(duty, "/api/v1/flood/alerts")
    depth = next(a for a in alerts if (a["point"], a["rule"]) == ("culvert", "threshold"))
    assert (depth["level"], depth["state"]) == (4, "acknowledged"), depth
    history = get(duty, f"/api/v1/flood/alerts/{depth['id']}/events")
    climbed = [(e["kind"], e["level"]) for e in history if e["kind"] in ("fired", "escalated")]
    assert climbed == [("fired", 1), ("escalated", 2), ("escalated", 3), ("escalated", 4)]
    assert {"acknowledged", "ack_lapsed"} <= {e["kind"] for e in history}
    # The trapped vehicle: `shequ worker` judges a camera's silence at the wall clock, and the
    # storm's hours are the past six, so its sweep may have resolved the alert already.
    seen = get(duty, "/api/v1/flood/alerts?state=all")
    trapped = [a for a in seen if a["rule"] == "camera" and a["level"] == 4]
    assert trapped and trapped[0]["device"] == "C01", seen
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
    assert f'data-testid="alert-{depth["id"]}"' in page.text
    assert 'data-testid="alert-latest"' in page.text  # the water now, beside the red's value
    on_map = drawn_levels(duty)
    assert on_map["culvert"] == "red" and on_map["back-hill"] != "red", on_map

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
    rest = out.split("typhoon: 72 steps", 1)[1].splitlines()[0]
    assert f"{41 * GAUGES} readings stored ({published} already there)" in rest, rest
    assert f"readings via MQTT: {72 * GAUGES} published to the broker" in rest, rest
    published += 72 * GAUGES
    assert set(drawn_levels(duty).values()) == {on_map["back-hill"]}  # all quiet again
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
    assert "readings ingested directly (asked for)" in again, again  # no ingester: --no-serve
    duty, other = storm.client("duty"), storm.client("community")  # the demo set passwords anew
    assert len(get(duty, "/api/v1/flood/alerts?state=all")) == len(past)
    assert len(get(duty, "/api/v1/flood/tasks?state=all")) == 2
    assert get(other, "/api/v1/flood/alerts?state=all") == []

    # The ingester, stopped with the demo, stored every message published and nothing else.
    storm.stop("web")
    assert f"flood ingest: {published} stored, 0 rejected of {published}" in storm.log("web")
