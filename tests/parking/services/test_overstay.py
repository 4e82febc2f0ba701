"""The overstay sweep: resident first, operator later, one violation per window, suspension."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parking.factories import next_weekday
from shequ.parking.models import Garage, Pass, Presence, Violation
from shequ.parking.services import garages, overstay, periods

pytestmark = pytest.mark.django_db


def local(day_offset: int, hhmm: str) -> datetime:
    """Moments in the week after the next Monday (inside a monthly pass sold today)."""
    monday = next_weekday(periods.today() + timedelta(days=1), 0)
    h, m = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime.combine(monday + timedelta(days=day_offset), time(h, m)))


@pytest.fixture
def parked(sell: Callable[..., Pass], garage: Garage, operator: Any) -> Pass:
    """A shared car that entered on Monday evening (window Mo-Fr 18:30-08:00)."""
    pass_obj = sell(["浙A12345"])
    _dev, raw = garages.issue_device(operator, garage, "north")
    body = {
        "event_id": "in-1",
        "garage": "G01",
        "direction": "in",
        "plate": "浙A12345",
        "time": local(0, "19:00").isoformat(),
    }
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/parking/gate-events", json.dumps(body), content_type="application/json"
    )
    assert answer.json()["decision"] == "shared"
    return pass_obj


def test_nothing_happens_inside_the_window_or_the_grace_period(parked: Pass) -> None:
    assert overstay.sweep(local(1, "07:00"))["violations"] == 0
    assert overstay.sweep(local(1, "08:29"))["violations"] == 0  # 30 minutes of grace
    assert not Violation.objects.exists()


def test_the_resident_is_told_first_then_the_operator_once(parked: Pass, operator: Any) -> None:
    assert overstay.sweep(local(1, "08:31"))["violations"] == 1
    violation = Violation.objects.get()
    assert violation.window_end == local(1, "08:00")
    assert violation.plate_masked == "浙A***45"
    assert parked.resident.inbox.filter(level="warning").count() == 1
    assert not operator.inbox.exists()
    # The next sweeps within the escalation delay do nothing new.
    assert overstay.sweep(local(1, "08:40")) == {
        "violations": 0,
        "operators_told": 0,
        "suspended": 0,
    }
    assert overstay.sweep(local(1, "09:05"))["operators_told"] == 1
    assert overstay.sweep(local(1, "09:10"))["operators_told"] == 0
    assert operator.inbox.count() == 1 and Violation.objects.count() == 1


def test_leaving_closes_the_presence_and_marks_the_violation(
    parked: Pass, garage: Garage, operator: Any
) -> None:
    overstay.sweep(local(1, "08:31"))
    _dev, raw = garages.issue_device(operator, garage, "south")
    body = {
        "event_id": "out-1",
        "garage": "G01",
        "direction": "out",
        "plate": "浙A12345",
        "time": local(1, "08:50").isoformat(),
    }
    Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/parking/gate-events", json.dumps(body), content_type="application/json"
    )
    violation = Violation.objects.get()
    assert (violation.left_at, violation.presence_id) == (local(1, "08:50"), None)
    assert not Presence.objects.exists()
    assert overstay.sweep(local(1, "10:00"))["operators_told"] == 0


def test_three_violations_in_thirty_days_suspend_the_pass(parked: Pass) -> None:
    for day in range(3):
        Presence.objects.filter(pass_obj=parked).update(entered_at=local(day, "19:00"))
        overstay.sweep(local(day + 1, "09:00"))
    assert Violation.objects.count() == 3
    parked.refresh_from_db()
    assert parked.status == "suspended"
    assert "3" in parked.suspended_reason
    assert parked.resident.inbox.filter(title__icontains="suspended").exists()


def test_a_car_parked_on_sunday_evening_may_stay_until_monday_morning(parked: Pass) -> None:
    """Sa,Su 00:00-24:00 then Mo-Fr 18:30-08:00: Sunday evening is not an overstay at 00:30."""
    Presence.objects.filter(pass_obj=parked).update(entered_at=local(6, "19:00"))
    assert overstay.sweep(local(7, "00:30"))["violations"] == 0
    assert overstay.sweep(local(7, "08:29"))["violations"] == 0
    assert overstay.sweep(local(7, "08:31"))["violations"] == 1
    assert Violation.objects.get().window_end == local(7, "08:00")
