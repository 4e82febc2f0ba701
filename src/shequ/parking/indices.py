"""Parking indices (停车指数、泊位指数) and idle night spaces, computed from hub data (R2.6).

Inputs, all hub datasets: ``garage_gate_records`` (plate reads at garage barriers),
``public_parking_lots`` (capacity, location, declared off-peak sharing), ``vehicle_registrations``,
``estate_parking_spaces`` and ``housing_estates`` (location). The heavy part, rebuilding who was
inside each garage hour by hour from the reads, runs as DuckDB SQL through
``run_query_system``; the small joins with locations run in Python. ``docs/parking-indices.md``
defines every figure; ``FORMULAS`` holds the same definitions for the pages' tooltips.
``compute_and_publish_indices`` is the worker job; ``indices_store`` publishes the results as
hub datasets and reads them back for the API.

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

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from shequ.hub.query.engine import max_limit, run_query_system
from shequ.parking.geo import DETOUR_FACTOR, LatLon, walking_m

log = logging.getLogger(__name__)

DEFAULT_WEEKS = 8
WALK_RADIUS_M = 800.0
DEDUP_SECONDS = 300
MISSED_READ_HOURS = 24
LOOKBACK_DAYS = 7
NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)  # samples at these local hours: 22:00 to 06:00
NIGHT_PERCENTILE = 0.95
CAR_TYPES = ("小型汽车", "新能源小型汽车")  # vehicles that need a car space
QUERY_TIMEOUT = 600.0
PURPOSE = "parking indices: pairing garage entries and exits by plate (plates never leave SQL)"

FORMULAS = {
    "occupancy_rate": _(
        "Occupancy rate = cars inside at the start of the hour ÷ capacity, averaged over the weeks."
    ),
    "turnover": _("Turnover = entries during the hour ÷ capacity."),
    "avg_stay": _(
        "Average stay = mean time from entry to exit of the stays that began in the hour."
    ),
    "parking_index": _(
        "Parking index = night demand (cars registered at the estate) ÷ night supply (the "
        "estate's spaces + spaces that garages within walking distance share at night). Above "
        "1 means a shortfall."
    ),
    "idle_night_spaces": _(
        "Idle night spaces = capacity − the 95th percentile of cars inside on the hour from "
        "22:00 to 06:00 over the last weeks, summed over garages within walking distance."
    ),
}


@dataclass(frozen=True)
class Window:
    """The hours looked at: samples at start, start + 1 h, ... before end (aware datetimes)."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def weeks(self) -> float:
        return (self.end - self.start).total_seconds() / (7 * 86400)

    @classmethod
    def ending(cls, end: datetime, weeks: int = DEFAULT_WEEKS) -> Window:
        end = _hour_ceil(end)
        return cls(end - timedelta(weeks=weeks), end)


@dataclass(frozen=True)
class BerthHour:
    """Berth index (泊位指数) of one garage in one hour."""

    garage_code: str
    hour_start: datetime
    weekday: int  # ISO: 1 Monday .. 7 Sunday, local time
    hour: int  # 0..23, local time
    capacity: int
    occupied: int  # cars inside at hour_start (at most the capacity)
    entries: int
    exits: int
    stays: int  # stays that began in the hour and whose exit was read
    avg_stay_minutes: float | None
    region_code: str

    @property
    def occupancy_rate(self) -> float:
        return self.occupied / self.capacity

    @property
    def turnover(self) -> float:
        return self.entries / self.capacity


@dataclass(frozen=True)
class GarageNight:
    """Idle night spaces (夜间空余泊位) of one garage."""

    garage_code: str
    name: str
    capacity: int
    samples: int  # night hours sampled
    p95_occupied: int
    region_code: str
    location: LatLon | None = None

    @property
    def idle_spaces(self) -> int:
        return max(0, self.capacity - self.p95_occupied)


