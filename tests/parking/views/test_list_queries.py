"""The staff queues and the operator's lists, as pages, take as many queries for three rows as
for one (the ``same_queries_for_more_rows`` fixture adds two more rows of every kind)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from parking.factories import logged_in
from shequ.parking.models import Garage

pytestmark = pytest.mark.django_db

Check = Callable[[Client, list[str]], None]

STAFF_LISTS = [
    "parking:staff",
    "parking:staff-applications",
    "parking:staff-orders",
    "parking:staff-passes",
    "parking:staff-waiting",
    "parking:staff-refunds",
    "parking:staff-violations",
]
OPERATOR_LISTS = ["/parking/operator/", "/parking/operator/{garage}/"]


def test_the_staff_pages_do_not_query_per_row(
    staff_jinxiu: Any, same_queries_for_more_rows: Check
) -> None:
    same_queries_for_more_rows(logged_in(staff_jinxiu), [reverse(name) for name in STAFF_LISTS])


def test_the_operator_pages_do_not_query_per_row_or_garage(
    operator: Any, garage: Garage, same_queries_for_more_rows: Check
) -> None:
    urls = [url.format(garage=garage.pk) for url in OPERATOR_LISTS]
    same_queries_for_more_rows(logged_in(operator), urls)
