"""The heavy part of the parking indices: DuckDB SQL over the hub's gate records (R2.6).

Rebuilding who was inside each garage hour by hour runs as DuckDB SQL through
``run_query_system``; plates never leave SQL.

How reads become stays (per garage and plate, reads in time order):

- a read in the same direction as the plate's previous read less than ``DEDUP_SECONDS`` after
  it is a double read and ignored;
- an entry followed by an exit is a stay from one to the other;
- an entry followed by another entry (the exit was not read), or by nothing, counts the car
  inside until that next read, the end of the window, or ``MISSED_READ_HOURS`` after the entry,
  whichever comes first;
- an exit without an entry before it (the entry was not read, or the car came in before the
  reads we look at) counts the car inside since its previous read, or ``MISSED_READ_HOURS``
  before the exit, whichever is later. Reads from ``LOOKBACK_DAYS`` before the window are read
  too, so a car that came in shortly before the window starts is inside at its start;
- reads without a plate (the camera could not read it) count as entries and exits in the
  turnover but cannot be paired into stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from shequ.hub.query.engine import max_limit, run_query_system
from shequ.parking.geo import LatLon
from shequ.parking.indices.figures import (
    DEDUP_SECONDS,
    DEFAULT_WEEKS,
    LOOKBACK_DAYS,
    MISSED_READ_HOURS,
    NIGHT_HOURS,
    NIGHT_PERCENTILE,
    BerthHour,
    GarageNight,
    Window,
)

QUERY_TIMEOUT = 600.0
PURPOSE = "parking indices: pairing garage entries and exits by plate (plates never leave SQL)"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_timestamp(moment: datetime) -> str:
    return f"CAST({sql_literal(moment.astimezone(UTC).isoformat())} AS TIMESTAMPTZ)"


def _zone() -> str:
    return str(settings.TIME_ZONE)


def query(sql: str, *, clear: bool = False) -> list[dict[str, Any]]:
    result = run_query_system(
        sql,
        limit=max_limit(),
        timeout=QUERY_TIMEOUT,
        clear=clear,
        purpose=PURPOSE if clear else "parking indices",
    )
    if result.truncated:
        raise RuntimeError(f"parking indices: more than {result.rows:,} rows; narrow the window")
    return result.table.to_pylist()


def has_data(key: str) -> bool:
    from shequ.hub.models import Dataset

    return Dataset.objects.filter(key=key, version__isnull=False).exists()


def newest_read() -> datetime | None:
    if not has_data("garage_gate_records"):
        return None
    rows = query("SELECT max(event_time) AS t FROM garage_gate_records")
    return rows[0]["t"] if rows else None


def default_window(weeks: int = DEFAULT_WEEKS, until: datetime | None = None) -> Window | None:
    """The last ``weeks`` weeks up to ``until`` (default: the end of the newest read's hour)."""
    if until is not None:
        return Window.ending(until, weeks)
    newest = newest_read()
    if newest is None:
        return None
    return Window.ending(
        newest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1), weeks
    )


def _stays_sql(w: Window) -> str:
    """CTEs ``lots`` (garages with capacity and reads), ``deduped`` reads and ``stays``."""
    lo, cap = w.start - timedelta(days=LOOKBACK_DAYS), MISSED_READ_HOURS * 3600
    end = w.end.timestamp()
    order = "PARTITION BY garage_code, plate ORDER BY e, direction"
    return f"""
lots AS (
  SELECT garage_code, any_value(name) AS name, any_value(capacity) AS capacity,
         any_value(region_code) AS region_code
  FROM public_parking_lots
  WHERE capacity > 0 AND garage_code IN (
    SELECT garage_code FROM garage_gate_records
    WHERE event_time >= {sql_timestamp(w.start)} AND event_time < {sql_timestamp(w.end)})
  GROUP BY garage_code
),
reads AS (
  SELECT garage_code, plate, direction, epoch(event_time) AS e
  FROM garage_gate_records
  WHERE event_time >= {sql_timestamp(lo)} AND event_time < {sql_timestamp(w.end)}
    AND direction IN ('in', 'out') AND plate IS NOT NULL AND trim(plate) <> ''
),
deduped AS (
  SELECT garage_code, plate, direction, e FROM (
    SELECT *, lag(direction) OVER ({order}) AS prev_dir, lag(e) OVER ({order}) AS prev_e
    FROM reads)
  WHERE prev_dir IS NULL OR prev_dir <> direction OR e - prev_e >= {DEDUP_SECONDS}
),
linked AS (
  SELECT garage_code, direction, e,
         lag(direction) OVER ({order}) AS prev_dir, lag(e) OVER ({order}) AS prev_e,
         lead(direction) OVER ({order}) AS next_dir, lead(e) OVER ({order}) AS next_e
  FROM deduped
),
stays AS (
  SELECT garage_code, e AS e_in,
         CASE WHEN next_dir = 'out' THEN next_e
              ELSE least(coalesce(next_e, {end}), e + {cap}) END AS e_out,
         coalesce(next_dir = 'out', false) AS complete
  FROM linked WHERE direction = 'in'
  UNION ALL
  SELECT garage_code, greatest(coalesce(prev_e, e - {cap}), e - {cap}) AS e_in, e AS e_out,
         false AS complete
  FROM linked WHERE direction = 'out' AND coalesce(prev_dir, 'out') = 'out'
)"""


