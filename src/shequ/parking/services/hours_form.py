"""Sharing hours as a form of days and times, to and from ``opening_hours`` text.

Garage operators tick days and type times; the OpenStreetMap syntax stays as an advanced field
for what the form cannot say. The form says the shapes garages declare in practice:

* nights (or a daytime span) on some weekdays: ``Mo-Fr 18:30-08:00``;
* whole days on others: ``Sa,Su 00:00-24:00``;
* public holidays: all day, closed, or like their weekday.

``compose`` writes the text; ``decompose`` reads text back into the form's values, or None when
the text says more than the form can (then the page fills the advanced field instead).
``decompose(compose(x)) == x`` for every value the form accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shequ.parking.services import opening_hours
from shequ.parking.services.opening_hours import FULL_DAY, WEEKDAYS, Schedule

HOLIDAYS_ALL_DAY = "all_day"
HOLIDAYS_CLOSED = "closed"
HOLIDAYS_AS_WEEKDAY = "weekday"


@dataclass(frozen=True)
class SimpleHours:
    """What the form holds: weekdays are 0 (Monday) to 6; times are ``HH:MM``."""

    span_days: frozenset[int] = frozenset()
    start: str = ""
    end: str = ""  # not after start: the span runs into the next morning
    full_days: frozenset[int] = frozenset()
    holidays: str = HOLIDAYS_AS_WEEKDAY


def _days(days: frozenset[int]) -> str:
    """Mo-Fr, Sa,Su, Mo,We,Fr: runs of three or more days as a range."""
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}")
        else:
            parts.extend(WEEKDAYS[d] for d in run)
    return ",".join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def compose(simple: SimpleHours) -> str:
    """The ``opening_hours`` text of the form's values; ValidationError naming the field."""
    if not simple.span_days and not simple.full_days and simple.holidays != HOLIDAYS_ALL_DAY:
        raise ValidationError({"span_days": [_("Choose at least one day.")]})
    if simple.span_days & simple.full_days:
        raise ValidationError(
            {"full_days": [_("A day is either shared all day or at the times above, not both.")]}
        )
    rules: list[str] = []
    if simple.span_days:
        if not simple.start or not simple.end:
            raise ValidationError({"start": [_("Give the times the garage is shared.")]})
        end = "24:00" if simple.end == "00:00" else simple.end
        if simple.start == end or (simple.start, end) == ("00:00", "24:00"):
            raise ValidationError({"end": [_("For a whole day, tick the day under all day.")]})
        rules.append(f"{_days(simple.span_days)} {simple.start}-{end}")
    whole = _days(simple.full_days)
    if simple.holidays == HOLIDAYS_ALL_DAY:
        whole = f"{whole},PH" if whole else "PH"
    if whole:
        rules.append(f"{whole} 00:00-24:00")
    if simple.holidays == HOLIDAYS_CLOSED:
        rules.append("PH off")
    text = "; ".join(rules)
    opening_hours.parse(text)  # what the form makes always parses
    return text


def decompose(text: str) -> SimpleHours | None:
    """The form's values for ``text``, or None when the form cannot say it exactly."""
    try:
        schedule = opening_hours.parse(text)
    except ValidationError:
        return None
    span_days: frozenset[int] = frozenset()
    span: tuple[int, int] | None = None
    full_days: frozenset[int] = frozenset()
    holidays = HOLIDAYS_AS_WEEKDAY
    for rule in schedule.rules:
        if rule.spans == ((0, FULL_DAY),):
            full_days |= rule.weekdays
            holidays = HOLIDAYS_ALL_DAY if rule.holidays else holidays
        elif not rule.spans and not rule.weekdays and rule.holidays:
            holidays = HOLIDAYS_CLOSED
        elif len(rule.spans) == 1 and not rule.holidays and span in (None, rule.spans[0]):
            span, span_days = rule.spans[0], span_days | rule.weekdays
        else:
            return None
    # A time field cannot hold 24:00: midnight is 00:00, which ``compose`` reads back as 24:00.
    start, end = (_clock(span[0]), _clock(span[1] % FULL_DAY)) if span else ("", "")
    simple = SimpleHours(span_days - full_days, start, end, full_days, holidays)
    try:
        again = opening_hours.parse(compose(simple))
    except ValidationError:
        return None
    return simple if _same_effect(again, schedule) else None


def _same_effect(a: Schedule, b: Schedule) -> bool:
    """Whether two schedules open the same spans on every weekday, holiday or not."""
    monday = date(2024, 1, 1)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        for holidays in ((), (day,)):
            if a.spans_of(day, holidays) != b.spans_of(day, holidays):
                return False
    return True