@dataclass(frozen=True)
class GarageInReach:
    garage_code: str
    name: str
    walk_m: int
    capacity: int
    shared_spaces: int  # declared off-peak shared spaces
    p95_occupied: int | None  # None: no gate records, so no idle figure
    idle_spaces: int | None


@dataclass(frozen=True)
class EstateIndex:
    """Parking index (停车指数) of one estate, with the garages within walking distance."""

    estate_code: str
    estate_name: str
    region_code: str
    households: int
    night_demand: int
    estate_spaces: int
    shared_spaces: int
    radius_m: float
    garages: tuple[GarageInReach, ...] = ()
    location: LatLon | None = None

    @property
    def night_supply(self) -> int:
        return self.estate_spaces + self.shared_spaces

    @property
    def parking_index(self) -> float | None:
        return self.night_demand / self.night_supply if self.night_supply else None

    @property
    def shortfall(self) -> int:
        return max(0, self.night_demand - self.night_supply)

    @property
    def idle_night_spaces(self) -> int:
        return sum(g.idle_spaces or 0 for g in self.garages)


# ---------------------------------------------------------------------------------------------
# SQL helpers
# ---------------------------------------------------------------------------------------------


def _hour_ceil(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


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


# ---------------------------------------------------------------------------------------------
# Hour-of-week berth index
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BerthCell:
    """The berth index of one garage at one hour of the week, averaged over the weeks."""

    weekday: int
    hour: int
    occupancy_rate: float
    turnover: float
    avg_stay_minutes: float | None
    samples: int


def hour_of_week(hours: Iterable[BerthHour]) -> dict[str, list[BerthCell]]:
    """Garage -> its 7 x 24 cells (weekday, hour order); cells without samples are left out."""
    sums: dict[tuple[str, int, int], list[float]] = {}
    for h in hours:
        acc = sums.setdefault((h.garage_code, h.weekday, h.hour), [0, 0.0, 0.0, 0, 0.0])
        acc[0] += 1
        acc[1] += h.occupancy_rate
        acc[2] += h.turnover
        acc[3] += h.stays
        acc[4] += (h.avg_stay_minutes or 0.0) * h.stays
    cells: dict[str, list[BerthCell]] = {}
    for (garage, weekday, hour), (n, occ, turn, stays, minutes) in sorted(sums.items()):
        cells.setdefault(garage, []).append(
            BerthCell(weekday, hour, occ / n, turn / n, minutes / stays if stays else None, int(n))
        )
    return cells


# ---------------------------------------------------------------------------------------------
# Estates: parking index and idle spaces within walking distance
# ---------------------------------------------------------------------------------------------


def _garage_sites() -> list[dict[str, Any]]:
    return query(
        "SELECT garage_code, name, capacity, coalesce(offpeak_shared, false) AS shared, "
        "coalesce(offpeak_spaces, 0) AS offpeak_spaces, longitude, latitude, region_code "
        "FROM public_parking_lots ORDER BY garage_code"
    )


def _estate_rows(estate: str | None = None) -> list[dict[str, Any]]:
    types = ", ".join(sql_literal(t) for t in CAR_TYPES)
    where = f"WHERE s.estate_code = {sql_literal(estate)}" if estate is not None else ""
    return query(f"""
WITH cars AS (
  SELECT estate_code, count(*) AS n FROM vehicle_registrations
  WHERE estate_code IS NOT NULL AND coalesce(status, '正常') = '正常'
    AND vehicle_type IN ({types})
  GROUP BY estate_code
),
sites AS (
  SELECT estate_code, any_value(longitude) AS longitude, any_value(latitude) AS latitude
  FROM housing_estates GROUP BY estate_code
)
SELECT s.estate_code, s.estate_name, s.region_code, s.spaces_total,
       coalesce(s.households, 0) AS households, coalesce(c.n, 0) AS night_demand,
       h.longitude, h.latitude
FROM estate_parking_spaces s
LEFT JOIN cars c ON c.estate_code = s.estate_code
LEFT JOIN sites h ON h.estate_code = s.estate_code
{where}
ORDER BY s.estate_code""")


def estate_indices(
    idle: Mapping[str, GarageNight],
    *,
    radius_m: float | None = None,
    estate: str | None = None,
    detour: float = DETOUR_FACTOR,
) -> list[EstateIndex]:
    """Parking index of every estate (or one), with the garages within ``radius_m`` walking.

    ``idle`` maps garage code -> its night figures (from ``night_idle`` or the published
    dataset); garages within reach without figures are listed with ``idle_spaces`` None.
    """
    from shequ.parking.services.garages import shared_spaces_by_garage

    radius = float(radius_m if radius_m is not None else walk_radius_m())
    sites = _garage_sites()
    shared = shared_spaces_by_garage()
    out = []
    for row in _estate_rows(estate):
        home = location_of(row)
        reach = _in_reach(home, sites, idle, radius, detour, shared) if home is not None else []
        out.append(
            EstateIndex(
                estate_code=row["estate_code"],
                estate_name=row["estate_name"],
                region_code=row["region_code"],
                households=int(row["households"]),
                night_demand=int(row["night_demand"]),
                estate_spaces=int(row["spaces_total"]),
                shared_spaces=sum(g.shared_spaces for g in reach),
                radius_m=radius,
                garages=tuple(reach),
                location=home,
            )
        )
    return out


def _in_reach(
    home: LatLon,
    sites: list[dict[str, Any]],
    idle: Mapping[str, GarageNight],
    radius: float,
    detour: float,
    shared: Mapping[str, int],
) -> list[GarageInReach]:
    """The garages within ``radius`` metres walking of home, nearest first.

    A garage the platform runs shares what its plans say (``shared``); another one what the
    upstream registry declares.
    """
    reach = []
    for g in sites:
        spot = location_of(g)
        walk = walking_m(home, spot, detour) if spot is not None else math.inf
        if walk > radius:
            continue
        night = idle.get(g["garage_code"])
        reach.append(
            GarageInReach(
                garage_code=g["garage_code"],
                name=g["name"] or g["garage_code"],
                walk_m=round(walk),
                capacity=int(g["capacity"] or 0),
                shared_spaces=shared.get(
                    g["garage_code"], int(g["offpeak_spaces"]) if g["shared"] else 0
                ),
                p95_occupied=night.p95_occupied if night else None,
                idle_spaces=night.idle_spaces if night else None,
            )
        )
    return sorted(reach, key=lambda g: (g.walk_m, g.garage_code))


def walk_radius_m() -> float:
    return float(settings.PARKING_WALK_RADIUS_M)


# ---------------------------------------------------------------------------------------------
# The worker job
# ---------------------------------------------------------------------------------------------


@dataclass
class IndicesReport:
    """What ``compute_and_publish_indices`` computed and published."""

    window: Window | None
    garages: int = 0
    hours: int = 0
    estates: list[EstateIndex] = field(default_factory=list)
    published: dict[str, int | None] = field(default_factory=dict)  # dataset -> version


def compute_and_publish_indices(
    weeks: int = DEFAULT_WEEKS, until: datetime | None = None, radius_m: float | None = None
) -> IndicesReport:
    """The worker job: compute the indices over the last ``weeks`` weeks and publish them."""
    window = default_window(weeks, until)
    if window is None:
        log.info("parking indices: no gate records yet, nothing to compute")
        return IndicesReport(window=None)
    hours = berth_hours(window)
    nights = night_idle(window)
    estates = estate_indices({n.garage_code: n for n in nights}, radius_m=radius_m)
    report = IndicesReport(window, garages=len(nights), hours=len(hours), estates=estates)
    from shequ.parking.indices_store import publish_all

    report.published = publish_all(window, hours, nights, estates)
    log.info(
        "parking indices: %d garages, %d hours, %d estates published",
        len(nights),
        len(hours),
        len(estates),
    )
    return report
