"""The pages render what a duty officer needs, in Chinese by default and in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from flood.factories import VILLAGE, rows
from shequ.core.models import Role
from shequ.flood.models import Alert, Device, Rule
from shequ.flood.services import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(make_user: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_user(Role.DUTY_OFFICER, VILLAGE))
    return client


def test_the_map_colours_a_point_by_its_open_alert(
    officer_client: Client, gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30))
    data = officer_client.get("/flood/map.json").json()
    (feature,) = [f for f in data["features"] if f["properties"].get("code") == "culvert"]
    assert feature["properties"]["level"] == "orange"
    assert feature["geometry"]["coordinates"] == [120.1203, 30.2812]
    page = officer_client.get("/flood/").content.decode()
    assert "vendor/leaflet/leaflet.js" in page and "flood-level-orange" in page


def test_the_point_page_has_its_chart_and_open_alert(
    officer_client: Client, gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(5, 12, 16))
    page = officer_client.get("/flood/points/culvert/").content.decode()
    assert "vendor/echarts.min.js" in page
    assert 'data-testid="chart-W01"' in page
    assert f'data-testid="alert-{Alert.objects.get().pk}"' in page
    week = officer_client.get("/flood/points/culvert/?range=7d")
    assert week.status_code == 200


def test_acknowledging_from_the_inbox_keeps_the_comment(
    officer_client: Client, gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30))
    alert = Alert.objects.get()
    answer = officer_client.post(
        f"/flood/alerts/{alert.pk}/acknowledge/", {"comment": "已封路，巡查员到场"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/flood/alerts/"
    alert.refresh_from_db()
    assert (alert.state, alert.ack_comment) == ("acknowledged", "已封路，巡查员到场")
    inbox = officer_client.get("/flood/alerts/").content.decode()
    assert "已封路，巡查员到场" in inbox


def test_a_get_cannot_acknowledge(officer_client: Client, gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(30))
    alert = Alert.objects.get()
    assert officer_client.get(f"/flood/alerts/{alert.pk}/acknowledge/").status_code == 405


def test_the_pages_speak_chinese_by_default(officer_client: Client, gauge: Device) -> None:
    with translation.override("zh-hans"):
        page = officer_client.get("/flood/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "防汛" in page


def test_the_resolve_button_declares_an_alert_over(
    officer_client: Client, gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30))
    alert = Alert.objects.get()
    answer = officer_client.post(
        f"/flood/alerts/{alert.pk}/acknowledge/",
        {"comment": "水已退", "resolve": "1", "back": "point"},
    )
    assert answer["Location"] == "/flood/points/culvert/"
    alert.refresh_from_db()
    assert alert.state == "resolved"
    again = officer_client.post(f"/flood/alerts/{alert.pk}/acknowledge/", {"comment": "x"})
    assert again.status_code == 302  # the refusal is a message on the inbox, nothing changes
    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_an_alert_card_shows_the_value_that_set_its_level_and_the_latest_reading(
    officer_client: Client, gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30, 33, 36.5))  # orange at 30 cm; the water rises on, below red
    assert Alert.objects.get().value == 30
    page = officer_client.get("/flood/alerts/").content.decode()
    assert '<span data-testid="alert-value">触发当前级别的读数: 30.0 cm</span>' in page
    assert "最新读数: <strong>36.5 cm</strong>" in page
    point = officer_client.get("/flood/points/culvert/").content.decode()
    assert 'data-testid="alert-latest"' in point and "36.5 cm" in point
    officer_client.cookies["django_language"] = "en"
    english = officer_client.get("/flood/alerts/").content.decode()
    assert "Value that set this level: 30.0 cm" in english
    assert "Latest reading: <strong>36.5 cm</strong>" in english
