"""Sharing hours in opening_hours form: parsing, errors, holidays, midnight, windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from parking.factories import HOURS
from shequ.parking.services.opening_hours import WEEKDAYS, parse

MONDAY = date(2026, 10, 5)  # a Monday
NATIONAL_DAY = date(2026, 10, 1)  # a Thursday


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m)


@pytest.mark.parametrize(
    ("day_offset", "hhmm", "open_"),
    [
        (0, "07:59", True),  # Monday morning: Sunday evening's car may stay until 08:00
        (0, "08:00", False),
        (0, "18:29", False),
        (0, "18:30", True),
        (1, "07:59", True),  # Monday night spills into Tuesday
        (1, "08:00", False),
        (4, "23:00", True),  # Friday night
        (5, "12:00", True),  # Saturday
        (6, "23:59", True),
    ],
)
def test_weekday_nights_and_weekends(day_offset: int, hhmm: str, open_: bool) -> None:
    assert parse(HOURS).is_open(at(MONDAY + timedelta(days=day_offset), hhmm)) is open_


def test_a_public_holiday_on_a_weekday_is_open_all_day() -> None:
    schedule = parse(HOURS)
    assert not schedule.is_open(at(NATIONAL_DAY, "12:00"))
    assert schedule.is_open(at(NATIONAL_DAY, "12:00"), {NATIONAL_DAY})


def test_ph_off_closes_a_holiday_but_not_the_night_before_spilling_in() -> None:
    schedule = parse("Mo-Fr 19:00-07:30; PH off")
    # Wednesday night (not a holiday) runs into Thursday morning, the holiday.
    assert schedule.is_open(at(NATIONAL_DAY, "07:00"), {NATIONAL_DAY})
    assert not schedule.is_open(at(NATIONAL_DAY, "20:00"), {NATIONAL_DAY})


def test_windows_merge_across_days() -> None:
    schedule = parse(HOURS)
    start, end = schedule.window_at(at(MONDAY + timedelta(days=5), "10:00")) or (None, None)
    assert start == at(MONDAY + timedelta(days=4), "18:30")  # Friday evening
    assert end == at(MONDAY + timedelta(days=7), "08:00")  # Sunday night runs to Monday 08:00
    assert schedule.window_at(at(MONDAY, "12:00")) is None


def closed_by_the_demo_rule(moment: datetime, hols: set[date]) -> bool:
    """The oracle: only ordinary Monday-Friday office hours (08:00-18:30) are not shared."""
    office = datetime.combine(moment.date(), datetime.min.time())
    return (
        moment.weekday() < 5
        and moment.date() not in hols
        and office.replace(hour=8) <= moment < office.replace(hour=18, minute=30)
    )


def holiday_names(hols: set[date]) -> str:
    # Sorted: a set's order differs between processes, and xdist workers must agree on ids.
    return ",".join(f"{d:%a}" for d in sorted(hols))


HOLIDAY_CASES = [
    set(),
    *({MONDAY + timedelta(days=d)} for d in range(7)),  # a holiday on each weekday
    {MONDAY + timedelta(days=d) for d in (0, 1)},  # Monday and Tuesday
    {MONDAY + timedelta(days=d) for d in (3, 4)},  # Thursday and Friday (a long weekend)
    {MONDAY + timedelta(days=d) for d in range(7)},  # a golden week
]


@pytest.mark.parametrize("hols", HOLIDAY_CASES, ids=holiday_names)
def test_every_day_boundary_of_the_demo_hours_is_continuous(hols: set[date]) -> None:
    """Sunday (or a holiday) open till 24:00 runs on to the next weekday's 08:00."""
    schedule = parse(HOURS)
    moment, stop = at(MONDAY - timedelta(days=7), "00:00"), at(MONDAY + timedelta(days=14), "0:00")
    while moment < stop:
        assert schedule.is_open(moment, hols) is not closed_by_the_demo_rule(moment, hols), moment
        moment += timedelta(minutes=15)


@pytest.mark.parametrize("hols", HOLIDAY_CASES, ids=holiday_names)
def test_a_car_parked_on_any_open_evening_may_stay_until_the_next_office_morning(
    hols: set[date],
) -> None:
    schedule = parse(HOURS)
    for offset in range(-1, 8):
        evening = at(MONDAY + timedelta(days=offset), "21:00")
        _start, end = schedule.window_at(evening, hols) or (None, None)
        assert end is not None and end.time().strftime("%H:%M") == "08:00", evening
        assert end.weekday() < 5 and end.date() not in hols
        assert end > evening and (end - evening) < timedelta(days=10)


