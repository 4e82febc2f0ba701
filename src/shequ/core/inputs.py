"""Input types shared by every API schema: bounded integers, datetimes and dates in range.

An input the database cannot hold must be a 422 naming the field, never a 500 deep in a
driver (``OverflowError`` for an integer past 64 bits, ``DataError`` past 32 bits on
PostgreSQL, ``OverflowError`` for year 1 shifted to UTC). Every integer of an input schema is
one of the types below (``tests/core/api/test_schema.py`` checks that); an integer with
tighter bounds of its own says both (``Field(ge=1, le=500)``). Do not put ``Field(ge=…)`` as
the default of an ``Int`` field: pydantic keeps the annotation's bounds and drops the default's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator, AwareDatetime, Field

INT_MAX = 2**31 - 1  # what an integer column holds on PostgreSQL (and less than SQLite's)

Int = Annotated[int, Field(ge=-INT_MAX - 1, le=INT_MAX)]
NonNegativeInt = Annotated[int, Field(ge=0, le=INT_MAX)]
PositiveInt = Annotated[int, Field(ge=1, le=INT_MAX)]
Id = PositiveInt  # a row's primary key

FIRST_YEAR, LAST_YEAR = 1900, 9998
_EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
_LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC)


def _out_of_range() -> ValueError:
    return ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")


# The offsets in use on Earth run from -12:00 to +14:00; PostgreSQL refuses a timestamp whose
# offset is past ±15:59, which ISO 8601 (and so pydantic) lets through up to ±23:59.
MAX_OFFSET = timedelta(hours=14)


def _in_range(value: datetime) -> datetime:
    """An aware time whose offset is one in use and which fits in UTC between the bounds."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError("the offset must be between -14:00 and +14:00")
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise _out_of_range() from exc
    if not _EARLIEST <= in_utc <= _LATEST:
        raise _out_of_range()
    return value


def _aware(value: datetime) -> datetime:
    """A time without an offset is local time (SHEQU_TIME_ZONE); any time must fit in UTC."""
    if timezone.is_naive(value):
        try:
            value = timezone.make_aware(value)
        except (OverflowError, ValueError) as exc:
            raise _out_of_range() from exc
    return _in_range(value)


def _day(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _out_of_range()
    return value


LocalDatetime = Annotated[datetime, AfterValidator(_aware)]
# A device's or a vendor's time: the offset is required (a naive time is a 422), and in use.
OffsetDatetime = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_day)]
