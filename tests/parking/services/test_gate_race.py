"""Two gates reading the same car at the same moment: it is let in and counted once.

PostgreSQL only, with threads (each its own connection): the garage's row lock is what is
tested. On SQLite the writers' turns do the same (tests/core/test_sqlite_backend.py), and the
gate benchmark runs it across two server processes.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from shequ.parking.models import Garage, GateEvent, Presence
from shequ.parking.services import garages, gates

pytestmark = pytest.mark.django_db(transaction=True)
GATES = 6


@pytest.mark.skipif(
    os.environ.get("SHEQU_DATABASE_URL", "").split(":")[0] not in ("postgresql", "postgres"),
    reason="the race runs on PostgreSQL (SHEQU_DATABASE_URL)",
)
def test_the_same_car_at_two_gates_at_once_is_counted_once(garage: Garage, operator: Any) -> None:
    devices = [garages.issue_device(operator, garage, f"gate-{n}")[0] for n in range(GATES)]
    start = threading.Barrier(GATES)
    at = timezone.now() - timedelta(minutes=1)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def read(n: int) -> None:
        try:
            start.wait()
            event = gates.EventIn(
                f"race-{n}", f"gate-{n}", "in", "浙A12345", at + timedelta(seconds=n)
            )
            answers.append(gates.handle(devices[n], event))
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(n,)) for n in range(GATES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(answers) == GATES
    assert Presence.objects.filter(garage=garage).count() == 1
    assert GateEvent.objects.filter(garage=garage).count() == GATES
    garage.refresh_from_db()
    assert garage.occupied == 1