def test_sunday_night_then_a_closed_holiday_keeps_the_weekday_night_end() -> None:
    schedule = parse("Mo-Fr 19:00-07:30; Sa,Su 00:00-24:00; PH off")
    holiday_monday = MONDAY
    assert schedule.is_open(at(holiday_monday, "07:29"), {holiday_monday})
    assert not schedule.is_open(at(holiday_monday, "07:30"), {holiday_monday})
    assert not schedule.is_open(at(holiday_monday, "20:00"), {holiday_monday})


def test_a_day_open_until_midnight_without_a_night_rule_next_closes_at_midnight() -> None:
    schedule = parse("Mo-Fr 08:00-18:00; Sa 00:00-24:00")
    assert schedule.is_open(at(MONDAY + timedelta(days=5), "23:59"))
    assert not schedule.is_open(at(MONDAY + timedelta(days=6), "00:00"))


def test_last_close_before() -> None:
    schedule = parse(HOURS)
    assert schedule.last_close_before(at(MONDAY + timedelta(days=1), "09:00")) == at(
        MONDAY + timedelta(days=1), "08:00"
    )


def test_twenty_four_seven_is_open_ended() -> None:
    schedule = parse("24/7")
    assert schedule.is_open(at(MONDAY, "03:00"))
    assert schedule.window_at(at(MONDAY, "03:00")) == (None, None)


def test_several_spans_and_wrapping_day_ranges() -> None:
    schedule = parse("Fr-Mo 08:00-12:00,13:00-18:00")
    assert schedule.is_open(at(MONDAY, "09:00"))
    assert not schedule.is_open(at(MONDAY, "12:30"))
    assert not schedule.is_open(at(MONDAY + timedelta(days=1), "09:00"))  # Tuesday
    assert schedule.weekly_minutes() == 4 * 9 * 60


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("Mo-Fx 18:00-08:00", '"Fx"'),
        ("Mo-Fr 18:00", '"18:00"'),
        ("Mo-Fr 25:00-08:00", "not a time of day"),
        ("Mo-Fr 18:60-08:00", "not a time of day"),
        ("Mo-Fr 18:00-18:00", "empty"),
        ("Mo-Fr 18:00-08:00;; Sa 00:00-24:00", "Rule 2"),
        ("Mo-Fr 18:00-08:00 Sa", "Unexpected"),
        ("Jan Mo 10:00-12:00", '"Jan"'),
    ],
)
def test_errors_name_the_rule_and_token(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse(text)
    assert fragment in " ".join(info.value.messages)


# --- properties -------------------------------------------------------------------------------

times = st.integers(0, 23).flatmap(lambda h: st.integers(0, 59).map(lambda m: f"{h:02d}:{m:02d}"))
day_sets = st.sets(st.sampled_from(WEEKDAYS), min_size=1, max_size=7)


@st.composite
def rules(draw: st.DrawFn) -> str:
    chosen = draw(day_sets)
    days = ",".join(d for d in WEEKDAYS if d in chosen)
    if draw(st.booleans()):
        days += ",PH"
    start, end = draw(times), draw(times)
    if start == end:
        end = "24:00"
    return f"{days} {start}-{end}"


schedules = st.lists(rules(), min_size=1, max_size=4).map("; ".join)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31))
holiday_sets = st.sets(st.dates(date(2025, 12, 20), date(2027, 1, 10)), max_size=10)


@settings(max_examples=150, deadline=None)
@given(schedules, moments, holiday_sets)
def test_is_open_agrees_with_the_merged_intervals(
    text: str, moment: datetime, hols: set[date]
) -> None:
    schedule = parse(text)
    day = moment.date()
    intervals = schedule.intervals(day - timedelta(days=1), day, hols)
    assert schedule.is_open(moment, hols) == any(s <= moment < e for s, e in intervals)


@settings(max_examples=150, deadline=None)
@given(schedules, moments, holiday_sets)
def test_window_at_contains_the_moment_iff_open(
    text: str, moment: datetime, hols: set[date]
) -> None:
    schedule = parse(text)
    window = schedule.window_at(moment, hols)
    assert (window is not None) == schedule.is_open(moment, hols)
    if window is not None:
        start, end = window
        assert (start is None or start <= moment) and (end is None or moment < end)
        # Just before the start and at the end, the garage is not shared.
        if start is not None:
            assert not schedule.is_open(start - timedelta(microseconds=1), hols)
        if end is not None:
            assert not schedule.is_open(end, hols)


@settings(max_examples=100, deadline=None)
@given(schedules)
def test_parsing_the_normalised_text_gives_the_same_schedule(text: str) -> None:
    first = parse(text)
    assert parse(first.text).rules == first.rules
    assert parse("  " + text.replace(";", " ;  ") + " ").rules == first.rules
