"""The staff queues and the operator's lists, in the API, take as many queries for three rows as
for one (the ``same_queries_for_more_rows`` fixture adds two more rows of every kind)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from parking.factories import client_for
from shequ.parking.models import Garage

pytestmark = pytest.mark.django_db

Check = Callable[[Client, list[str]], None]

STAFF_LISTS = [
    "/api/v1/parking/applications?status=in_review",
    "/api/v1/parking/applications?status=verified",
    "/api/v1/parking/passes",
    "/api/v1/parking/waiting-list?garage={garage}&plan_code=night",
    "/api/v1/parking/refunds",
]
OPERATOR_LISTS = [
    "/api/v1/parking/garages",
    "/api/v1/parking/garages/{garage}/inside",
    "/api/v1/parking/garages/{garage}/violations",
    "/api/v1/parking/garages/{garage}/passes",
    "/api/v1/parking/garages/{garage}/events",
]


def test_the_staff_lists_do_not_query_per_row(
    staff_jinxiu: Any, garage: Garage, same_queries_for_more_rows: Check
) -> None:
    urls = [url.format(garage=garage.pk) for url in STAFF_LISTS]
    same_queries_for_more_rows(client_for(staff_jinxiu), urls)


def test_the_operator_lists_do_not_query_per_row_or_garage(
    operator: Any, garage: Garage, same_queries_for_more_rows: Check
) -> None:
    urls = [url.format(garage=garage.pk) for url in OPERATOR_LISTS]
    same_queries_for_more_rows(client_for(operator), urls)
