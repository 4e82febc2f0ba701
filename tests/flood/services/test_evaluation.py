"""The rule engine alone: levels, pending period, hysteresis, late values (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shequ.flood import evaluation as ev

T0 = datetime(2026, 7, 1, tzinfo=UTC)
DEPTH = (10.0, 15.0, 25.0, 40.0)


def run(spec: ev.Spec, values: list[float], state: ev.State | None = None) -> list[tuple[str, int]]:
    state = state or ev.State()
    out: list[tuple[str, int]] = []
    for i, v in enumerate(values):
        change = ev.step(spec, state, T0 + timedelta(minutes=i), v)
        if change:
            out.append((change.kind, change.level))
    return out


def test_a_level_is_the_highest_threshold_reached() -> None:
    assert [ev.level_of(DEPTH, v) for v in (0, 9.9, 10, 24.9, 25, 39, 40, 99)] == [
        0,
        0,
        1,
        2,
        3,
        3,
        4,
        4,
    ]
    assert ev.level_of((None, 15.0, None, 40.0), 20) == 2


def test_it_fires_then_escalates_the_same_alert_and_never_steps_down_while_open() -> None:
    assert run(ev.Spec(DEPTH), [5, 12, 13, 26, 20, 41]) == [
        ("fire", 1),
        ("escalate", 3),
        ("escalate", 4),
    ]


def test_a_pending_period_ignores_a_short_spike() -> None:
    spec = ev.Spec(DEPTH, pending=timedelta(minutes=2))
    assert run(spec, [30, 5, 30, 5]) == []
    assert run(spec, [30, 28, 16]) == [("fire", 2)]  # the lowest level held over the period


def test_hysteresis_clears_only_below_the_margin_for_long_enough() -> None:
    spec = ev.Spec(DEPTH, clear_margin=2, clear_after=timedelta(minutes=2))
    # 9 is below blue but within the margin; 7 three minutes running resolves
    assert run(spec, [12, 9, 9, 7, 7, 12, 7, 7, 7]) == [("fire", 1), ("resolve", 1)]


def test_a_late_value_changes_nothing() -> None:
    state = ev.State()
    spec = ev.Spec(DEPTH)
    assert ev.step(spec, state, T0 + timedelta(minutes=5), 5) is None
    assert ev.step(spec, state, T0, 50) is None
    assert state.open_level == 0


def test_rise_and_rain_windows() -> None:
    series = [(T0 + timedelta(minutes=m), v) for m, v in [(0, 1.0), (5, 3.0), (10, 9.0)]]
    assert ev.rise_over(series, T0 + timedelta(minutes=10), 9.0, timedelta(minutes=10)) == 8.0
    assert ev.rise_over(series[:1], T0, 1.0, timedelta(minutes=10)) is None
    assert ev.accumulated(series, T0 + timedelta(minutes=10), timedelta(minutes=10)) == 12.0
