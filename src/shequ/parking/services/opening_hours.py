"""Sharing windows in OSM ``opening_hours`` form: parse, evaluate, find windows.

The supported subset is what garages declare in practice::

    Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00
    24/7
    Mo-Fr 19:00-07:30; PH off
    Mo,We,Fr 08:00-12:00,13:00-18:00

Semantics (as in OSM): rules are separated by ``;``; a later rule replaces earlier ones for
every day it selects. A day is a public holiday (``PH``) when it is in the holiday set passed
to the evaluator; a rule selecting ``PH`` also takes effect on such a day whatever its weekday.
A span whose end is not after its start (``18:30-08:00``) runs past midnight into the next day;
that tail belongs to the day the span started on, so the next day's rule does not cut it off.

Beyond OSM, one rule for the night after a day open until 24:00 (``Sa,Su,PH 00:00-24:00``):
a car parked on Sunday evening may stay until the next day's night ends, so when the day
before is open at midnight and the day has an overnight span (``Mo-Fr 18:30-08:00``), the day
is open from 00:00 to that span's morning end (Monday 08:00), even when a holiday rule closes
the day (``PH off``: the ordinary weekday's night end is used). Residents read "Sunday all
day" and park on Sunday evening; the garage's own weekday nights end at 08:00 anyway.
Times are local wall-clock times (Asia/Shanghai has no daylight saving).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
FULL_DAY = 24 * 60
# How far window searches look before giving up: a schedule open for longer is "open-ended".
SEARCH_DAYS = 15

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True)
class Rule:
    """One ``;``-separated rule: the weekdays (0 = Monday) and PH it selects, and its spans."""

    weekdays: frozenset[int]
    holidays: bool
    spans: tuple[tuple[int, int], ...]  # minutes from the day's midnight; end may exceed 1440

    def selects(self, day: date, is_holiday: bool) -> bool:
        return day.weekday() in self.weekdays or (self.holidays and is_holiday)


@dataclass(frozen=True)
class Schedule:
    """A parsed ``opening_hours`` value."""

    text: str
    rules: tuple[Rule, ...]

    def spans_of(self, day: date, holidays: Iterable[date] = ()) -> tuple[tuple[int, int], ...]:
        """The spans starting on ``day`` (minutes; an end past 1440 spills into the next day)."""
        is_holiday = day in set(holidays)
        spans: tuple[tuple[int, int], ...] = ()
        for rule in self.rules:
            if rule.selects(day, is_holiday):
                spans = rule.spans
        return spans

    def open_spans(self, day: date, holidays: Iterable[date] = ()) -> tuple[tuple[int, int], ...]:
        """The spans starting on ``day``, with the morning carried over from an open midnight."""
        hols = frozenset(holidays)
        spans = self.spans_of(day, hols)
        # The night's end is the day's own, or its ordinary weekday's when a holiday closes it.
        nights = (*spans, *self.spans_of(day, hols - {day}))
        morning = max((end - FULL_DAY for _start, end in nights if end > FULL_DAY), default=0)
        if morning and self._open_at_midnight_before(day, hols):
            return tuple(sorted(((0, morning), *spans)))
        return spans

    def _open_at_midnight_before(self, day: date, hols: frozenset[date]) -> bool:
        """Whether the day before ``day`` has a span running up to 24:00."""
        return any(end == FULL_DAY for _start, end in self.spans_of(day - timedelta(days=1), hols))

    def intervals(
        self, first: date, last: date, holidays: Iterable[date] = ()
    ) -> list[tuple[datetime, datetime]]:
        """Merged open intervals (naive local datetimes) of spans starting from first to last."""
        hols = frozenset(holidays)
        raw: list[tuple[datetime, datetime]] = []
        day = first
        while day <= last:
            midnight = datetime.combine(day, time())
            for start, end in self.open_spans(day, hols):
                raw.append((midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)))
            day += timedelta(days=1)
        raw.sort()
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in raw:
            if merged and opens <= merged[-1][1]:
                if closes > merged[-1][1]:
                    merged[-1] = (merged[-1][0], closes)
            else:
                merged.append((opens, closes))
        return merged

    def is_open(self, at: datetime, holidays: Iterable[date] = ()) -> bool:
        """Whether the naive local moment ``at`` falls in a span (of its day or the day before)."""
        hols = frozenset(holidays)
        day = at.date()
        minute = at.hour * 60 + at.minute + at.second / 60 + at.microsecond / 60e6
        if any(s <= minute < e for s, e in self.open_spans(day, hols)):
            return True
        before = minute + FULL_DAY
        return any(s <= before < e for s, e in self.spans_of(day - timedelta(days=1), hols))

    def window_at(
        self, at: datetime, holidays: Iterable[date] = ()
    ) -> tuple[datetime | None, datetime | None] | None:
        """The merged window containing ``at``: (start, end); None for an open-ended side."""
        day = at.date()
        first, last = day - timedelta(days=SEARCH_DAYS), day + timedelta(days=SEARCH_DAYS)
        for start, end in self.intervals(first, last, holidays):
            if start <= at < end:
                from_ever = start <= datetime.combine(first, time())
                for_ever = end >= datetime.combine(last, time())
                return None if from_ever else start, None if for_ever else end
        return None

    def last_close_before(self, at: datetime, holidays: Iterable[date] = ()) -> datetime | None:
        """The latest end of a window at or before ``at`` (None: none in the search range)."""
        day = at.date()
        ends = [
            end
            for _start, end in self.intervals(day - timedelta(days=SEARCH_DAYS), day, holidays)
            if end <= at
        ]
        return max(ends) if ends else None

    def weekly_minutes(self) -> int:
        """Open minutes in an ordinary week without holidays (for display and pricing)."""
        monday = date(2024, 1, 1)  # a Monday
        total = 0
        for start, end in self.intervals(monday, monday + timedelta(days=6)):
            total += int((end - start).total_seconds() // 60)
        return total


def _error(rule_no: int, message: str) -> ValidationError:
    text = _("Rule %(n)d: %(message)s") % {"n": rule_no, "message": message}
    return ValidationError(text, code="invalid_opening_hours")


def _minutes(token: str, rule_no: int) -> int:
    match = _TIME.fullmatch(token)
    if not match:
        raise _error(rule_no, _('"%(time)s" is not a time like 18:30.') % {"time": token})
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise _error(rule_no, _('"%(time)s" is not a time of day.') % {"time": token})
    return hours * 60 + minutes


def _parse_span(token: str, rule_no: int) -> tuple[int, int]:
    parts = token.split("-")
    if len(parts) != 2:
        raise _error(rule_no, _('"%(span)s" is not a span like 18:30-08:00.') % {"span": token})
    start, end = _minutes(parts[0], rule_no), _minutes(parts[1], rule_no)
    if start == FULL_DAY:
        raise _error(rule_no, _("A span cannot start at 24:00."))
    if end == start:
        raise _error(rule_no, _('The span "%(span)s" is empty.') % {"span": token})
    if end < start:
        end += FULL_DAY  # crosses midnight
    return start, end


def _parse_days(token: str, rule_no: int) -> tuple[frozenset[int], bool]:
    weekdays: set[int] = set()
    holidays = False
    for item in token.split(","):
        if item == "PH":
            holidays = True
            continue
        ends = item.split("-")
        bad = [e for e in ends if e not in WEEKDAYS]
        if len(ends) > 2 or bad:
            raise _error(
                rule_no,
                _('"%(day)s" is not a weekday (Mo Tu We Th Fr Sa Su), a range like Mo-Fr, or PH.')
                % {"day": bad[0] if bad else item},
            )
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        weekdays.update(span)
    return frozenset(weekdays), holidays


def _parse_rule(text: str, rule_no: int) -> Rule:
    if text == "24/7":
        return Rule(frozenset(range(7)), True, ((0, FULL_DAY),))
    tokens = text.split()
    days, holidays = frozenset(range(7)), False
    if tokens and not tokens[0][0].isdigit() and tokens[0] not in ("off", "closed"):
        days, holidays = _parse_days(tokens.pop(0), rule_no)
    if len(tokens) > 1:
        raise _error(
            rule_no,
            _('Unexpected "%(token)s": one day list and one time list per rule.')
            % {"token": tokens[1]},
        )
    if not tokens:
        return Rule(days, holidays, ((0, FULL_DAY),))
    if tokens[0] in ("off", "closed"):
        return Rule(days, holidays, ())
    spans = tuple(sorted(_parse_span(t, rule_no) for t in tokens[0].split(",")))
    return Rule(days, holidays, spans)


def parse(text: str) -> Schedule:
    """Parse an opening_hours value; raise ValidationError naming the rule and token at fault."""
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise ValidationError(_("The sharing hours are empty."), code="invalid_opening_hours")
    parts = [p.strip() for p in cleaned.split(";")]
    rules = []
    for number, part in enumerate(parts, start=1):
        if not part:
            raise _error(number, _("The rule is empty (two semicolons in a row?)."))
        rules.append(_parse_rule(part, number))
    return Schedule(cleaned, tuple(rules))


@lru_cache(maxsize=256)
def cached(text: str) -> Schedule:
    """Parse once per process: the gate evaluates the same few schedules many times a second."""
    return parse(text)
