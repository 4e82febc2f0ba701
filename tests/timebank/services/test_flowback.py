"""The monthly indicators flow back to the hub as an anonymised dataset, once per change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from shequ.core.models import Region
from shequ.hub.models import Dataset, Origin
from shequ.hub.services.catalog import load_catalog
from shequ.timebank.models import Member
from shequ.timebank.services import flowback
from timebank.factories import NOW, SHANGHAI, STREET, post, serve


def test_months_are_calendar_months_in_local_time() -> None:
    spans = flowback.months(datetime(2027, 1, 15, 12, tzinfo=SHANGHAI), 3)
    assert [f"{s:%Y-%m}" for s, _ in spans] == ["2026-11", "2026-12", "2027-01"]
    assert spans[1][1] == spans[2][0] == datetime(2027, 1, 1, tzinfo=SHANGHAI)


def test_nothing_is_published_without_a_hub_catalog(father: Member) -> None:
    assert flowback.publish(NOW) is None


def test_the_indicators_are_published_without_anything_personal(
    regions: dict[str, Region], daughter: Any, father: Member, volunteer: Any
) -> None:
    load_catalog(region=regions[STREET])
    serve(volunteer.user, post(daughter, father))
    rows = flowback.rows(NOW + timedelta(days=1))
    october = next(r for r in rows if r["month"] == "2026-10")
    assert october["services_completed"] == 1 and october["registered_volunteers"] == 1
    assert set(october) == {f["name"] for f in flowback.SCHEMA["fields"]}
    version = flowback.publish(NOW + timedelta(days=1))
    dataset = Dataset.objects.get(key=flowback.KEY)
    assert version is not None and dataset.origin == Origin.APP
    assert flowback.publish(NOW + timedelta(days=1)) == version  # same rows, no new version
    assert dataset.region == regions[STREET]  # the street that owns the volunteers data


@pytest.mark.parametrize("field", ["region_code", "month"])
def test_the_dataset_is_keyed_by_community_and_month(field: str) -> None:
    assert field in flowback.SCHEMA["primaryKey"]
