"""The resident's order page follows its payment, and shows no one else's order."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from parking.factories import (
    logged_in,
)
from shequ.parking.models import (
    Order,
    Product,
)
from shequ.parking.services import passes, payments

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(make_resident: Any, make_application: Any, monthly: Product) -> Order:
    resident = make_resident()
    return passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)


def test_a_pending_order_polls_until_paid_then_shows_the_pass(
    pending: Order, staff_jinxiu: Any
) -> None:
    client = logged_in(pending.resident)
    page = client.get(f"/parking/me/orders/{pending.number}/").content.decode()
    live_url = f"/parking/me/orders/{pending.number}/live/"
    assert f'hx-get="{live_url}"' in page and 'hx-trigger="every 3s"' in page
    assert "Mon–Fri 18:30–08:00 next day" in page  # the hours in words
    still = client.get(live_url)
    assert still.status_code == 200 and still["Cache-Control"] == "no-store"
    body = still.content.decode()
    assert "<html" not in body and 'data-testid="pay-instructions"' in body
    assert 'hx-get="' in body  # keeps polling
    payments.confirm_offline(
        staff_jinxiu, pending, reference="CASH-1", amount_fen=pending.amount_fen
    )
    paid = client.get(live_url).content.decode()
    assert 'data-testid="order-paid"' in paid and 'data-testid="see-pass"' in paid
    assert "hx-get" not in paid and "hx-trigger" not in paid  # final: polling stops


def test_a_cancelled_order_stops_polling(pending: Order) -> None:
    Order.objects.filter(pk=pending.pk).update(status=Order.Status.CANCELLED)
    body = logged_in(pending.resident).get(f"/parking/me/orders/{pending.number}/live/")
    assert "hx-trigger" not in body.content.decode()


def test_another_residents_order_state_is_not_found(pending: Order, make_resident: Any) -> None:
    other = logged_in(make_resident())
    assert other.get(f"/parking/me/orders/{pending.number}/live/").status_code == 404
    stranger = Client().get(f"/parking/me/orders/{pending.number}/live/")
    assert stranger.status_code == 302 and "/parking/login/" in stranger["Location"]
