"""Computing indicators (the worker's refresh): values for every region of the dimension.

``refresh`` computes each indicator whose last run is older than its interval, stores one
``Value`` per region (and estate) with the run's time, and hands the run to the flowback. A
value that cannot be computed is stored as None with its reason, never as zero.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shequ.core.models import Region
from shequ.core.models.regions import RegionLevel
from shequ.dashboard.indicators import REGISTRY, Function, Indicator, Level, NoData, Reason, Sql
from shequ.dashboard.models import Value
from shequ.hub.query import QueryError, run_query_system
from shequ.hub.services.public import has_data

log = logging.getLogger(__name__)
COMMUNITY_LEVELS = (RegionLevel.COMMUNITY, RegionLevel.VILLAGE)
QUERY_TIMEOUT = 120.0


@dataclass(frozen=True)
class Outcome:
    region: Region
    value: float | None
    reason: str = ""
    detail: str = ""
    estate_code: str = ""
    estate_name: str = ""


def dimension(indicator: Indicator) -> list[Region]:
    """The streets and communities (villages) an indicator is computed for."""
    levels: list[str] = []
    if Level.STREET in indicator.levels:
        levels.append(RegionLevel.STREET)
    if Level.COMMUNITY in indicator.levels or Level.ESTATE in indicator.levels:
        levels.extend(COMMUNITY_LEVELS)
    return list(Region.objects.filter(level__in=levels).order_by("code"))


def _missing(regions: Iterable[Region], exc: NoData) -> list[Outcome]:
    return [Outcome(r, None, str(exc.reason), exc.detail[:300]) for r in regions]


def _sql_rows(indicator: Indicator, sql: Sql) -> list[dict[str, Any]]:
    for source in sql.sources:
        if not has_data(source):
            raise NoData(Reason.SOURCE_MISSING, source)
    try:
        result = run_query_system(
            sql.sql, timeout=QUERY_TIMEOUT, purpose=f"dashboard indicator {indicator.key}"
        )
    except QueryError as exc:
        raise NoData(Reason.QUERY_FAILED, exc.message) from exc
    if result.truncated:
        raise NoData(Reason.QUERY_FAILED, f"more than {result.rows} rows")
    return result.table.to_pylist()


def _combine(rows: list[dict[str, Any]], sql: Sql) -> float | None:
    """One value from a region's rows: a sum (or max), or the ratio of the summed parts."""
    if not rows:
        return None
    if "num" in rows[0]:
        den = sum(float(r["den"] or 0) for r in rows)
        if not den:
            raise NoData(Reason.NOT_MEASURED, "denominator is zero")
        return sum(float(r["num"] or 0) for r in rows) / den
    values = [float(r["value"]) for r in rows if r["value"] is not None]
    if not values:
        return None
    return max(values) if sql.rollup == "max" else sum(values)


def _evaluate_sql(indicator: Indicator, sql: Sql, regions: list[Region]) -> list[Outcome]:
    rows = _sql_rows(indicator, sql)
    out: list[Outcome] = []
    for region in regions:
        mine = [r for r in rows if str(r.get("region_code") or "").startswith(region.prefix)]
        try:
            value = _combine(mine, sql)
        except NoData as exc:
            out.extend(_missing([region], exc))
            continue
        if value is None and sql.absent_is_zero:
            value = 0.0
        if value is None:
            out.append(Outcome(region, None, Reason.NOT_MEASURED, "no rows for this region"))
        else:
            out.append(Outcome(region, value * indicator.scale))
        if Level.ESTATE in indicator.levels and region.level in COMMUNITY_LEVELS:
            out.extend(_estates(indicator, sql, region, mine))
    return out


def _estates(
    indicator: Indicator, sql: Sql, region: Region, rows: list[dict[str, Any]]
) -> list[Outcome]:
    out = []
    for row in rows:
        code = str(row.get("estate_code") or "")
        if not code:
            continue
        try:
            value = _combine([row], sql)
        except NoData as exc:
            out.append(Outcome(region, None, exc.reason, exc.detail, estate_code=code))
            continue
        name = str(row.get("estate_name") or "")
        if value is None:
            out.append(Outcome(region, None, Reason.NOT_MEASURED, "empty", code, name))
        else:
            out.append(Outcome(region, value * indicator.scale, estate_code=code, estate_name=name))
    return out


def _evaluate_function(
    indicator: Indicator, fn: Function, regions: list[Region], now: datetime
) -> list[Outcome]:
    out = []
    for region in regions:
        try:
            value = fn.compute(region, now)
        except NoData as exc:
            out.extend(_missing([region], exc))
        except Exception as exc:  # one region's fault must not lose the others' values
            log.exception("indicator %s failed for %s", indicator.key, region.code)
            out.append(Outcome(region, None, Reason.ERROR, type(exc).__name__))
        else:
            out.append(Outcome(region, float(value) * indicator.scale))
    return out


def evaluate(
    indicator: Indicator, now: datetime, regions: list[Region] | None = None
) -> list[Outcome]:
    """The indicator's values for ``regions`` (default: its dimension) at ``now``; never raises
    for missing data: each region gets a value or a reason."""
    regions = dimension(indicator) if regions is None else regions
    definition = indicator.definition
    if isinstance(definition, Sql):
        try:
            return _evaluate_sql(indicator, definition, regions)
        except NoData as exc:
            return _missing(regions, exc)
    return _evaluate_function(indicator, definition, regions, now)


def store(indicator: Indicator, outcomes: list[Outcome], at: datetime) -> list[Value]:
    rows = [
        Value(
            indicator=indicator.key,
            region=o.region,
            estate_code=o.estate_code,
            estate_name=o.estate_name[:100],
            at=at,
            value=None if o.value is None else round(o.value, 4),
            reason=str(o.reason) if o.value is None else "",
            detail=o.detail[:300] if o.value is None else "",
        )
        for o in outcomes
    ]
    with transaction.atomic():
        Value.objects.filter(indicator=indicator.key, at=at).delete()
        return Value.objects.bulk_create(rows)


def due(now: datetime, keys: Iterable[str] | None = None) -> list[Indicator]:
    """Indicators whose last run is older than their interval (or that never ran)."""
    wanted = [REGISTRY[k] for k in keys] if keys is not None else list(REGISTRY.values())
    last = dict(
        Value.objects.filter(indicator__in=[i.key for i in wanted])
        .values_list("indicator")
        .annotate(at=Max("at"))
    )
    return [i for i in wanted if i.key not in last or now - last[i.key] >= i.every]


def refresh(
    keys: Iterable[str] | None = None, *, now: datetime | None = None, force: bool = False
) -> dict[str, int]:
    """Compute the indicators that are due (all of ``keys`` with ``force``); key -> rows."""
    now = now or timezone.now()
    wanted = [REGISTRY[k] for k in keys] if keys is not None else list(REGISTRY.values())
    todo = wanted if force else due(now, [i.key for i in wanted])
    done = {}
    for indicator in todo:
        values = store(indicator, evaluate(indicator, now), now)
        done[indicator.key] = len(values)
    return done
