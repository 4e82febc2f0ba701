"""The big screen's data and the downloads: figures formatted for the language, CSV and XLSX."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook

from dashboard.factories import HOME, STREET
from shequ.core.models import Region, Role
from shequ.dashboard.indicators import get
from shequ.dashboard.models import Value
from shequ.dashboard.services import refresh, values

pytestmark = pytest.mark.django_db


def test_numbers_are_grouped_by_thousands_in_chinese_and_english() -> None:
    with translation.override("zh-hans"):
        assert values.number(1234567, 0) == "1,234,567"
        assert values.number(4.742, 2) == "4.74"
    with translation.override("en"):
        assert values.number(1234567.5, 1) == "1,234,567.5"


def test_the_screen_answers_key_figures_with_their_display_and_reason(make_user: Any) -> None:
    refresh.run(force=True)
    Value.objects.filter(indicator="hub.records", region__code=STREET).update(value=125130)
    client = Client()
    client.force_login(make_user(Role.STREET_STAFF, STREET))
    with translation.override("zh-hans"):
        data = client.get("/api/v1/dashboard/screen", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    figures = {f["key"]: f for f in data["figures"]}
    assert figures["hub.records"]["display"] == "125,130"
    idle = figures["parking.idle_night_spaces"]
    assert idle["value"] is None and idle["display"] != "0" and idle["why"]
    assert [c["code"] for c in data["communities"]][:2] == [HOME, "990102001002"]


def test_a_chart_downloads_as_csv_and_xlsx(make_user: Any, regions: Any) -> None:
    region = Region.objects.get(code=HOME)
    for n, hours in ((5.0, 2), (7.0, 1)):
        Value.objects.create(indicator="timebank.volunteers", region=region, value=n,
                             at=timezone.now() - timezone.timedelta(hours=hours))  # fmt: skip
    client = Client()
    client.force_login(make_user(Role.COMMUNITY_STAFF, HOME))
    csv_text = client.get("/dashboard/data/timebank.volunteers.csv").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert len(lines) == 3 and lines[1].split(",")[5] == "5.0" and lines[2].split(",")[5] == "7.0"
    book = load_workbook(io.BytesIO(client.get("/dashboard/data/timebank.volunteers.xlsx").content))
    sheet = book.active
    assert [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)] == [5.0, 7.0]
    assert client.get("/dashboard/data/timebank.volunteers.pdf").status_code == 404


def test_a_value_never_computed_says_so() -> None:
    indicator = get("parking.active_passes")
    assert indicator is not None
    figure = values.Figure(indicator, Region(code=HOME, name="x"), None, "", "", None)
    assert figure.display == "no data" and "not run" in figure.why
