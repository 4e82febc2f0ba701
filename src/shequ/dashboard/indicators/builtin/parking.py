"""Shared off-peak parking (R2): idle night spaces, passes, occupancy, violations, revenue."""

from __future__ import annotations

from datetime import datetime, timedelta

from shequ.core.models import Region
from shequ.dashboard.indicators.registry import (
    Direction,
    Function,
    Indicator,
    Level,
    Sql,
    register,
)
from shequ.parking.services import public


def _passes(region: Region, now: datetime) -> float:
    return float(public.active_passes(region.prefix, now.date()))


def _revenue(region: Region, now: datetime) -> float:
    return public.revenue_fen(region.prefix, days=30) / 100


register(
    Indicator(
        "parking.idle_night_spaces",
        "parking",
        "夜间空余泊位",
        "Idle night-time spaces",
        "个",
        "spaces",
        Sql(
            "SELECT region_code, sum(idle_spaces) AS value FROM idle_night_spaces "
            "GROUP BY region_code",
            ("idle_night_spaces",),
        ),
        target=600,
        public=True,
        key_figure=True,
        description="各停车场泊位总数减去夜间在库车辆第95百分位数之和（R2.6）。",
        description_en="Sum over car parks of capacity minus the 95th percentile of cars "
        "inside at night (R2.6).",
    ),
    Indicator(
        "parking.active_passes",
        "parking",
        "有效错峰停车证",
        "Active shared passes",
        "张",
        "passes",
        Function(_passes),
        as_of=True,
        every=timedelta(minutes=15),
        target=150,
        public=True,
        key_figure=True,
        description="今天有效的错峰共享停车月卡、年卡（R2.4）。",
        description_en="Monthly and yearly shared passes in force today (R2.4).",
    ),
    Indicator(
        "parking.occupancy",
        "parking",
        "停车场占用率（最近整点）",
        "Car park occupancy (latest hour)",
        "%",
        "%",
        Sql(
            "SELECT region_code, sum(occupied) AS num, sum(capacity) AS den "
            "FROM berth_index_hourly "
            "WHERE hour_start = (SELECT max(hour_start) FROM berth_index_hourly) "
            "GROUP BY region_code",
            ("berth_index_hourly",),
            absent_is_zero=False,
        ),
        direction=Direction.LOWER,
        decimals=1,
        scale=100,
        description="最近一个整点各停车场在库车辆之和除以泊位总数之和。",
        description_en="Cars inside all car parks at the latest hour over their capacity.",
    ),
    Indicator(
        "parking.violations_30d",
        "parking",
        "近30天交通违法",
        "Traffic violations, last 30 days",
        "起",
        "cases",
        Sql(
            "SELECT region_code, count(*) AS value FROM traffic_violations "
            "WHERE violation_time >= now() - INTERVAL 30 DAY GROUP BY region_code",
            ("traffic_violations",),
        ),
        every=timedelta(hours=6),
        direction=Direction.LOWER,
        description="交警推送的辖区道路交通违法记录（用于研判违停高发路段）。",
        description_en="Traffic offences on the area's roads from the traffic police.",
    ),
    Indicator(
        "parking.revenue_30d",
        "parking",
        "近30天停车证收入",
        "Pass revenue, last 30 days",
        "元",
        "yuan",
        Function(_revenue),
        decimals=2,
        description="近30天已支付的错峰停车证订单金额。",
        description_en="Paid shared-pass orders of the last 30 days.",
    ),
    Indicator(
        "parking.estate_shortfall",
        "parking",
        "小区夜间泊位缺口",
        "Estate night parking shortfall",
        "个",
        "spaces",
        Sql(
            "SELECT region_code, estate_code, estate_name, shortfall AS value "
            "FROM estate_parking_index",
            ("estate_parking_index",),
            absent_is_zero=False,
        ),
        direction=Direction.LOWER,
        target=0,
        levels=(Level.STREET, Level.COMMUNITY, Level.ESTATE),
        public=True,
        description="各小区登记车辆数减去小区车位与步行范围内共享泊位之和（R2.1）。",
        description_en="Registered cars minus estate spaces and shared spaces within "
        "walking distance, per estate (R2.1).",
    ),
)
