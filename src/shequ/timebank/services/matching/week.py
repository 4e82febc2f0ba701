"""Weekly local minutes: Monday 00:00 is 0, a week is ``WEEK`` minutes; a volunteer's weekly
availability as a cumulative count of available minutes, so that the overlap of any window
is two look-ups, whatever its length."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone

WEEK = 7 * 24 * 60
# A Monday: weekly minutes count from here (local time).
EPOCH = datetime(2024, 1, 1)


def local_minutes(at: datetime) -> int:
    """Minutes since the reference Monday 00:00, local time."""
    local = timezone.localtime(at).replace(tzinfo=None)
    return int((local - EPOCH) // timedelta(minutes=1))


def cumulative(availability: Mapping[str, Iterable[str]]) -> np.ndarray | None:
    """``c[t]``: available minutes of the week before weekly minute ``t`` (None: not stated)."""
    if not availability or not any(availability.values()):
        return None
    week = np.zeros(WEEK, dtype=np.int8)
    for day, ranges in availability.items():
        base = int(day) * 24 * 60
        for item in ranges:
            start, end = str(item).split("-")
            h1, m1 = (int(x) for x in start.split(":"))
            h2, m2 = (int(x) for x in end.split(":"))
            week[base + h1 * 60 + m1 : base + h2 * 60 + m2] = 1
    out = np.zeros(WEEK + 1, dtype=np.int64)
    np.cumsum(week, out=out[1:])
    return out


def available_before(cum: np.ndarray, t: np.ndarray | int) -> np.ndarray:
    """Available minutes from the epoch to ``t``, for one week's ``cum`` or a stack of them."""
    t = np.asarray(t, dtype=np.int64)
    weeks, rest = np.divmod(t, WEEK)
    return weeks * cum[..., WEEK] + cum[..., rest]


def weekly_overlap(cum: np.ndarray | None, starts: Any, ends: Any) -> np.ndarray:
    """Minutes of the windows ``[starts, ends)`` (weekly local minutes) the availability covers;
    not stated: the whole window."""
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    if cum is None:
        return ends - starts
    return available_before(cum, ends) - available_before(cum, starts)
