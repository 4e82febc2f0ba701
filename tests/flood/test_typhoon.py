"""The demo's typhoon: replayed through the services, it fires, escalates, acts and clears,
the same seed gives the same storm, and running it again doubles nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shequ.core.models import AuditEvent
from shequ.demo.build import build_regions, build_users
from shequ.flood import demo
from shequ.flood.models import (
    Alert,
    AlertEvent,
    CameraEvent,
    Reading,
    RegionResponse,
    ResponseChange,
    Task,
)
from shequ.flood.services import response
from shequ.flood.typhoon import plan, replay

pytestmark = pytest.mark.django_db(transaction=True)

VILLAGE = "990102001201"


@pytest.fixture
def village() -> None:
    build_regions()
    build_users("demo-password-for-tests")


def test_the_same_seed_gives_the_same_storm() -> None:
    assert plan.readings("W01", "water_level", 7) == plan.readings("W01", "water_level", 7)
    assert plan.readings("W01", "water_level", 7) != plan.readings("W01", "water_level", 8)
    assert max(plan.readings("W01", "water_level")) > 40  # the culvert goes red


def test_the_quiet_week_leaves_the_storm_its_hours(village: None) -> None:
    now = datetime(2026, 7, 20, 12, 34, tzinfo=UTC)
    placed = replay.reserve(now=now)
    assert placed.anchor == datetime(2026, 7, 20, 6, 30, tzinfo=UTC)
    demo.build()  # built later than the storm's end: nothing after its start either
    assert replay.reserve() == placed  # placed once
    start, _end = replay.window() or (None, None)
    assert not Reading.objects.filter(at__gte=start).exists()
    replay.run()
    assert demo.build()["readings"] > 0  # once the storm is over, the quiet days after it


def _levels(alert: Alert) -> list[tuple[str, int]]:
    kinds = ("fired", "escalated")
    return [(e.kind, e.level) for e in alert.events.filter(kind__in=kinds).order_by("at", "id")]


def test_the_typhoon_fires_escalates_acts_and_clears(village: None) -> None:
    replay.reserve()
    demo.build()
    lines: list[str] = []
    at_peak = replay.run(until=plan.PEAK, say=lines.append)
    assert at_peak.steps == plan.PEAK + 1 and lines

    culvert = Alert.objects.get(point__code="culvert", rule__kind="threshold")
    assert _levels(culvert) == [("fired", 1), ("escalated", 2), ("escalated", 3), ("escalated", 4)]
    assert culvert.state == "acknowledged" and culvert.ack_comment.startswith("已封路")
    assert AlertEvent.objects.filter(alert=culvert, kind="ack_lapsed").exists()
    trapped = Alert.objects.get(point__code="culvert", rule__kind="camera", level=4)
    assert trapped.state == "firing"
    assert CameraEvent.objects.filter(type="vehicle_trapped").exclude(image="").exists()
    assert response.level_at(VILLAGE) == 3  # II, raised by the street
    assert set(Task.objects.values_list("kind", "state")) == {
        ("close_road", "in_progress"),
        ("patrol", "in_progress"),
    }

    # People acted at the storm's time, two minutes after the step's readings: the
    # acknowledgement, its audit, the tasks' start (``core.clock``, no patched time).
    storm = replay.reserved()
    assert storm is not None
    acked = AlertEvent.objects.filter(alert=culvert, kind="acknowledged").order_by("at")
    after = replay.ACT_AFTER
    assert [e.at for e in acked] == [storm.at(14) + after, storm.at(25) + after]
    audited = AuditEvent.objects.filter(action="flood.alert.acknowledge").order_by("at")
    assert [e.at for e in audited] == [e.at for e in acked]
    road = Task.objects.get(kind="close_road")
    assert road.started_at == storm.at(20) + after

    replay.run()  # the rest of the storm: the water falls
    assert not Alert.objects.filter(state__in=["firing", "acknowledged"]).exists()
    assert Alert.objects.filter(point__region__code=VILLAGE).count() >= 8
    assert set(Task.objects.values_list("state", flat=True)) == {"done"}
    assert RegionResponse.objects.get(region__code=plan.STREET).level == 0
    assert ResponseChange.objects.count() == 3

    counts = (Reading.objects.count(), Alert.objects.count(), AlertEvent.objects.count())
    again = replay.run()
    assert (again.stored, again.alerts_changed, again.camera_events, again.acts) == (0, 0, 0, [])
    assert (Reading.objects.count(), Alert.objects.count(), AlertEvent.objects.count()) == counts
    assert (Task.objects.count(), ResponseChange.objects.count()) == (2, 3)
