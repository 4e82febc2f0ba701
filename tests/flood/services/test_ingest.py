"""Readings in: stored once per (device, time), the latest value only moves forward, all or
nothing per batch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flood.factories import T0, rows
from shequ.core.errors import Invalid
from shequ.flood.models import Device, LatestReading, Reading, Rule
from shequ.flood.services import ingest
from shequ.flood.services.ingest import parse_rows

pytestmark = pytest.mark.django_db


def test_a_batch_is_stored_and_the_latest_value_kept_apart(gauge: Device) -> None:
    done = ingest.ingest(gauge, rows(1, 2, 3))
    assert (done.received, done.stored, done.duplicates) == (3, 3, 0)
    latest = LatestReading.objects.get(device=gauge)
    assert (latest.at, latest.value) == (T0 + timedelta(minutes=2), 3)


def test_a_retried_batch_stores_nothing_twice(gauge: Device) -> None:
    ingest.ingest(gauge, rows(1, 2, 3))
    again = ingest.ingest(gauge, rows(1, 2, 3, 4))
    assert (again.stored, again.duplicates) == (1, 3)
    assert Reading.objects.filter(device=gauge).count() == 4


def test_the_same_time_twice_in_a_batch_is_kept_once(gauge: Device) -> None:
    done = ingest.ingest(gauge, rows(1, 2) + rows(9))
    assert (done.stored, done.duplicates) == (2, 1)
    assert Reading.objects.get(device=gauge, at=T0).value == 1


def test_a_late_reading_is_stored_but_the_latest_value_does_not_go_back(gauge: Device) -> None:
    ingest.ingest(gauge, rows(5, start=T0 + timedelta(hours=1)))
    ingest.ingest(gauge, rows(99, start=T0))
    assert Reading.objects.filter(device=gauge).count() == 2
    assert LatestReading.objects.get(device=gauge).value == 5


def test_a_naive_time_is_refused_naming_its_row() -> None:
    with pytest.raises(Invalid) as caught:
        parse_rows(
            [
                {"time": "2026-07-01T08:00:00+08:00", "value": 1},
                {"time": "2026-07-01T08:01:00", "value": 2},
            ]
        )
    assert list(caught.value.fields) == ["readings.1.time"]


def test_a_single_reading_object_is_a_batch_of_one() -> None:
    assert len(parse_rows({"time": "2026-07-01T08:00:00Z", "value": 3})) == 1


def test_values_that_are_not_finite_numbers_are_refused() -> None:
    with pytest.raises(Invalid) as caught:
        parse_rows(
            [{"time": "2026-07-01T08:00:00Z", "value": "NaN"}, {"time": "2026-07-01T08:00:00Z"}]
        )
    assert sorted(caught.value.fields) == ["readings.0.value", "readings.1.value"]


def test_a_camera_sends_no_readings(culvert: object) -> None:
    from flood.factories import add_gauge

    camera, _token = add_gauge(culvert, "C01", "camera")  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        ingest.ingest(camera, rows(1))


def test_a_failure_while_evaluating_leaves_nothing_half_written(
    gauge: Device, depth: Rule, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shequ.flood.services import judge

    def explode(*args: object) -> int:
        raise RuntimeError("rule evaluation failed")

    monkeypatch.setattr(judge, "evaluate_many", explode)
    with pytest.raises(RuntimeError):
        ingest.ingest(gauge, rows(1, 2, 50))
    assert not Reading.objects.filter(device=gauge).exists()
    assert not LatestReading.objects.filter(device=gauge).exists()
