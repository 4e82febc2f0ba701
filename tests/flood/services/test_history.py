"""The history a batch's rules are judged on: a gauge with one new reading and only rates of
rise reads the oldest reading of each window, and judges as the whole window would."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from flood.factories import T0, add_gauge, admin
from shequ.flood import evaluation as ev
from shequ.flood.models import MonitoringPoint, Reading, RuleKind
from shequ.flood.services import devices, judge

pytestmark = pytest.mark.django_db


def test_the_oldest_reading_of_each_window_judges_as_the_whole_window(
    culvert: MonitoringPoint,
) -> None:
    rnd = random.Random(17)
    gauges = [add_gauge(culvert, code=f"g{n}", interval_seconds=60)[0] for n in range(6)]
    for gauge in gauges:
        for minutes in (10, 30):
            devices.add_rule(
                admin(), gauge, RuleKind.RATE_OF_RISE, red=20.0, window_minutes=minutes
            )
        seconds = sorted(rnd.sample(range(0, 3600), 40))  # late, uneven, some gaps
        Reading.objects.bulk_create(
            Reading(device=gauge, at=T0 + timedelta(seconds=s), value=rnd.uniform(0, 50),
                    received_at=T0)
            for s in seconds
        )  # fmt: skip
    new: dict[int, judge.Series] = {
        g.pk: [(T0 + timedelta(seconds=rnd.randrange(600, 3700)), 30.0)] for g in gauges
    }
    new[gauges[0].pk] = [(T0 - timedelta(hours=1), 30.0)]  # nothing stored in its windows
    rules, _alerts = judge._lock_many(sorted(new))
    assert len(rules) == 12
    got = judge._history(rules, new)
    for rule in rules:
        (at, value), window = new[rule.device_id][0], timedelta(minutes=rule.window_minutes)
        whole = list(
            Reading.objects.filter(device_id=rule.device_id, at__gte=at - window, at__lt=at)
            .order_by("at")
            .values_list("at", "value")
        )
        expected = ev.rise_over(whole, at, value, window)
        assert ev.rise_over(got.get(rule.device_id, []), at, value, window) == expected
        assert (expected is None) == (rule.device_id == gauges[0].pk)
