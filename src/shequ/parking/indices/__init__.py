"""Parking indices (停车指数、泊位指数) and idle night spaces, computed from hub data (R2.6).

Inputs, all hub datasets: ``garage_gate_records`` (plate reads at garage barriers),
``public_parking_lots`` (capacity, location, declared off-peak sharing), ``vehicle_registrations``,
``estate_parking_spaces`` and ``housing_estates`` (location). The heavy part, rebuilding who was
inside each garage hour by hour from the reads, runs as DuckDB SQL through
``run_query_system``; the small joins with locations run in Python. ``docs/parking-indices.md``
defines every figure; ``FORMULAS`` holds the same definitions for the pages' tooltips.
``figures`` holds the values, ``sql`` computes them from the gate records, ``reach`` joins estates
with the garages within walking distance, ``store`` publishes them as hub datasets and reads them
back for the pages and the API. The worker job that runs it all is
``services.indices.compute_and_publish_indices``.

How reads become stays: ``sql``.
"""

from shequ.parking.indices.figures import (
    CAR_TYPES,
    DEDUP_SECONDS,
    DEFAULT_WEEKS,
    FORMULAS,
    LOOKBACK_DAYS,
    MISSED_READ_HOURS,
    NIGHT_HOURS,
    NIGHT_PERCENTILE,
    WALK_RADIUS_M,
    BerthCell,
    BerthHour,
    EstateIndex,
    GarageInReach,
    GarageNight,
    Window,
    hour_of_week,
)
from shequ.parking.indices.reach import estate_indices, walk_radius_m
from shequ.parking.indices.sql import (
    berth_hours,
    default_window,
    has_data,
    location_of,
    newest_read,
    night_idle,
    query,
    sql_literal,
    sql_timestamp,
)
from shequ.parking.indices.store import (
    publish_all,
    published_berth,
    published_nights,
    published_window,
)

__all__ = [
    "CAR_TYPES",
    "DEDUP_SECONDS",
    "DEFAULT_WEEKS",
    "FORMULAS",
    "LOOKBACK_DAYS",
    "MISSED_READ_HOURS",
    "NIGHT_HOURS",
    "NIGHT_PERCENTILE",
    "WALK_RADIUS_M",
    "BerthCell",
    "BerthHour",
    "EstateIndex",
    "GarageInReach",
    "GarageNight",
    "Window",
    "berth_hours",
    "default_window",
    "estate_indices",
    "has_data",
    "hour_of_week",
    "location_of",
    "newest_read",
    "night_idle",
    "publish_all",
    "published_berth",
    "published_nights",
    "published_window",
    "query",
    "sql_literal",
    "sql_timestamp",
    "walk_radius_m",
]
