"""Flood and typhoon watch (R3): points online, open alerts by level, time to acknowledge."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime, timedelta

from shequ.core.models import Region
from shequ.dashboard.indicators.registry import (
    Direction,
    Function,
    Indicator,
    NoData,
    Reason,
    register,
)
from shequ.flood.services import public

LEVELS = (
    (4, "red", "红色", "Red"),
    (3, "orange", "橙色", "Orange"),
    (2, "yellow", "黄色", "Yellow"),
    (1, "blue", "蓝色", "Blue"),
)


def _online(region: Region, now: datetime) -> float:
    online, total = public.points_online(region.prefix, now)
    if not total:
        raise NoData(Reason.NOT_MEASURED, "no monitoring point")
    return float(online)


def _open(region: Region, now: datetime) -> float:
    return float(sum(public.open_alerts_by_level(region.prefix).values()))


def _open_at(level: int) -> Callable[[Region, datetime], float]:
    def compute(region: Region, now: datetime) -> float:
        return float(public.open_alerts_by_level(region.prefix).get(level, 0))

    return compute


def _ack(region: Region, now: datetime) -> float:
    minutes = public.minutes_to_acknowledge(region.prefix, days=30)
    if not minutes:
        raise NoData(Reason.NOT_MEASURED, "no alert acknowledged in 30 days")
    return round(statistics.median(minutes), 1)


register(
    Indicator(
        "flood.points_online",
        "flood",
        "在线监测点",
        "Monitoring points online",
        "个",
        "points",
        Function(_online),
        every=timedelta(minutes=5),
        key_figure=True,
        description="有设备在3个上报周期内报数的监测点（R3.2）。",
        description_en="Points with a device that reported within three intervals (R3.2).",
    ),
    Indicator(
        "flood.open_alerts",
        "flood",
        "未关闭防汛预警",
        "Open flood alerts",
        "条",
        "alerts",
        Function(_open),
        every=timedelta(minutes=5),
        direction=Direction.LOWER,
        target=0,
        public=True,
        key_figure=True,
        description="尚未解除的水位、雨量和视频预警（R3.4）。",
        description_en="Water-level, rainfall and camera alerts not yet resolved (R3.4).",
    ),
    *(
        Indicator(
            f"flood.open_alerts_{name}",
            "flood",
            f"未关闭{zh}预警",
            f"Open {en.lower()} alerts",
            "条",
            "alerts",
            Function(_open_at(level)),
            every=timedelta(minutes=5),
            direction=Direction.LOWER,
            target=0,
        )
        for level, name, zh, en in LEVELS
    ),
    Indicator(
        "flood.ack_minutes_p50",
        "flood",
        "预警确认用时中位数",
        "Time to acknowledge an alert, median",
        "分钟",
        "minutes",
        Function(_ack),
        direction=Direction.LOWER,
        target=10,
        decimals=1,
        description="近30天预警从发出到值班人员确认的分钟数中位数。",
        description_en="Median minutes from an alert to its acknowledgement, last 30 days.",
    ),
)
