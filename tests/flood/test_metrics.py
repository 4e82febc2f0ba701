"""Flood watch metrics: readings stored, repeats, alerts open by level, the newest reading's age."""

from __future__ import annotations

from typing import Any

from core.observability.scraping import TOKEN, scrape, value
from flood.factories import open_alert, rows
from shequ.flood.models import Device
from shequ.flood.services import ingest


def test_stored_and_repeated_readings_are_counted(db: None, settings: Any, gauge: Device) -> None:
    settings.METRICS_TOKEN = TOKEN
    before = scrape()
    ingest.ingest(gauge, rows(1.0, 2.0, 3.0))
    ingest.ingest(gauge, rows(1.0, 2.0, 3.0, 4.0))  # the first three again
    after = scrape()
    stored = "shequ_flood_readings_stored_total"
    repeated = "shequ_flood_readings_repeated_total"
    assert value(after, stored) - value(before, stored) == 4
    assert value(after, repeated) - value(before, repeated) == 3
    age = value(after, "shequ_flood_newest_reading_age_seconds")
    assert 0 <= age < 60


def test_open_alerts_are_counted_by_level_and_state(db: None, settings: Any, gauge: Device) -> None:
    settings.METRICS_TOKEN = TOKEN
    alert = open_alert(gauge, 30.0)
    found = scrape()
    level = {0: "none", 1: "blue", 2: "yellow", 3: "orange", 4: "red"}[alert.level]
    assert value(found, "shequ_flood_alerts_open", level=level, state="firing") == 1
    by_level = found["shequ_flood_alerts_open"].items()
    others = sum(v for k, v in by_level if dict(k)["level"] != level)
    assert others == 0
