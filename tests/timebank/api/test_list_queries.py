"""List endpoints cost the same number of queries for 2 requests as for 12."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.timebank.models import Member
from shequ.timebank.services import orders
from timebank.factories import NOW, post


def count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_lists_do_not_grow_with_their_rows(
    client_for: Any, daughter: Any, father: Member, volunteer: Any, tb_staff: Any
) -> None:
    staff, him = client_for(tb_staff), client_for(volunteer.user)
    count(staff, "/api/v1/timebank/me"), count(him, "/api/v1/timebank/me")  # tokens first used
    for _ in range(2):
        orders.take(volunteer.user, post(daughter, father), now=NOW)
    few = (count(staff, "/api/v1/timebank/requests"), count(him, "/api/v1/timebank/orders"))
    for _ in range(10):
        orders.take(volunteer.user, post(daughter, father), now=NOW)
    many = (count(staff, "/api/v1/timebank/requests"), count(him, "/api/v1/timebank/orders"))
    assert few == many
