"""The indicator values flow back to the hub (R1.4) as ``dashboard_indicator_values``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dashboard.factories import HOME, STREET
from shequ.dashboard.services import refresh
from shequ.hub.query import run_query_system
from shequ.hub.services.catalog import load_catalog

pytestmark = pytest.mark.django_db


def test_each_refresh_is_upserted_into_the_hub_with_its_reasons(regions: Any) -> None:
    load_catalog()
    now = timezone.now()
    refresh.run(["timebank.volunteers", "parking.idle_night_spaces"], force=True, now=now)
    later = now + timedelta(hours=1)
    refresh.run(["timebank.volunteers"], force=True, now=later)
    rows = run_query_system(
        "SELECT indicator, scope_code, computed_at, value, reason FROM dashboard_indicator_values "
        "ORDER BY indicator, scope_code, computed_at"
    ).table.to_pylist()
    volunteers = [r for r in rows if r["indicator"] == "timebank.volunteers"]
    assert [r["computed_at"] for r in volunteers if r["scope_code"] == HOME] == [now, later]
    assert all(r["value"] == 0 and not r["reason"] for r in volunteers)
    idle = [r for r in rows if r["indicator"] == "parking.idle_night_spaces"]
    assert {r["scope_code"] for r in idle} >= {STREET, HOME}
    assert all(r["value"] is None and r["reason"] == "source_missing" for r in idle)
