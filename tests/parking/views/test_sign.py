"""The guidance sign at the estate gate: free shared spaces live, "no data" when stale."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shequ.parking.models import Estate, Garage, GateEvent, Product, SharingPlan
from shequ.parking.services import garages as garage_svc
from shequ.parking.services import web_support

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_board_cache(settings: Any) -> None:
    settings.PARKING_SIGN_CACHE_SECONDS = 0
    web_support.forget_boards()


@pytest.fixture
def all_day(garage: Garage) -> Product:
    SharingPlan.objects.create(
        garage=garage,
        code="all",
        name="全天",
        capacity=3,
        hours="24/7",
        valid_from=date(2020, 1, 1),
    )
    return Product.objects.create(garage=garage, plan_code="all", kind="monthly", price_fen=100)


@pytest.fixture
def token(operator: Any, garage: Garage) -> str:
    _device, raw = garage_svc.issue_device(operator, garage, "north")
    return raw


def gate(token: str, event_id: str, plate: str = "浙B77777", direction: str = "in") -> Any:
    body = {
        "event_id": event_id,
        "garage": "G01",
        "gate": "north",
        "direction": direction,
        "plate": plate,
        "time": timezone.now().isoformat(),
    }
    answer = Client().post(
        "/api/v1/parking/gate-events",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def lot(code: str = "jinxiu") -> dict[str, Any]:
    body = Client().get(f"/parking/signs/{code}.json").json()
    assert body["lots"], body
    return dict(body["lots"][0])


def test_a_garage_that_never_reported_shows_no_data(estate: Estate, all_day: Product) -> None:
    assert lot()["state"] == "nodata" and lot()["free"] is None
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/parking/signs/jinxiu").content.decode()
    assert 'data-testid="sign-nodata"' in page and "No data" in page


def test_a_gate_event_puts_the_live_number_on_the_sign(
    estate: Estate, all_day: Product, token: str
) -> None:
    gate(token, "e1")
    assert gate(token, "e1")["replayed"] is True  # a repeat changes nothing
    row = lot()
    assert row["state"] == "open" and row["free"] == 3 and row["total"] == 3
    assert row["distance_m"] > 0 and row["direction"] == "ne"
    board = Client(HTTP_ACCEPT_LANGUAGE="en").get("/parking/signs/jinxiu/board").content.decode()
    assert 'data-testid="sign-free">3<' in board and "north-east" in board


def test_a_feed_silent_for_too_long_is_no_data_again(
    estate: Estate, all_day: Product, token: str, settings: Any
) -> None:
    settings.PARKING_SIGN_STALE_MINUTES = 15
    gate(token, "e1")
    assert lot()["state"] == "open"
    old = timezone.now() - timedelta(minutes=16)
    GateEvent.objects.update(received_at=old)
    assert lot()["state"] == "nodata"
    Garage.objects.update(counted_at=timezone.now())  # an operator count revives it
    assert lot()["state"] == "open"


def test_outside_sharing_hours_the_sign_says_so(estate: Estate, garage: Garage) -> None:
    hour = timezone.localtime().hour
    hours = f"Mo-Su {(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"
    SharingPlan.objects.create(
        garage=garage, code="n", name="晚", capacity=3, hours=hours, valid_from=date(2020, 1, 1)
    )
    Product.objects.create(garage=garage, plan_code="n", kind="monthly", price_fen=100)
    assert lot()["state"] == "closed"
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/parking/signs/E001").content.decode()
    assert 'data-testid="sign-closed"' in page  # found by the estate's code too


def test_an_unknown_sign_is_404(estate: Estate) -> None:
    assert Client().get("/parking/signs/nowhere").status_code == 404


def test_the_board_is_computed_once_a_second(
    estate: Estate, all_day: Product, token: str, settings: Any
) -> None:
    settings.PARKING_SIGN_CACHE_SECONDS = 3600
    gate(token, "e1")
    client = Client()
    client.get("/parking/signs/jinxiu.json")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            client.get("/parking/signs/jinxiu/board")
    parking = [q for q in queries.captured_queries if "parking_" in q["sql"]]
    assert len(parking) <= 20  # one estate look-up per request, the board itself cached
