"""The parking indices as hub datasets: published by the parking app (flowback, R1.4), read back.

Three datasets of the app's own (``Origin.APP``, category traffic), owned by the region that owns
the gate records: ``berth_index_hourly`` (per garage and hour), ``idle_night_spaces`` (per garage)
and ``estate_parking_index`` (per estate). Each is replaced as a whole through the ingestion
pipeline; rows identical to the last version make no new version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from shequ.parking.indices.figures import BerthHour, EstateIndex, GarageNight, Window
from shequ.parking.indices.sql import has_data, location_of, query, sql_literal, sql_timestamp


def _f(name: str, type_: str, title: str, title_en: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "title_en": title_en, **extra}


_REGION = _f(
    "region_code",
    "string",
    "所属社区（村）区划代码",
    "Community/village region code",
    constraints={"required": True, "pattern": r"^\d{12}$"},
)
_REQUIRED = {"required": True}

DATASETS: dict[str, dict[str, Any]] = {
    "berth_index_hourly": {
        "title": "泊位指数（逐时）",
        "title_en": "Berth index by hour",
        "description": "由停车场过车记录还原的各停车场逐时在库车辆数、占用率、周转率"
        "和平均停放时长。",
        "description_en": "Cars inside, occupancy rate, turnover and average stay of each car "
        "park per hour, rebuilt from its barrier plate reads.",
        "schema": {
            "primaryKey": ["garage_code", "hour_start"],
            "regionField": "region_code",
            "fields": [
                _f("garage_code", "string", "停车场编码", "Car park code", constraints=_REQUIRED),
                _f("hour_start", "datetime", "时段开始", "Hour starting", constraints=_REQUIRED),
                _f("weekday", "integer", "星期（1=周一）", "Weekday (1 = Monday)"),
                _f("hour", "integer", "小时", "Hour of day"),
                _f("capacity", "integer", "泊位总数", "Capacity"),
                _f("occupied", "integer", "整点在库车辆数", "Cars inside on the hour"),
                _f("occupancy_rate", "number", "占用率", "Occupancy rate"),
                _f("entries", "integer", "驶入车次", "Entries"),
                _f("exits", "integer", "驶出车次", "Exits"),
                _f("turnover", "number", "周转率", "Turnover"),
                _f("stays", "integer", "完整停放次数", "Completed stays"),
                _f("avg_stay_minutes", "number", "平均停放时长（分钟）", "Average stay (minutes)"),
                _REGION,
            ],
        },
    },
    "idle_night_spaces": {
        "title": "夜间空余泊位",
        "title_en": "Idle night-time spaces",
        "description": "各停车场泊位总数减去近几周 22:00—06:00 整点在库车辆数的第 95 百分位数，"
        "即夜间可共享给居民的泊位。",
        "description_en": "Capacity of each car park minus the 95th percentile of cars inside "
        "on the hour from 22:00 to 06:00 over recent weeks: spaces that can be shared at night.",
        "schema": {
            "primaryKey": ["garage_code"],
            "regionField": "region_code",
            "fields": [
                _f("garage_code", "string", "停车场编码", "Car park code", constraints=_REQUIRED),
                _f("name", "string", "停车场名称", "Name"),
                _f("capacity", "integer", "泊位总数", "Capacity"),
                _f("night_samples", "integer", "夜间采样数", "Night samples"),
                _f("p95_occupied", "integer", "夜间在库车辆第95百分位", "95th percentile at night"),
                _f("idle_spaces", "integer", "夜间空余泊位数", "Idle night spaces"),
                _f("window_start", "datetime", "统计开始", "Window start"),
                _f("window_end", "datetime", "统计结束", "Window end"),
                _REGION,
            ],
        },
    },
    "estate_parking_index": {
        "title": "小区停车指数",
        "title_en": "Estate parking index",
        "description": "各住宅小区夜间停车需求（登记车辆数）与夜间供给（小区车位与步行范围内"
        "共享泊位）之比、缺口及步行范围内的夜间空余泊位。",
        "description_en": "Night parking demand (registered cars) over night supply (estate "
        "spaces and shared spaces within walking distance) per estate, the shortfall, and idle "
        "night spaces within walking distance.",
        "schema": {
            "primaryKey": ["estate_code"],
            "regionField": "region_code",
            "fields": [
                _f("estate_code", "string", "小区编码", "Estate code", constraints=_REQUIRED),
                _f("estate_name", "string", "小区名称", "Estate name"),
                _f("night_demand", "integer", "夜间停车需求", "Night demand"),
                _f("estate_spaces", "integer", "小区车位数", "Estate spaces"),
                _f("shared_spaces", "integer", "步行范围内共享泊位", "Shared spaces within reach"),
                _f("night_supply", "integer", "夜间泊位供给", "Night supply"),
                _f("parking_index", "number", "停车指数", "Parking index"),
                _f("shortfall", "integer", "泊位缺口", "Shortfall"),
                _f("idle_night_spaces", "integer", "步行范围内夜间空余泊位", "Idle night spaces"),
                _f("garages_in_reach", "integer", "步行范围内停车场数", "Car parks within reach"),
                _f("radius_m", "number", "步行半径（米）", "Walking radius (m)"),
                _REGION,
            ],
        },
    },
}


def _berth_row(h: BerthHour) -> dict[str, Any]:
    row = asdict(h)
    row["hour_start"] = h.hour_start.astimezone(UTC).isoformat()
    row["occupancy_rate"] = round(h.occupancy_rate, 4)
    row["turnover"] = round(h.turnover, 4)
    if h.avg_stay_minutes is not None:
        row["avg_stay_minutes"] = round(h.avg_stay_minutes, 1)
    return row


def _night_row(n: GarageNight, window: Window) -> dict[str, Any]:
    return {
        "garage_code": n.garage_code,
        "name": n.name,
        "capacity": n.capacity,
        "night_samples": n.samples,
        "p95_occupied": n.p95_occupied,
        "idle_spaces": n.idle_spaces,
        "window_start": window.start.astimezone(UTC).isoformat(),
        "window_end": window.end.astimezone(UTC).isoformat(),
        "region_code": n.region_code,
    }


def _estate_row(e: EstateIndex) -> dict[str, Any]:
    index = e.parking_index
    return {
        "estate_code": e.estate_code,
        "estate_name": e.estate_name,
        "night_demand": e.night_demand,
        "estate_spaces": e.estate_spaces,
        "shared_spaces": e.shared_spaces,
        "night_supply": e.night_supply,
        "parking_index": None if index is None else round(index, 4),
        "shortfall": e.shortfall,
        "idle_night_spaces": e.idle_night_spaces,
        "garages_in_reach": len(e.garages),
        "radius_m": e.radius_m,
        "region_code": e.region_code,
    }


def publish_all(
    window: Window,
    hours: Sequence[BerthHour],
    nights: Sequence[GarageNight],
    estates: Sequence[EstateIndex],
) -> dict[str, int | None]:
    """Publish the three datasets; dataset -> the version it is at."""
    return {
        "berth_index_hourly": publish("berth_index_hourly", map(_berth_row, hours)),
        "idle_night_spaces": publish("idle_night_spaces", (_night_row(n, window) for n in nights)),
        "estate_parking_index": publish("estate_parking_index", map(_estate_row, estates)),
    }


def publish(key: str, rows: Iterable[dict[str, Any]]) -> int | None:
    """Replace dataset ``key``'s rows through the ingestion pipeline; the version it is at.

    The dataset is created on first use. Rows identical to the last published ones make no
    new version (and so no notice to subscribers).
    """
    from shequ.hub.services import flowback

    spec = DATASETS[key]
    dataset = flowback.publish_dataset(
        None,
        region=_home_region(),
        key=key,
        category="traffic",
        schema=spec["schema"],
        title=spec["title"],
        title_en=spec["title_en"],
        description=spec["description"],
        description_en=spec["description_en"],
        sharing="unconditional",
        frequency="hourly",
        tags=["停车", "错峰停车", "停车指数", "泊位指数"],
        licence="政务内部共享",
    )
    return flowback.publish_rows(dataset, rows)


def _home_region() -> Any:
    """The region that owns the gate records (the street), else the top of the region tree."""
    from shequ.core.models import Region
    from shequ.hub.models import Dataset

    source = Dataset.objects.select_related("region").filter(key="garage_gate_records").first()
    if source is not None and source.region is not None:
        return source.region
    top = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if top is None:
        raise RuntimeError("parking indices: no region to publish under; load the regions first")
    return top


# ---------------------------------------------------------------------------------------------
# Reading what was published (for the API and pages)
# ---------------------------------------------------------------------------------------------


def published_nights(prefixes: Sequence[str] | None = None) -> dict[str, GarageNight]:
    """Garage -> its published idle night figures (of garages in ``prefixes``' regions)."""
    if not has_data("idle_night_spaces"):
        return {}
    rows = query(
        "SELECT n.*, g.longitude, g.latitude FROM idle_night_spaces n "
        "LEFT JOIN public_parking_lots g ON g.garage_code = n.garage_code "
        f"WHERE {_in_regions('n.region_code', prefixes)} ORDER BY n.garage_code"
    )
    return {
        r["garage_code"]: GarageNight(
            garage_code=r["garage_code"],
            name=r["name"] or r["garage_code"],
            capacity=int(r["capacity"]),
            samples=int(r["night_samples"]),
            p95_occupied=int(r["p95_occupied"]),
            region_code=r["region_code"],
            location=location_of(r),
        )
        for r in rows
    }


def published_window() -> Window | None:
    if not has_data("idle_night_spaces"):
        return None
    rows = query("SELECT min(window_start) AS s, max(window_end) AS e FROM idle_night_spaces")
    if not rows or rows[0]["s"] is None:
        return None
    return Window(rows[0]["s"], rows[0]["e"])


def published_berth(garage: str, since: datetime | None = None) -> list[BerthHour]:
    """The published hours of one garage (from ``since``), in time order."""
    if not has_data("berth_index_hourly"):
        return []
    after = f" AND hour_start >= {sql_timestamp(since)}" if since is not None else ""
    rows = query(
        "SELECT garage_code, hour_start, weekday, hour, capacity, occupied, entries, exits, "
        "stays, avg_stay_minutes, region_code FROM berth_index_hourly "
        f"WHERE garage_code = {sql_literal(garage)}{after} ORDER BY hour_start"
    )
    return [BerthHour(**r) for r in rows if r["capacity"]]


def _in_regions(column: str, prefixes: Sequence[str] | None) -> str:
    if prefixes is None:
        return "TRUE"
    if not prefixes:
        return "FALSE"
    return "(" + " OR ".join(f"starts_with({column}, {sql_literal(p)})" for p in prefixes) + ")"
