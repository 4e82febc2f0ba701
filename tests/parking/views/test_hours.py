"""Sharing hours in words on the pages: beside the raw form, and on the offer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from parking.factories import (
    logged_in,
)
from shequ.parking.models import (
    Estate,
    Garage,
    Product,
)

pytestmark = pytest.mark.django_db


def test_operators_see_the_hours_in_words_beside_the_raw_form(
    operator: Any, garage: Garage, monthly: Product
) -> None:
    page = logged_in(operator).get(f"/parking/operator/{garage.pk}/plans/").content.decode()
    assert "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00" in page
    assert "Sat, Sun and public holidays all day" in page


def test_the_offer_shows_the_hours_in_chinese_by_default(estate: Estate, monthly: Product) -> None:
    page = Client().get(f"/parking/e/{estate.slug}/").content.decode()
    assert "周一至周五 18:30–次日 08:00；周六、周日及法定节假日 全天" in page
