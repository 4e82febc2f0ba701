"""Input types shared by every API schema: bounded integers, datetimes and dates in range.

An input the database cannot hold must be a 422 naming the field, never a 500 deep in a
driver (``OverflowError`` for an integer past 64 bits, ``DataError`` past 32 bits on
PostgreSQL, ``OverflowError`` for year 1 shifted to UTC). Every integer of an input schema is
one of the types below (``tests/core/api/test_schema.py`` checks that); an integer with
tighter bounds of its own says both (``Field(ge=1, le=500)``). Do not put ``Field(ge=…)`` as
the default of an ``Int`` field: pydantic keeps the annotation's bounds and drops the default's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator, Field

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


def _aware(value: datetime) -> datetime:
    """A time without an offset is local time (SHEQU_TIME_ZONE); any time must fit in UTC."""
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise _out_of_range() from exc
    if not _EARLIEST <= in_utc <= _LATEST:
        raise _out_of_range()
    return value


def _day(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _out_of_range()
    return value


LocalDatetime = Annotated[datetime, AfterValidator(_aware)]
Day = Annotated[date, AfterValidator(_day)]
