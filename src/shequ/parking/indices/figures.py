"""The figures: what a garage hour, a garage night and an estate add up to, and their formulas.

Pure values, no I/O: ``sql`` fills them from hub data, ``reach`` joins them with locations,
``store`` publishes and reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from shequ.parking.geo import LatLon

DEFAULT_WEEKS = 8
WALK_RADIUS_M = 800.0
DEDUP_SECONDS = 300
MISSED_READ_HOURS = 24
LOOKBACK_DAYS = 7
NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)  # samples at these local hours: 22:00 to 06:00
NIGHT_PERCENTILE = 0.95
CAR_TYPES = ("小型汽车", "新能源小型汽车")  # vehicles that need a car space

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


def _hour_ceil(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


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
