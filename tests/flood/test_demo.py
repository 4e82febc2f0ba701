"""The flood demo: the village's 8 points, 12 gauges and 3 cameras, a quiet week, no alert."""

from __future__ import annotations

import pytest

from shequ.demo.build import build_regions, build_users
from shequ.flood import demo
from shequ.flood.models import Alert, Device, MonitoringPoint, Reading, Rule

pytestmark = pytest.mark.django_db


def test_the_demo_village_is_built_through_the_services_and_stays_quiet() -> None:
    build_regions()
    build_users("demo-password-for-tests")
    first = demo.build()
    assert first == {"points": 8, "gauges": 12, "readings": 12 * 7 * 144}
    culvert = MonitoringPoint.objects.get(code="culvert")
    assert (culvert.kind, culvert.region.code, culvert.name) == (
        "underpass",
        "990102001201",
        "铁路涵洞",
    )
    assert culvert.responsible.filter(username="duty").exists()
    assert Device.objects.filter(kind="camera").count() == 3
    assert Device.objects.exclude(kind="camera").count() == 12
    depth = Rule.objects.get(device__code="W01", kind="threshold")
    assert depth.thresholds() == (10, 15, 25, 40)
    assert culvert.region.boundary is not None
    assert not Alert.objects.exists()
    again = demo.build()  # a second run keeps the points and stores no reading twice
    assert MonitoringPoint.objects.count() == 8
    assert Reading.objects.count() == first["readings"] + again["readings"]
    assert again["readings"] <= 12 * 2
