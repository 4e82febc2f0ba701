"""The rule engine: how one rule's state moves with each newer value (no Django here).

A value's *raw level* is the highest level whose threshold it reaches. A level above the open
alert's is pending until it has been held ``pending`` long (the level fired is the lowest
held over that time); then the alert fires or escalates. An open alert resolves once the
value stays below the lowest threshold minus ``clear_margin`` for ``clear_after`` (hysteresis,
so a level hovering at a threshold does not flap). An alert's level never falls while open:
the duty officer sees the worst it reached until it is over.

A value older than the newest one the rule has seen changes nothing: a late reading is stored,
but the rule has already judged a newer state of the world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

Kind = Literal["fire", "escalate", "resolve"]
FIRE: Final = "fire"
ESCALATE: Final = "escalate"
RESOLVE: Final = "resolve"


@dataclass(frozen=True)
class Spec:
    thresholds: Sequence[float | None]  # blue, yellow, orange, red; None: no such level
    pending: timedelta = timedelta(0)
    clear_margin: float = 0.0
    clear_after: timedelta = timedelta(0)

    @property
    def lowest(self) -> float | None:
        present = [t for t in self.thresholds if t is not None]
        return min(present) if present else None


@dataclass
class State:
    open_level: int = 0  # the open alert's level; 0: none open
    last_at: datetime | None = None
    pending_level: int = 0
    pending_since: datetime | None = None
    clear_since: datetime | None = None


@dataclass(frozen=True)
class Change:
    kind: Kind
    level: int
    at: datetime
    value: float


def level_of(thresholds: Sequence[float | None], value: float) -> int:
    """The highest level (1 blue … 4 red) whose threshold ``value`` reaches; 0 for none."""
    reached = 0
    for index, threshold in enumerate(thresholds, start=1):
        if threshold is not None and value >= threshold:
            reached = index
    return reached


def step(spec: Spec, state: State, at: datetime, value: float) -> Change | None:
    """Move ``state`` with a value at ``at``; the alert change it causes, if any."""
    if state.last_at is not None and at <= state.last_at:
        return None
    state.last_at = at
    raw = level_of(spec.thresholds, value)
    if raw > state.open_level:
        return _rising(spec, state, at, value, raw)
    state.pending_since, state.pending_level = None, 0
    if not state.open_level:
        return None
    return _clearing(spec, state, at, value)


def _rising(spec: Spec, state: State, at: datetime, value: float, raw: int) -> Change | None:
    state.clear_since = None
    if state.pending_since is None:
        state.pending_since, state.pending_level = at, raw
    else:
        state.pending_level = min(state.pending_level, raw)
    if at - state.pending_since < spec.pending:
        return None
    kind: Literal["fire", "escalate"] = ESCALATE if state.open_level else FIRE
    state.open_level = state.pending_level
    state.pending_since, state.pending_level = None, 0
    return Change(kind, state.open_level, at, value)


def _clearing(spec: Spec, state: State, at: datetime, value: float) -> Change | None:
    lowest = spec.lowest
    if lowest is None or value >= lowest - spec.clear_margin:
        state.clear_since = None
        return None
    if state.clear_since is None:
        state.clear_since = at
    if at - state.clear_since < spec.clear_after:
        return None
    level, state.open_level, state.clear_since = state.open_level, 0, None
    return Change(RESOLVE, level, at, value)


def rise_over(
    series: Sequence[tuple[datetime, float]], at: datetime, value: float, window: timedelta
) -> float | None:
    """How much the value rose since the oldest reading within ``window`` before ``at``.

    ``series`` is sorted by time. None when no earlier reading lies in the window.
    """
    start = at - window
    for when, earlier in series:
        if start <= when < at:
            return value - earlier
    return None


def accumulated(series: Sequence[tuple[datetime, float]], at: datetime, window: timedelta) -> float:
    """Rain (mm per report) summed over ``(at - window, at]``; ``series`` sorted by time."""
    start = at - window
    return sum(v for when, v in series if start < when <= at)
