"""Parking indices: stays rebuilt from gate reads, berth index, idle night spaces, parking index.

Each case has its own garage, so what it expects can be counted by hand: a car is inside at the
sample ``hh:00`` when it came in at or before it and left after it. The week looked at is
Monday 2026-10-05 00:00 to Monday 2026-10-12 00:00, Shanghai time (168 hourly samples, 56 of
them at night: 22:00, 23:00 and 00:00 to 05:00).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from parking.factories import (
    FAR,
    HOME,
    NEAR,
    WEEK,
    Load,
    at,
    estate_rows,
    lot,
    read,
    stay,
    week_long,
)
from shequ.parking import indices
from shequ.parking.geo import DETOUR_FACTOR, LatLon, haversine_m, walking_m
from shequ.parking.indices import BerthHour, GarageNight, Window


def occupied(hours: list[BerthHour], garage: str) -> dict[datetime, int]:
    """Samples where the garage had cars inside."""
    return {h.hour_start: h.occupied for h in hours if h.garage_code == garage and h.occupied}


def hourly(start: datetime, count: int, value: int = 1) -> dict[datetime, int]:
    return {start + timedelta(hours=k): value for k in range(count)}


def run(load: Load, lots: list[dict[str, Any]], reads: list[dict[str, Any]]) -> list[BerthHour]:
    load("public_parking_lots", lots)
    load("garage_gate_records", reads)
    return indices.berth_hours(WEEK)


# --- stays -----------------------------------------------------------------------------------


def test_a_stay_counts_on_each_hour_between_entry_and_exit(load: Load) -> None:
    hours = run(load, [lot("T1", 10)], stay("T1", "浙A10001", at(5, 9, 30), at(5, 17, 15)))
    assert len(hours) == 168
    assert occupied(hours, "T1") == hourly(at(5, 10), 8)
    by_hour = {h.hour_start: h for h in hours}
    nine, ten = by_hour[at(5, 9)], by_hour[at(5, 10)]
    assert (nine.entries, nine.stays, nine.avg_stay_minutes) == (1, 1, 465.0)
    assert by_hour[at(5, 17)].exits == 1
    assert (ten.weekday, ten.hour, ten.occupancy_rate, ten.turnover) == (1, 10, 0.1, 0.0)
    assert nine.turnover == 0.1


def test_an_overnight_stay_is_inside_across_midnight(load: Load) -> None:
    hours = run(load, [lot("T2", 10)], stay("T2", "浙A10002", at(5, 20, 10), at(6, 7, 40)))
    assert occupied(hours, "T2") == hourly(at(5, 21), 11)


def test_a_read_repeated_within_five_minutes_counts_once(load: Load) -> None:
    reads = [
        read("T3", "in", "浙A10003", at(5, 8, 0, 0)),
        read("T3", "in", "浙A10003", at(5, 8, 1, 30)),
        read("T3", "out", "浙A10003", at(5, 12, 0, 0)),
        read("T3", "out", "浙A10003", at(5, 12, 0, 40)),
    ]
    hours = run(load, [lot("T3", 10)], reads)
    assert occupied(hours, "T3") == hourly(at(5, 8), 4)
    by_hour = {h.hour_start: h for h in hours}
    assert (by_hour[at(5, 8)].entries, by_hour[at(5, 12)].exits) == (1, 1)


def test_a_second_entry_six_minutes_later_means_the_exit_was_missed(load: Load) -> None:
    reads = [
        read("T4", "in", "浙A10004", at(5, 8, 0)),
        read("T4", "in", "浙A10004", at(5, 8, 6)),
        read("T4", "out", "浙A10004", at(5, 9, 0)),
    ]
    hours = run(load, [lot("T4", 10)], reads)
    assert occupied(hours, "T4") == {at(5, 8): 1}
    assert {h.hour_start: h.entries for h in hours if h.entries} == {at(5, 8): 2}


def test_a_missed_exit_keeps_the_car_inside_at_most_a_day(load: Load) -> None:
    reads = [
        read("T5", "in", "浙A10005", at(7, 9)),  # Wednesday; the exit was not read
        *stay("T5", "浙A10005", at(9, 9), at(9, 12)),  # back on Friday
    ]
    hours = run(load, [lot("T5", 10)], reads)
    assert occupied(hours, "T5") == hourly(at(7, 9), 24) | hourly(at(9, 9), 3)


def test_a_missed_entry_puts_the_car_inside_for_the_day_before_its_exit(load: Load) -> None:
    reads = [
        read("T6", "out", "浙A10006", at(6, 15)),  # first read of the plate: an exit
        *stay("T6", "浙A10007", at(7, 12), at(7, 13)),
        read("T6", "out", "浙A10007", at(7, 20)),  # out again: came back in unseen
    ]
    hours = run(load, [lot("T6", 10)], reads)
    expected = hourly(at(5, 15), 24) | hourly(at(7, 12), 8)  # 13:00-20:00 since the last read
    assert occupied(hours, "T6") == expected


def test_cars_inside_when_the_window_starts_are_counted(load: Load) -> None:
    reads = [
        *stay("T7", "浙A10008", at(4, 18), at(5, 8, 30)),  # came in on Sunday evening
        read("T7", "out", "浙A10009", at(5, 3)),  # no entry read: inside since Sunday 03:00
        read("T7", "in", "浙A10010", datetime(2026, 9, 27, 10, tzinfo=at(5, 0).tzinfo)),
        read("T7", "out", "浙A10010", at(5, 2)),  # its entry is older than the look-back
    ]
    hours = run(load, [lot("T7", 10)], reads)
    expected = hourly(at(5, 0), 9)
    for moment in (at(5, 0), at(5, 1), at(5, 2)):
        expected[moment] += 1
    expected[at(5, 0)] += 1
    expected[at(5, 1)] += 1
    assert occupied(hours, "T7") == expected


def test_a_car_not_seen_leaving_stays_until_the_window_ends_or_a_day_passes(load: Load) -> None:
    reads = [
        read("T8", "in", "浙A10011", at(11, 22, 30)),  # Sunday night, the last day
        read("T8", "in", "浙A10012", at(7, 10)),  # Wednesday, never seen again
    ]
    hours = run(load, [lot("T8", 10)], reads)
    assert occupied(hours, "T8") == {at(11, 23): 1} | hourly(at(7, 10), 24)


def test_unreadable_plates_count_as_passages_but_not_as_stays(load: Load) -> None:
    hours = run(load, [lot("T9", 10)], [read("T9", "in", "", at(5, 11, 10))])
    assert occupied(hours, "T9") == {}
    assert {h.hour_start: h.entries for h in hours if h.entries} == {at(5, 11): 1}


def test_occupancy_never_exceeds_capacity_and_unknown_garages_are_left_out(load: Load) -> None:
    reads = [
        *stay("TA", "浙A10013", at(5, 9), at(5, 11)),
        *stay("TA", "浙A10014", at(5, 9), at(5, 11)),
        *stay("ZZ", "浙A10015", at(5, 9), at(5, 11)),  # a garage the lots do not list
    ]
    hours = run(load, [lot("TA", 1), lot("TB", 5)], reads)  # TB: listed, no reads
    assert occupied(hours, "TA") == {at(5, 9): 1, at(5, 10): 1}
    assert {h.garage_code for h in hours} == {"TA"}


def test_hour_of_week_averages_the_weeks(load: Load) -> None:
    two_weeks = Window(at(5, 0), at(19, 0))
    reads = [*stay("TC", "浙A10016", at(5, 9, 30), at(5, 10, 30))]
    reads += stay("TC", "浙A10017", at(12, 9, 30), at(12, 11, 30))
    reads += stay("TC", "浙A10018", at(12, 9, 40), at(12, 10, 20))
    load("public_parking_lots", [lot("TC", 4)])
    load("garage_gate_records", reads)
    cells = {
        (c.weekday, c.hour): c for c in indices.hour_of_week(indices.berth_hours(two_weeks))["TC"]
    }
    assert len(cells) == 7 * 24
    monday_ten = cells[(1, 10)]
    assert monday_ten.samples == 2
    assert monday_ten.occupancy_rate == pytest.approx((1 / 4 + 2 / 4) / 2)
    monday_nine = cells[(1, 9)]
    assert monday_nine.turnover == pytest.approx((1 / 4 + 2 / 4) / 2)
    assert monday_nine.avg_stay_minutes == pytest.approx((60 + 120 + 40) / 3)


# --- idle night spaces ----------------------------------------------------------------------


def extra(garage: str, cars: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return [r for k in range(cars) for r in stay(garage, f"浙C{garage}{k:02d}"[:8], start, end)]


def test_idle_night_spaces_are_capacity_minus_the_95th_percentile_of_night_samples(
    load: Load,
) -> None:
    reads = week_long("P1", 2) + extra("P1", 3, at(7, 21, 30), at(8, 0, 30))  # 3 night samples of 5
    reads += week_long("P2", 2) + extra("P2", 3, at(7, 21, 30), at(7, 23, 30))  # 2 samples of 5
    load("public_parking_lots", [lot("P1", 10), lot("P2", 10)])
    load("garage_gate_records", reads)
    nights = {n.garage_code: n for n in indices.night_idle(WEEK)}
    # 56 samples; the 95th percentile is the 54th smallest (nearest rank, ceil(0.95 x 56)).
    assert (nights["P1"].samples, nights["P1"].p95_occupied, nights["P1"].idle_spaces) == (
        56,
        5,
        5,
    )
    assert (nights["P2"].p95_occupied, nights["P2"].idle_spaces) == (2, 8)


def test_night_means_22_to_06_shanghai_time(load: Load) -> None:
    reads: list[dict[str, Any]] = []
    for day in range(5, 12):
        reads += stay("N1", f"浙D1{day:04d}", at(day, 5, 30), at(day, 6, 30))  # sampled at 06:00
        reads += stay("N2", f"浙D2{day:04d}", at(day, 21, 45), at(day, 22, 15))  # at 22:00
    load("public_parking_lots", [lot("N1", 10), lot("N2", 10)])
    load("garage_gate_records", reads)
    nights = {n.garage_code: n for n in indices.night_idle(WEEK)}
    assert nights["N1"].p95_occupied == 0  # 06:00 is morning
    assert nights["N2"].p95_occupied == 1  # 7 of 56 night samples have one car


# --- parking index --------------------------------------------------------------------------


def test_the_parking_index_is_night_demand_over_night_supply(load: Load) -> None:
    estate_rows(load, [lot("GN", 10, *NEAR, shared=1), lot("GF", 10, *FAR, shared=5)])
    night = GarageNight("GN", "GN停车场", 10, 56, 3, HOME)
    x1, x2 = indices.estate_indices({"GN": night})
    assert (x1.night_demand, x1.estate_spaces, x1.shared_spaces) == (3, 2, 1)
    assert (x1.night_supply, x1.parking_index, x1.shortfall) == (3, 1.0, 0)
    assert [(g.garage_code, g.idle_spaces) for g in x1.garages] == [("GN", 7)]
    assert x1.garages[0].walk_m == round(walking_m(LatLon(30.0, 120.0), LatLon(*NEAR)))
    assert x1.idle_night_spaces == 7
    # X2 has no location: no garage within reach, its own space only.
    assert (x2.night_demand, x2.night_supply, x2.parking_index, x2.shortfall) == (1, 1, 1.0, 0)
    assert x2.garages == ()


def test_a_wider_radius_reaches_more_garages_and_a_shortfall_shows(load: Load) -> None:
    estate_rows(load, [lot("GN", 10, *NEAR), lot("GF", 10, *FAR, shared=5)])
    (near_only,) = indices.estate_indices({}, estate="X1")
    assert (near_only.parking_index, near_only.shortfall) == (1.5, 1)
    assert near_only.garages[0].idle_spaces is None  # no gate reads: no idle figure
    (wide,) = indices.estate_indices({}, estate="X1", radius_m=900)
    assert [g.garage_code for g in wide.garages] == ["GN", "GF"]
    assert (wide.shared_spaces, wide.night_supply, wide.shortfall) == (5, 7, 0)


def test_walking_distance_is_the_great_circle_times_the_detour_factor() -> None:
    one_degree = haversine_m(LatLon(30.0, 120.0), LatLon(31.0, 120.0))
    assert one_degree == pytest.approx(111_195, abs=1)
    assert walking_m(LatLon(30.0, 120.0), LatLon(31.0, 120.0)) == pytest.approx(
        one_degree * DETOUR_FACTOR
    )
    assert round(walking_m(LatLon(*NEAR), LatLon(30.0, 120.0))) == 626


def test_car_parks_with_off_peak_hours_load_their_times_as_text(load: Load) -> None:
    load("public_parking_lots", [lot("GT", 10, shared=3)])
    rows = indices.query("SELECT offpeak_start, offpeak_end FROM public_parking_lots")
    assert rows == [{"offpeak_start": "19:00:00", "offpeak_end": "07:30:00"}]
