"""One distance formatter: pages never mix "503 m" and "503 米" (issue 13)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from parking.factories import logged_in
from shequ.parking.models import Product
from shequ.parking.services.units import distance

pytestmark = pytest.mark.django_db


def test_a_distance_in_each_language() -> None:
    with translation.override("zh-hans"):
        assert distance(503.4) == "503 米" and distance(1234) == "1,234 米"
    with translation.override("en"):
        assert distance(503.4) == "503 m" and distance(None) == "—"


def untranslated_metres(html: str) -> list[str]:
    return re.findall(r"\d m\b", html)


def test_chinese_pages_say_metres_in_chinese_everywhere(
    monthly: Product, make_resident: Any
) -> None:
    landing = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/parking/e/jinxiu/").content.decode()
    assert re.search(r"步行 \d+ 米", landing) and not untranslated_metres(landing)
    client = logged_in(make_resident())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    apply = client.get("/parking/e/jinxiu/apply/").content.decode()
    assert re.search(r"· \d+ 米", apply) and not untranslated_metres(apply)
