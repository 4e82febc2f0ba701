"""Times to and from the database on the ingestion path, and the path's queries as plain SQL
(compiling the ORM's, each with an ``IN`` of up to 500 devices, cost more than running them).

A batch of 500 readings adapts ~5,000 times on the way in and reads ~5,000 history rows and
1,500 rule states on the way out. Django's adapter and converters (``adapt_datetimefield_value``,
``convert_datetimefield_value``: ``parse_datetime``, ``make_aware``) cost ~0.1 ms of CPU a
reading between them on SQLite (cProfile, ``bench/flood.py``'s batches). On SQLite with the
database in UTC (Django's default) the same text is made and read by ``str`` and
``datetime.fromisoformat``; anywhere else Django's own functions are used.
``tests/flood/services/test_rawsql.py`` checks both against Django's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

Adapt = Callable[[datetime | None], Any]
Convert = Callable[[Any], datetime | None]


def _sqlite_utc() -> bool:
    return bool(
        connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC"
    )


def _adapt_sqlite(value: datetime | None) -> Any:
    if value is None:
        return None
    if value.tzinfo is None:  # Django's rules for a naive time (an error with USE_TZ)
        return connection.ops.adapt_datetimefield_value(value)
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _convert_sqlite(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _convert_other(value: Any) -> datetime | None:
    """PostgreSQL's driver answers aware datetimes; a naive one or text (SQLite with another
    database time zone) is read in the connection's time zone, as Django's converter does."""
    if value is None:
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a time: {value!r}")
        value = parsed
    if settings.USE_TZ and timezone.is_naive(value):
        return timezone.make_aware(value, connection.timezone)
    return value  # type: ignore[no-any-return]


def _memoized(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` remembering its answers: a batch's readings share a few times (a round of
    gauges reports the same minute), each adapted or read back several times."""
    seen: dict[Any, Any] = {}

    def call(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            answer = seen[value] = function(value)
            return answer

    return call


def datetime_adapter() -> Adapt:
    """What a timezone-aware time is stored as by this connection; for one batch (it remembers
    what it adapted)."""
    return _memoized(_adapt_sqlite if _sqlite_utc() else connection.ops.adapt_datetimefield_value)


def datetime_converter() -> Convert:
    """A stored time read back as an aware UTC ``datetime``, as the ORM would; for one batch (it
    remembers what it read)."""
    return _memoized(_convert_sqlite if _sqlite_utc() else _convert_other)


def table(model: type[Model]) -> str:
    """The model's table, quoted for this connection's SQL."""
    return str(connection.ops.quote_name(model._meta.db_table))


def marks(count: int) -> str:
    """``count`` parameter marks, for ``IN (...)``."""
    return ", ".join(["%s"] * count)


def for_update(alias: str) -> str:
    """`` FOR UPDATE OF alias`` where the database locks rows (PostgreSQL), else nothing (SQLite
    runs one writer at a time): what the ORM's ``select_for_update(of=...)`` adds."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    return f" FOR UPDATE OF {alias}" if features.has_select_for_update_of else " FOR UPDATE"


def fetch(sql: str, params: Sequence[Any], datetimes: Sequence[int] = ()) -> list[tuple[Any, ...]]:
    """The rows of a raw query, the columns at ``datetimes`` read back as aware datetimes."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if not datetimes:
        return [tuple(r) for r in fetched]
    convert = datetime_converter()
    out = []
    for row in fetched:
        values = list(row)
        for index in datetimes:
            values[index] = convert(values[index])
        out.append(tuple(values))
    return out
