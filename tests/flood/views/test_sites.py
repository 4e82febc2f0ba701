"""Staff add and edit points and devices: per-field errors in both languages, region-authorised
(a matrix of roles), audited; a device's token shown once; a new gauge gets its kind's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from flood.access import SEES, make_people
from flood.factories import ELSEWHERE, VILLAGE, add_gauge, rows, threshold_rule
from shequ.core.models import AuditEvent, Role
from shequ.flood.models import Device, MonitoringPoint, Rule
from shequ.flood.services import devices, ingest

pytestmark = pytest.mark.django_db


def login(user: Any, lang: str = "zh-hans") -> Client:
    client = Client(headers={"accept-language": lang})
    client.force_login(user)
    return client


def point_data(**changes: Any) -> dict[str, Any]:
    data = {
        "code": "culvert-2", "name": "二号涵洞", "name_en": "Culvert 2", "kind": "underpass",
        "region": VILLAGE, "lat": "30.2441", "lon": "120.1302", "responsible": "",
        "blue": "12", "yellow": "18", "orange": "26", "red": "40", "note": "",
    }  # fmt: skip
    return {**data, **changes}


@pytest.mark.parametrize("name", sorted(SEES))
def test_points_and_devices_are_edited_only_in_ones_regions(
    name: str, make_user: Callable[..., Any], culvert: MonitoringPoint,
    far_point: MonitoringPoint,
) -> None:  # fmt: skip
    client = login(make_people(make_user)[name])
    seen = SEES[name]
    for point in (culvert, far_point):
        add_gauge(point, f"G-{point.code}")
    if seen is None:
        assert client.get("/flood/staff/points/new/").status_code == 403
        assert client.get("/flood/staff/devices/new/").status_code == 403
        return
    for point in (culvert, far_point):
        mine = point.code in seen
        assert client.get(f"/flood/staff/points/{point.code}/").status_code == (
            200 if mine else 404
        )
        renamed = client.post(
            f"/flood/staff/points/{point.code}/",
            point_data(code=point.code, name="改名", region=point.region.code),
        )
        assert renamed.status_code == (302 if mine else 404), renamed.content[:500]
        assert (MonitoringPoint.objects.get(pk=point.pk).name == "改名") == mine
        device = client.get(f"/flood/staff/devices/G-{point.code}/")
        assert device.status_code == (200 if mine else 404)
        token = client.post(f"/flood/staff/devices/G-{point.code}/token/")
        assert token.status_code == (200 if mine else 404)
    made = client.post("/flood/staff/points/new/", point_data(region=ELSEWHERE))
    assert made.status_code == (302 if "beishan" in seen else 422)
    assert MonitoringPoint.objects.filter(code="culvert-2").exists() == ("beishan" in seen)


def test_a_point_is_added_with_thresholds_and_people_and_audited(
    make_user: Callable[..., Any], regions: dict[str, Any]
) -> None:
    officer = make_user(Role.DUTY_OFFICER, VILLAGE, username="duty")
    make_user(Role.DUTY_OFFICER, VILLAGE, username="clerk")
    client = login(officer)
    made = client.post("/flood/staff/points/new/", point_data(responsible="duty，clerk"))
    assert made.status_code == 302 and made["Location"] == "/flood/staff/points/culvert-2/"
    point = MonitoringPoint.objects.get(code="culvert-2")
    assert (point.lat, point.lon, point.region.code) == (30.2441, 120.1302, VILLAGE)
    assert sorted(point.responsible.values_list("username", flat=True)) == ["clerk", "duty"]
    assert AuditEvent.objects.filter(action="flood.point.create", actor=officer).exists()

    # A gauge added with its thresholds; its token is on the page once.
    added = client.post("/flood/staff/devices/new/", {
        "code": "W21", "kind": "water_level", "point": "culvert-2", "interval_seconds": "300",
        "blue": "12", "yellow": "18", "orange": "26", "red": "40",
    })  # fmt: skip
    assert added.status_code == 200 and "no-store" in added["Cache-Control"]
    page = added.content.decode()
    assert "只显示这一次" in page
    gauge = Device.objects.get(code="W21")
    token = page.split('data-testid="device-token">', 1)[1].split("<", 1)[0]
    assert devices.device_for_token(token) == gauge
    depth = Rule.objects.get(device=gauge, kind="threshold")
    assert depth.thresholds() == (12, 18, 26, 40)
    assert {r.kind for r in gauge.rules.all()} == {"threshold", "rate_of_rise", "no_data"}
    assert token not in client.get("/flood/staff/devices/W21/").content.decode()
    second = client.post(
        "/flood/staff/devices/new/",
        {"code": "W22", "kind": "water_level", "point": "culvert-2", "interval_seconds": "300"},
    )
    assert second.status_code == 200  # no thresholds given: the point's
    assert Rule.objects.get(device__code="W22", kind="threshold").thresholds() == (12, 18, 26, 40)

    # Its thresholds changed on the point's page change the gauge's rule; audited.
    again = client.post("/flood/staff/points/culvert-2/", point_data(blue="8", red="45"))
    assert again.status_code == 302
    depth.refresh_from_db()
    assert depth.thresholds() == (8, 18, 26, 45)
    assert Rule.objects.get(device__code="W22", kind="threshold").thresholds() == (8, 18, 26, 45)
    assert AuditEvent.objects.filter(action="flood.rule.update", actor=officer).exists()
    assert AuditEvent.objects.filter(action="flood.point.update", actor=officer).exists()


@pytest.mark.parametrize(
    ("lang", "change", "field", "says"),
    [
        ("zh-hans", {"lat": "91"}, "lat", "小于或等于"),
        ("en", {"lat": "91"}, "lat", "less than or equal to 90"),
        ("en", {"lon": "east"}, "lon", "Enter a number"),
        ("en", {"code": "涵洞 2"}, "code", "Enter a valid"),
        ("zh-hans", {"name": ""}, "name", "此项为必填项"),
        ("zh-hans", {"responsible": "nobody"}, "responsible", "没有负责该区域的此用户名"),
        ("en", {"responsible": "nobody"}, "responsible", "Nobody of that user name"),
        ("en", {"code": "culvert"}, "code", "already exists"),
    ],
)
def test_a_point_form_says_what_is_wrong_next_to_the_field(
    lang: str, change: dict[str, str], field: str, says: str,
    make_user: Callable[..., Any], culvert: MonitoringPoint,
) -> None:  # fmt: skip
    client = login(make_user(Role.DUTY_OFFICER, VILLAGE), lang)
    answer = client.post("/flood/staff/points/new/", point_data(**change))
    assert answer.status_code == 422
    page = answer.content.decode()
    error = page.split(f'data-testid="error-{field}">', 1)[1].split("</div>", 1)[0]
    assert says in error, error
    assert MonitoringPoint.objects.count() == 1


def test_a_device_form_refuses_what_cannot_be(
    make_user: Callable[..., Any], culvert: MonitoringPoint
) -> None:
    client = login(make_user(Role.DUTY_OFFICER, VILLAGE), "en")
    gauge, _token = add_gauge(culvert, "W01")
    threshold_rule(gauge)
    ingest.ingest(gauge, rows(3.0))
    low = client.post("/flood/staff/points/culvert/", point_data(code="culvert", yellow="9"))
    assert low.status_code == 422
    assert "At least the blue threshold (12)" in low.content.decode()
    bad = client.post(
        "/flood/staff/devices/new/",
        {"code": "W01", "kind": "rain", "point": "culvert", "interval_seconds": "5"},
    )
    assert bad.status_code == 422
    page = bad.content.decode()
    assert 'data-testid="error-interval_seconds"' in page
    kind = client.post(
        "/flood/staff/devices/W01/",
        {"code": "W01", "kind": "rain", "point": "culvert", "interval_seconds": "300"},
    )
    assert kind.status_code == 422
    assert "keeps its kind" in kind.content.decode()
    moved = client.post(
        "/flood/staff/devices/W01/",
        {"code": "W01", "kind": "water_level", "point": "culvert", "interval_seconds": "300"},
    )
    assert moved.status_code == 302
    assert Device.objects.get(code="W01").interval_seconds == 300
    assert AuditEvent.objects.filter(action="flood.device.update").exists()
