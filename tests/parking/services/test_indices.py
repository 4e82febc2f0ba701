"""The indices job: it publishes three hub datasets (again only when they change), and the demo's
figures."""

from __future__ import annotations

from parking.factories import (
    PARKING_TABLES,
    STREET,
    WEEK,
    Load,
    small_hub,
)
from shequ.hub.models import Dataset, Origin
from shequ.parking import indices
from shequ.parking.indices import published_nights, published_window
from shequ.parking.services.indices import compute_and_publish_indices


def test_the_job_publishes_three_datasets_and_skips_unchanged_results(load: Load) -> None:
    small_hub(load)
    report = compute_and_publish_indices(weeks=1)
    assert report.window == WEEK  # the hour after the newest read, back one week
    assert report.published == {
        "berth_index_hourly": 0,
        "idle_night_spaces": 0,
        "estate_parking_index": 0,
    }
    for key, rows in (("berth_index_hourly", 336), ("idle_night_spaces", 2)):
        dataset = Dataset.objects.get(key=key)
        assert (dataset.origin, dataset.region.code, dataset.category.key) == (
            Origin.APP,
            STREET,
            "traffic",
        )
        assert dataset.row_count == rows
    nights = published_nights()
    assert {k: (n.p95_occupied, n.idle_spaces) for k, n in nights.items()} == {
        "GF": (1, 9),
        "GN": (3, 7),
    }
    assert published_window() == WEEK
    (x1,) = [e for e in report.estates if e.estate_code == "X1"]
    assert x1.idle_night_spaces == 7
    again = compute_and_publish_indices(weeks=1)
    assert again.published == report.published


def test_the_job_does_nothing_without_gate_records(hub: None) -> None:
    report = compute_and_publish_indices()
    assert report.window is None and report.published == {}


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_finds_about_600_idle_night_spaces_against_a_200_plus_shortfall(
    load: Load,
) -> None:
    from shequ.demo.data import demo_tables

    tables = demo_tables()
    for key in PARKING_TABLES:
        load(key, tables[key])
    window = indices.default_window()
    assert window is not None and window.hours == 8 * 7 * 24
    nights = indices.night_idle(window)
    assert [n.garage_code for n in nights] == ["G01", "G02", "G03", "G04", "G05"]
    (estate,) = indices.estate_indices({n.garage_code: n for n in nights}, estate="E001")
    assert len(estate.garages) == 5 and estate.radius_m == 800
    assert 570 <= estate.idle_night_spaces <= 630
    assert estate.estate_spaces == 1200 and 1350 <= estate.night_demand <= 1450
    assert estate.shortfall > 200 and estate.parking_index is not None
    assert estate.parking_index > 1.15
    # Office garages: full on weekday afternoons, a quarter full at night and on Sundays.
    cells = indices.hour_of_week(indices.berth_hours(window))["G01"]
    rate = {(c.weekday, c.hour): c.occupancy_rate for c in cells}
    assert rate[(3, 14)] > 0.8 and rate[(3, 3)] < 0.4 and rate[(7, 14)] < 0.4
