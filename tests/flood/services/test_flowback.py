"""Readings and alerts flow back to the hub: upserted since the last mark, never twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from flood.factories import rows
from shequ.core.models import Region
from shequ.flood.models import Device, FlowbackMark, Rule
from shequ.flood.services import flowback, ingest
from shequ.hub.models import Dataset
from shequ.hub.services.catalog import load_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalog(regions: dict[str, Region]) -> None:
    load_catalog(region=regions["990102001000"])


def hub_rows(key: str) -> list[dict[str, Any]]:
    from deltalake import DeltaTable

    from shequ.hub.storage import table_path

    return DeltaTable(str(table_path(key))).to_pyarrow_table().to_pylist()


def test_readings_and_alerts_reach_the_hub_once(gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(5, 12, 30))
    later = timezone.now() + flowback.LAG + timedelta(seconds=1)
    assert flowback.publish(later) == {"flood_readings": 3, "flood_alerts": 1}
    readings = hub_rows("flood_readings")
    assert sorted(r["value"] for r in readings) == [5, 12, 30]
    assert {r["region_code"] for r in readings} == {"990102001201"}
    (alert,) = hub_rows("flood_alerts")
    assert (alert["level"], alert["level_name"], alert["state"]) == (3, "orange", "firing")
    assert Dataset.objects.get(key="flood_readings").origin == "app"
    assert flowback.publish(later) == {"flood_readings": 0, "flood_alerts": 0}
    assert FlowbackMark.objects.count() == 2


def test_an_alert_that_changed_is_published_again_in_place(gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(30))
    # Each run publishes up to its "now" less LAG: exactly now here, so that the change
    # below (made after this run) falls in the next run's window, however fast this one is.
    flowback.publish(timezone.now() + flowback.LAG)
    ingest.ingest(gauge, rows(0, start=rows(30)[0].time + timedelta(minutes=1)))
    flowback.publish(timezone.now() + flowback.LAG)
    (alert,) = hub_rows("flood_alerts")
    assert alert["state"] == "resolved"
    assert len(hub_rows("flood_readings")) == 2
