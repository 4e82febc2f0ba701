"""The flood watch against the real processes (issue 17): server, worker, MQTT consumer, broker.

The railway culvert's water gauge (W01, the demo's) gets a token from street staff and posts a
reading over HTTP; then it publishes over MQTT (QoS 1) to `shequ/v1/devices/W01/readings`,
where `shequ flood ingest` takes it: the water crosses the culvert's red line (40 cm), the
alert is in the duty officer's alert list and inbox (delivered by `shequ worker`), the point
is red on the live map's data, and the officer acknowledges it over HTTP.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from system_support import Platform, api_headers, assert_clean, json_items, wait_until

POINT = "culvert"  # 铁路涵洞, the railway culvert on the village's main road
GAUGE = "W01"  # its water-level gauge: blue 10, yellow 15, orange 25, red 40 cm
RED = 4


def publish(broker: str, topic: str, payload: dict[str, Any]) -> None:
    """Publish one JSON message with QoS 1 and wait for the broker's acknowledgement."""
    url = urlsplit(broker)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if url.username:
        client.username_pw_set(url.username, url.password)
    client.connect(url.hostname or "127.0.0.1", url.port or 1883, keepalive=30)
    client.loop_start()
    try:
        info = client.publish(topic, json.dumps(payload), qos=1)
        info.wait_for_publish(10)
        assert info.is_published(), f"the broker did not acknowledge the message on {topic}"
    finally:
        client.disconnect()
        client.loop_stop()


def reading(at: datetime, cm: float) -> dict[str, Any]:
    return {"time": at.isoformat(), "value": cm}


def threshold_alert(client: httpx.Client) -> dict[str, Any] | None:
    answer = client.get("/api/v1/flood/alerts")
    assert_clean(answer)
    assert answer.status_code == 200, answer.text[:500]
    for alert in answer.json():
        if alert["point"] == POINT and alert["rule"] == "threshold" and alert["device"] == GAUGE:
            return dict(alert)
    return None


def culvert_level(client: httpx.Client) -> int:
    answer = client.get("/api/v1/flood/points")
    assert answer.status_code == 200, answer.text[:500]
    return int(next(p["level"] for p in answer.json() if p["code"] == POINT))


def test_gauge_readings_over_mqtt_end_as_an_alert_the_duty_officer_acknowledges(
    platform: Platform, clients: dict[str, httpx.Client], flood_ingest: str
) -> None:
    street, duty = clients["street"], clients["duty"]
    assert threshold_alert(duty) is None, "the quiet demo week opened a depth alert"

    # Street staff issue the gauge's token; the gauge posts a first reading over HTTP.
    issued = street.post(f"/api/v1/flood/devices/{GAUGE}/token", headers=api_headers(street))
    assert_clean(issued)
    assert issued.status_code == 200, issued.text[:500]
    token = issued.json()["token"]
    now = datetime.now(UTC).replace(microsecond=0)
    gauge = httpx.Client(
        base_url=platform.base, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    with gauge:
        naive = gauge.post(
            "/api/v1/flood/readings",
            json={"readings": [{"time": now.replace(tzinfo=None).isoformat(), "value": 99}]},
        )
        assert naive.status_code == 422, naive.text[:500]
        assert "readings.0.time" in naive.text, naive.text[:500]
        posted = gauge.post(
            "/api/v1/flood/readings", json={"readings": [reading(now - timedelta(minutes=3), 8)]}
        )
        assert_clean(posted)
        assert posted.status_code == 200, posted.text[:500]
        assert posted.json()["stored"] == 1, posted.json()
        forged = httpx.post(
            f"{platform.base}/api/v1/flood/readings",
            json={"readings": [reading(now, 80)]},
            headers={"Authorization": "Bearer flood_not-a-token"},
            timeout=10,
        )
        assert forged.status_code == 401, forged.text[:300]

    # The water rises: the gauge publishes a batch to the broker, and the consumer stores it.
    publish(
        flood_ingest,
        f"{platform.env['SHEQU_MQTT_TOPIC_ROOT']}/devices/{GAUGE}/readings",
        {
            "readings": [
                reading(now - timedelta(minutes=2), 18),
                reading(now - timedelta(minutes=1), 31),
                reading(now, 46),
            ]
        },
    )

    def red_alert() -> dict[str, Any] | None:
        alert = threshold_alert(duty)
        return alert if alert is not None and alert["level"] == RED else None

    try:
        alert = wait_until(red_alert, 30, "a red depth alert at the culvert")
    except BaseException:
        print(platform.log("ingest")[-3000:])
        raise
    assert alert["state"] == "firing", alert
    assert alert["value"] is not None and alert["value"] >= 40, alert

    # The live map's data and the points API show the culvert red.
    assert culvert_level(duty) == RED
    drawn = duty.get("/flood/map.json")
    assert_clean(drawn)
    assert drawn.status_code == 200, drawn.text[:300]
    levels = {
        f["properties"].get("code"): f["properties"].get("level")
        for f in drawn.json()["features"]
        if f["properties"].get("kind") == "point"
    }
    assert levels.get(POINT) == "red", levels

    # The duty officer's alert inbox (page) and personal inbox (the worker delivers it).
    page = duty.get("/flood/alerts/")
    assert_clean(page)
    assert page.status_code == 200
    assert f"/flood/alerts/{alert['id']}/acknowledge/" in page.text

    def told() -> list[dict[str, Any]] | None:
        inbox = duty.get("/api/v1/inbox?page_size=100")
        assert inbox.status_code == 200, inbox.text[:300]
        found = [m for m in json_items(inbox.json()) if m.get("url") == f"/flood/points/{POINT}/"]
        return found or None

    try:
        messages = wait_until(told, 60, "the duty officer's inbox message about the culvert")
    except BaseException:
        print(platform.log("worker")[-3000:])
        raise
    assert any("铁路涵洞" in m["title"] for m in messages), messages

    # The officer acknowledges it over HTTP, with a comment; it stays open, acknowledged.
    acked = duty.post(
        f"/api/v1/flood/alerts/{alert['id']}/acknowledge",
        json={"comment": "巡查员已出发，封闭涵洞"},
        headers=api_headers(duty),
    )
    assert_clean(acked)
    assert acked.status_code == 200, acked.text[:500]
    assert acked.json()["state"] == "acknowledged", acked.json()
    after = threshold_alert(duty)
    assert after is not None and after["id"] == alert["id"], after
    assert (after["state"], after["ack_comment"]) == ("acknowledged", "巡查员已出发，封闭涵洞")
    assert culvert_level(duty) == RED  # acknowledged is not over: the water is still high
