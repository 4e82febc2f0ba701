"""The staff queues and the operator's lists take as many queries for three rows as for one.

Each list is asked once to warm the caches (holidays, the session), counted, then asked again
after two more rows of every kind: a list that queries per row takes more the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from parking_support import client_for
from views_support import logged_in

from shequ.parking.models import Garage, Presence, Product, SharingPlan, Violation
from shequ.parking.services import passes, payments, waiting

STAFF_PAGES = [
    "parking:staff",
    "parking:staff-applications",
    "parking:staff-orders",
    "parking:staff-passes",
    "parking:staff-waiting",
    "parking:staff-refunds",
    "parking:staff-violations",
]
STAFF_API = [
    "/api/v1/parking/applications?status=in_review",
    "/api/v1/parking/applications?status=verified",
    "/api/v1/parking/passes",
    "/api/v1/parking/waiting-list?garage={garage}&plan_code=night",
    "/api/v1/parking/refunds",
]
OPERATOR_PAGES = ["/parking/operator/", "/parking/operator/{garage}/"]
OPERATOR_API = [
    "/api/v1/parking/garages",
    "/api/v1/parking/garages/{garage}/inside",
    "/api/v1/parking/garages/{garage}/violations",
    "/api/v1/parking/garages/{garage}/passes",
    "/api/v1/parking/garages/{garage}/events",
]


@pytest.fixture
def add_rows(
    make_resident: Any,
    make_application: Any,
    monthly: Product,
    plan: SharingPlan,
    staff_jinxiu: Any,
    operator: Any,
    regions: dict[str, Any],
) -> Callable[[int], None]:
    """add_rows(n): n more of every row the lists show, and n more garages of the operator."""
    SharingPlan.objects.filter(pk=plan.pk).update(capacity=100)
    garage = plan.garage
    counter = iter(range(1000))

    def add(n: int) -> None:
        for _ in range(n):
            i = next(counter)
            buyer = make_resident()
            paid = passes.buy(buyer, make_application(buyer, [f"浙A1{i:04d}"]), monthly)
            payments.confirm_offline(
                staff_jinxiu, paid, reference=f"R{i}", amount_fen=paid.amount_fen
            )
            payments.request_refund(paid, 100, "test")
            pass_obj = paid.pass_obj
            now = timezone.now()
            presence = Presence.objects.create(
                garage=garage,
                plate_hash=f"h{i}",
                plate_masked="浙A1***0",
                pass_obj=pass_obj,
                entered_at=now - timedelta(hours=3),
            )
            Violation.objects.create(
                pass_obj=pass_obj,
                garage=garage,
                presence=presence,
                plate_masked="浙A1***0",
                window_end=now - timedelta(hours=1),
                detected_at=now,
            )
            pending = make_resident()
            passes.buy(pending, make_application(pending, [f"浙B1{i:04d}"]), monthly)
            waiter = make_resident()
            waiting.join(waiter, make_application(waiter, [f"浙C1{i:04d}"]), garage, "night")
            reviewed = make_resident()
            make_application(reviewed, [f"浙D1{i:04d}"], status="in_review")
            other = Garage.objects.create(
                region=garage.region,
                code=f"G9{i}",
                name=f"车库{i}",
                lat=30.27,
                lon=120.15,
                total_spaces=50,
            )
            other.operators.add(operator)
            SharingPlan.objects.create(
                garage=other,
                code="night",
                name="夜间",
                capacity=3,
                hours=plan.hours,
                valid_from=plan.valid_from,
            )

    return add


def _counts(client: Client, urls: list[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        counts[url] = len(queries)
    return counts


def _same_for_more_rows(client: Client, urls: list[str], add_rows: Callable[[int], None]) -> None:
    add_rows(1)
    _counts(client, urls)  # warm the caches
    few = _counts(client, urls)
    add_rows(2)
    assert _counts(client, urls) == few


def test_the_staff_pages_do_not_query_per_row(
    staff_jinxiu: Any, add_rows: Callable[[int], None]
) -> None:
    urls = [reverse(name) for name in STAFF_PAGES]
    _same_for_more_rows(logged_in(staff_jinxiu), urls, add_rows)


def test_the_staff_api_lists_do_not_query_per_row(
    staff_jinxiu: Any, garage: Garage, add_rows: Callable[[int], None]
) -> None:
    urls = [url.format(garage=garage.pk) for url in STAFF_API]
    _same_for_more_rows(client_for(staff_jinxiu), urls, add_rows)


def test_the_operator_pages_do_not_query_per_row_or_garage(
    operator: Any, garage: Garage, add_rows: Callable[[int], None]
) -> None:
    urls = [url.format(garage=garage.pk) for url in OPERATOR_PAGES]
    _same_for_more_rows(logged_in(operator), urls, add_rows)


def test_the_operator_api_lists_do_not_query_per_row_or_garage(
    operator: Any, garage: Garage, add_rows: Callable[[int], None]
) -> None:
    urls = [url.format(garage=garage.pk) for url in OPERATOR_API]
    _same_for_more_rows(client_for(operator), urls, add_rows)