def _hourly_sql(w: Window) -> str:
    """CTEs up to ``hourly``: per garage and hour, cars inside on the hour, entries, exits."""
    e0, hours = w.start.timestamp(), w.hours
    digits = "(VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))"
    first = f"greatest(0, CAST(ceil((e_in - {e0}) / 3600) AS BIGINT))"
    stop = f"least({hours}, CAST(ceil((e_out - {e0}) / 3600) AS BIGINT))"
    bucket = f"CAST(floor((e - {e0}) / 3600) AS BIGINT)"
    return f"""WITH {_stays_sql(w)},
grid AS (
  SELECT a.i + 10 * b.i + 100 * c.i + 1000 * d.i + 10000 * f.i AS i
  FROM {digits} AS a(i), {digits} AS b(i), {digits} AS c(i), {digits} AS d(i),
       {digits} AS f(i)
  WHERE a.i + 10 * b.i + 100 * c.i + 1000 * d.i + 10000 * f.i < {hours}
),
spans AS (
  SELECT garage_code, {first} AS first, {stop} AS stop FROM stays
),
deltas AS (
  SELECT garage_code, i, sum(d) AS d FROM (
    SELECT garage_code, first AS i, 1 AS d FROM spans WHERE first < stop
    UNION ALL
    SELECT garage_code, stop AS i, -1 AS d FROM spans WHERE first < stop AND stop < {hours})
  GROUP BY garage_code, i
),
passages AS (
  SELECT garage_code, direction, e FROM deduped WHERE e >= {e0}
  UNION ALL
  SELECT garage_code, direction, epoch(event_time) AS e FROM garage_gate_records
  WHERE event_time >= {sql_timestamp(w.start)} AND event_time < {sql_timestamp(w.end)}
    AND (plate IS NULL OR trim(plate) = '')
),
flows AS (
  SELECT garage_code, {bucket} AS i,
         sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS entries,
         sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS exits
  FROM passages GROUP BY ALL
),
durations AS (
  SELECT garage_code, CAST(floor((e_in - {e0}) / 3600) AS BIGINT) AS i, count(*) AS stays,
         avg(e_out - e_in) / 60 AS avg_stay_minutes
  FROM stays WHERE complete AND e_in >= {e0} GROUP BY ALL
),
hourly AS (
  SELECT l.garage_code, g.i, l.capacity, l.region_code,
         to_timestamp({e0} + 3600 * g.i) AS hour_start,
         least(l.capacity, coalesce(sum(x.d) OVER (
           PARTITION BY l.garage_code ORDER BY g.i
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0)) AS occupied
  FROM lots l CROSS JOIN grid g
  LEFT JOIN deltas x ON x.garage_code = l.garage_code AND x.i = g.i
)"""


def berth_hours(window: Window) -> list[BerthHour]:
    """Per garage and hour of the window: cars inside on the hour, entries, exits, stays."""
    zone = sql_literal(_zone())
    sql = f"""{_hourly_sql(window)}
SELECT h.garage_code, h.hour_start, h.capacity, h.region_code,
       CAST(greatest(h.occupied, 0) AS BIGINT) AS occupied,
       isodow(h.hour_start AT TIME ZONE {zone}) AS weekday,
       hour(h.hour_start AT TIME ZONE {zone}) AS hour,
       coalesce(f.entries, 0) AS entries, coalesce(f.exits, 0) AS exits,
       coalesce(d.stays, 0) AS stays, d.avg_stay_minutes
FROM hourly h
LEFT JOIN flows f ON f.garage_code = h.garage_code AND f.i = h.i
LEFT JOIN durations d ON d.garage_code = h.garage_code AND d.i = h.i
ORDER BY h.garage_code, h.i"""
    return [
        BerthHour(
            garage_code=r["garage_code"],
            hour_start=r["hour_start"],
            weekday=int(r["weekday"]),
            hour=int(r["hour"]),
            capacity=int(r["capacity"]),
            occupied=int(r["occupied"]),
            entries=int(r["entries"]),
            exits=int(r["exits"]),
            stays=int(r["stays"]),
            avg_stay_minutes=r["avg_stay_minutes"],
            region_code=r["region_code"],
        )
        for r in query(sql, clear=True)
    ]


def night_idle(window: Window) -> list[GarageNight]:
    """Per garage: capacity minus the 95th percentile (nearest rank) of the night samples."""
    zone = sql_literal(_zone())
    night = ", ".join(str(h) for h in NIGHT_HOURS)
    sql = f"""{_hourly_sql(window)},
night AS (
  SELECT garage_code, greatest(occupied, 0) AS occupied FROM hourly
  WHERE hour(hour_start AT TIME ZONE {zone}) IN ({night})
),
ranked AS (
  SELECT garage_code, occupied,
         row_number() OVER (PARTITION BY garage_code ORDER BY occupied) AS rn,
         count(*) OVER (PARTITION BY garage_code) AS n
  FROM night
),
p95 AS (
  SELECT garage_code, max(n) AS samples,
         min(CASE WHEN rn >= ceil({NIGHT_PERCENTILE} * n) THEN occupied END) AS p95_occupied
  FROM ranked GROUP BY garage_code
)
SELECT l.garage_code, l.name, l.capacity, l.region_code, p.samples,
       CAST(p.p95_occupied AS BIGINT) AS p95_occupied, g.longitude, g.latitude
FROM lots l JOIN p95 p ON p.garage_code = l.garage_code
JOIN public_parking_lots g ON g.garage_code = l.garage_code
ORDER BY l.garage_code"""
    return [
        GarageNight(
            garage_code=r["garage_code"],
            name=r["name"] or r["garage_code"],
            capacity=int(r["capacity"]),
            samples=int(r["samples"]),
            p95_occupied=int(r["p95_occupied"]),
            region_code=r["region_code"],
            location=location_of(r),
        )
        for r in query(sql, clear=True)
    ]


def location_of(row: Mapping[str, Any]) -> LatLon | None:
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is None or lon is None:
        return None
    return LatLon(float(lat), float(lon))
