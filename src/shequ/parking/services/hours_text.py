"""Sharing hours in words for residents: ``Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00`` becomes
"Mon–Fri 18:30–08:00 next day; Sat, Sun and public holidays all day" (周一至周五 18:30–次日 08:00；
周六、周日及法定节假日 全天).

The description is of the schedule's effect, not its wording: days with the same spans are
grouped whatever rule set them, and public holidays join the group whose spans they share.
Text is translated with the active language at call time.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from shequ.parking.services import opening_hours
from shequ.parking.services.opening_hours import FULL_DAY, Schedule

Spans = tuple[tuple[int, int], ...]


def _day_names() -> tuple[str, ...]:
    return (
        pgettext("weekday", "Mon"),
        pgettext("weekday", "Tue"),
        pgettext("weekday", "Wed"),
        pgettext("weekday", "Thu"),
        pgettext("weekday", "Fri"),
        pgettext("weekday", "Sat"),
        pgettext("weekday", "Sun"),
    )


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _listing(items: list[str]) -> str:
    """Items in a row: 周六、周日 / Sat, Sun (punctuation, so not in the catalogue)."""
    return ("、" if _chinese() else ", ").join(items)


def _phrase(days: str, times: str) -> str:
    return f"{days} {times}"


def _runs(days: set[int]) -> list[list[int]]:
    """Consecutive runs of weekdays, wrapping from Sunday to Monday (``Fr-Mo``)."""
    if len(days) == 7:
        return [list(range(7))]
    starts = [d for d in range(7) if d in days and (d - 1) % 7 not in days]
    runs = []
    for start in starts:
        run, day = [start], (start + 1) % 7
        while day in days and day != start:
            run.append(day)
            day = (day + 1) % 7
        runs.append(run)
    return runs


def _days_phrase(days: set[int], holidays: bool) -> str:
    names = _day_names()
    parts: list[str] = []
    for run in _runs(days):
        if len(run) >= 3:
            parts.append(_("%(first)s–%(last)s") % {"first": names[run[0]], "last": names[run[-1]]})
        else:
            parts.extend(names[d] for d in run)
    if not parts:
        return _("public holidays") if holidays else ""
    text = _listing(parts)
    return _("%(days)s and public holidays") % {"days": text} if holidays else text


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _spans_phrase(spans: Spans) -> str:
    parts = []
    for start, end in spans:
        if (start, end) == (0, FULL_DAY):
            parts.append(_("all day"))
        elif end > FULL_DAY:
            parts.append(
                _("%(start)s–%(end)s next day")
                % {"start": _clock(start), "end": _clock(end - FULL_DAY)}
            )
        else:
            parts.append(f"{_clock(start)}–{_clock(end)}")
    return _listing(parts)


def _holiday_spans(schedule: Schedule) -> Spans | None:
    """What a public holiday gets, when some rule mentions PH (None: holidays are ordinary)."""
    if not any(rule.holidays for rule in schedule.rules):
        return None
    found: set[Spans] = set()
    for weekday in range(7):
        spans: Spans = ()
        for rule in schedule.rules:
            if weekday in rule.weekdays or rule.holidays:
                spans = rule.spans
        found.add(spans)
    if len(found) == 1:
        return found.pop()
    last = [rule for rule in schedule.rules if rule.holidays][-1]
    return last.spans


def describe(schedule: Schedule) -> str:
    """The schedule in words, in the active language."""
    weekly: list[Spans] = []
    for weekday in range(7):
        spans: Spans = ()
        for rule in schedule.rules:
            if weekday in rule.weekdays:
                spans = rule.spans
        weekly.append(spans)
    holiday = _holiday_spans(schedule)
    groups: dict[Spans, set[int]] = {}
    for weekday, spans in enumerate(weekly):
        if spans:
            groups.setdefault(spans, set()).add(weekday)
    holiday_joined = holiday is None
    phrases = []
    for spans, days in groups.items():
        with_ph = holiday is not None and holiday == spans
        holiday_joined = holiday_joined or with_ph
        if len(days) == 7 and (holiday is None or with_ph):
            if spans == ((0, FULL_DAY),):
                phrases.append(_("every day, 24 hours"))
                continue
            who = _("every day")
        else:
            who = _days_phrase(days, with_ph)
        phrases.append(_phrase(who, _spans_phrase(spans)))
    if holiday is not None and not holiday_joined:
        if holiday:
            phrases.append(_phrase(_("public holidays"), _spans_phrase(holiday)))
        elif groups:
            phrases.append(_("closed on public holidays"))
    text = ("；" if _chinese() else "; ").join(phrases) if phrases else _("not shared")
    return text[:1].upper() + text[1:]


def describe_text(hours: str) -> str:
    """``describe`` for a stored hours string; an unparseable one is shown as it is."""
    try:
        return describe(opening_hours.cached(hours))
    except ValidationError:
        return hours
