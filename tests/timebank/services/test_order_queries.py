"""What one order costs the database, from taking to confirmation, held so it cannot creep
back (bench/timebank.py measured ~60 statements an order before they were cut to ~30).

Transaction control (BEGIN, COMMIT, savepoints) is not counted: the test wraps everything in
a transaction of its own, so it shows savepoints here where production shows BEGIN/COMMIT.
Notices are not muted: the requester's and the volunteer's inbox messages are counted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.core.models import InboxMessage, Region
from shequ.timebank.models import Event, HelpRequest, Member, Order
from shequ.timebank.services import orders
from timebank.factories import NOW, post, seed

CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")
# Statements each step may take (the figures measured when they were cut, PostgreSQL and
# SQLite alike): a step that needs more has grown a round trip.
LIMITS = {"take": 7, "check_in": 4, "check_out": 5, "confirm": 9}


def statements(work: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as seen:
        answer = work()
    return answer, [q["sql"] for q in seen.captured_queries if not q["sql"].startswith(CONTROL)]


def test_an_order_from_take_to_confirm_stays_within_its_statements(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    seed(home, 600)
    req = HelpRequest.objects.select_related("region").get(pk=post(daughter, father).pk)
    user = volunteer.user
    start = req.starts_at
    spent: dict[str, int] = {}
    order, sql = statements(lambda: orders.take(user, req, now=NOW))
    spent["take"] = len(sql)
    order, sql = statements(lambda: orders.check_in(user, order, now=start))
    spent["check_in"] = len(sql)
    order, sql = statements(lambda: orders.check_out(user, order, now=start + timedelta(hours=1)))
    spent["check_out"] = len(sql)
    order, sql = statements(lambda: orders.confirm(daughter, order))
    spent["confirm"] = len(sql)
    over = {step: n for step, n in spent.items() if n > LIMITS[step]}
    assert not over, f"more statements than {LIMITS}: {spent}"
    # And the work was all done: every transition recorded, the hours paid, both told.
    order = Order.objects.get(pk=order.pk)
    assert order.status == Order.Status.CONFIRMED and order.transfer is not None
    assert [e.action for e in Event.objects.filter(order=order)] == [
        "take",
        "check_in",
        "check_out",
        "confirm",
    ]
    assert HelpRequest.objects.get(pk=req.pk).status == HelpRequest.Status.CONFIRMED
    assert InboxMessage.objects.filter(user=daughter).count() == 2  # taken; please confirm
    assert InboxMessage.objects.filter(user=user).count() == 1  # minutes confirmed
