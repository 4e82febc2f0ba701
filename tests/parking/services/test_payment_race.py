"""Notifications racing each other (threads, each its own connection): paid and counted once.

PostgreSQL only (``SHEQU_DATABASE_URL``), where the payment attempt's row lock is what is
tested. On SQLite every write transaction begins IMMEDIATE and so runs alone, but the test
database lives in a shared in-memory cache whose table locks fail at once instead of waiting,
so threads cannot be raced there (as in test_gate_race.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from shequ.core.models import AuditEvent
from shequ.parking.models import DemoTrade, Order, Pass, Payment, Refund
from shequ.parking.providers import demo_cashier
from shequ.parking.services import callbacks, passes, payments

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("SHEQU_DATABASE_URL", "").split(":")[0] not in ("postgresql", "postgres"),
        reason="the race runs on PostgreSQL (SHEQU_DATABASE_URL)",
    ),
]
THREADS = 6


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "demo"
    settings.PAYMENT_DEMO_SECRET = "race-secret"


def race(work: list[Callable[[], Any]]) -> list[Any]:
    start = threading.Barrier(len(work))
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            start.wait()
            answers.append(job())
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return answers


@pytest.fixture
def paid_trade(make_resident: Any, make_application: Any, monthly: Any) -> tuple[Order, Any]:
    resident = make_resident()
    order = passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)
    payments.start_online(resident, order)
    return order, demo_cashier.pay(DemoTrade.objects.get())


def test_the_same_notification_at_once_pays_once_and_answers_alike(
    paid_trade: tuple[Order, Any],
) -> None:
    order, trade = paid_trade
    body, headers = demo_cashier.notification(trade)
    answers = race([lambda: callbacks.handle_notification("demo", body, headers)] * THREADS)
    assert len(answers) == THREADS and all(a == answers[0] for a in answers)
    assert answers[0]["order"] == order.number and answers[0]["pass_status"] == "active"
    assert Payment.objects.count() == 1 and not Refund.objects.exists()
    assert AuditEvent.objects.filter(action="parking.payment").count() == 1
    assert Pass.objects.filter(status="active").count() == 1


def test_a_notification_and_an_office_payment_at_once_activate_one_pass(
    paid_trade: tuple[Order, Any], staff_jinxiu: Any
) -> None:
    order, trade = paid_trade
    body, headers = demo_cashier.notification(trade)
    race(
        [
            lambda: callbacks.handle_notification("demo", body, headers),
            lambda: payments.confirm_offline(
                staff_jinxiu, order, reference="CASH-1", amount_fen=order.amount_fen
            ),
        ]
    )
    assert Payment.objects.count() == 2
    assert Pass.objects.filter(status="active").count() == 1
    # Whichever came second is owed back in full, once.
    assert [r.amount_fen for r in Refund.objects.all()] == [30000]
