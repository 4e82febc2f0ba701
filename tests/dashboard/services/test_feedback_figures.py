"""The feedback indicators: satisfaction and median time to first reply, per region."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dashboard.factories import HOME, NEXT_DOOR, STREET
from shequ.core.models import Region, Role
from shequ.dashboard.indicators import REGISTRY, NoData
from shequ.dashboard.models import Feedback, Value
from shequ.dashboard.services import compute, feedback
from shequ.dashboard.services.feedback_figures import reply_hours_median, satisfaction

pytestmark = pytest.mark.django_db


def filed(
    user: Any, rating: int, hours_ago: float, reply_after: float | None, service: str = "parking"
) -> None:
    now = timezone.now()
    made = feedback.submit(
        user, service=service, rating=rating, now=now - timedelta(hours=hours_ago)
    )
    if reply_after is not None:
        made.first_replied_at = made.created_at + timedelta(hours=reply_after)
        made.reply = "ok"
        made.save()


def test_satisfaction_and_reply_time_per_community_and_street(make_user: Any) -> None:
    home, next_door = make_user(Role.RESIDENT, HOME), make_user(Role.RESIDENT, NEXT_DOOR)
    filed(home, 5, 10, 1)
    filed(home, 3, 20, 3, service="timebank")
    filed(next_door, 1, 30, 8)
    filed(next_door, 4, 24 * 40, 1)  # older than 30 days: not counted
    now = timezone.now()
    regions = {code: Region.objects.get(code=code) for code in (HOME, NEXT_DOOR, STREET)}
    assert satisfaction(regions[HOME], now) == 4.0
    assert satisfaction(regions[HOME], now, "parking") == 5.0
    assert satisfaction(regions[STREET], now) == 3.0
    assert reply_hours_median(regions[HOME], now) == 2.0
    assert reply_hours_median(regions[STREET], now) == 3.0
    with pytest.raises(NoData):
        satisfaction(regions[NEXT_DOOR], now, "flood")


def test_a_reply_after_the_moment_asked_for_does_not_count_yet(make_user: Any) -> None:
    filed(make_user(Role.RESIDENT, HOME), 5, 10, 9)  # answered 1 hour ago
    region = Region.objects.get(code=HOME)
    with pytest.raises(NoData):
        reply_hours_median(region, timezone.now() - timedelta(hours=2))
    assert reply_hours_median(region, timezone.now()) == 9.0


def test_the_indicators_are_registered_and_stored_with_no_data_reasons(make_user: Any) -> None:
    keys = {k for k in REGISTRY if k.startswith("feedback.")}
    assert {"feedback.satisfaction", "feedback.reply_hours", "feedback.satisfaction_flood"} <= keys
    filed(make_user(Role.RESIDENT, HOME), 4, 1, 0.5)
    now = timezone.now()
    for key in ("feedback.satisfaction", "feedback.reply_hours_flood"):
        compute.store(REGISTRY[key], compute.evaluate(REGISTRY[key], now), now)
    home = Value.objects.get(indicator="feedback.satisfaction", region__code=HOME)
    assert home.value == 4.0
    flood = Value.objects.get(indicator="feedback.reply_hours_flood", region__code=HOME)
    assert flood.value is None and flood.reason == "not_measured"
    assert Feedback.objects.count() == 1
