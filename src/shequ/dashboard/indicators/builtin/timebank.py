"""Time bank (R4): volunteers, services, hours, time to take (p50/p90), satisfaction."""

from __future__ import annotations

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
from shequ.timebank.services import public

DAYS = 30
# One run asks for several figures of the same region and moment: compute them once.
_CACHE: dict[tuple[str, datetime], public.Indicators] = {}


def _figures(region: Region, now: datetime) -> public.Indicators:
    key = (region.code, now)
    if key not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = public.indicators(region, now - timedelta(days=DAYS), now)
    return _CACHE[key]


def _field(name: str, factor: float = 1.0) -> Callable[[Region, datetime], float]:
    def compute(region: Region, now: datetime) -> float:
        value = getattr(_figures(region, now), name)
        if value is None:
            raise NoData(Reason.NOT_MEASURED, f"no {name.replace('_', ' ')} in {DAYS} days")
        return round(float(value) * factor, 2)

    return compute


register(
    Indicator(
        "timebank.volunteers",
        "timebank",
        "注册志愿者",
        "Registered volunteers",
        "人",
        "people",
        Function(_field("registered_volunteers")),
        as_of=True,
        target=356,
        public=True,
        key_figure=True,
        description="时间银行注册的志愿者（R4.3：356名）。",
        description_en="Volunteers registered with the time bank (R4.3: 356).",
    ),
    Indicator(
        "timebank.services_30d",
        "timebank",
        "近30天完成服务",
        "Services completed, last 30 days",
        "次",
        "services",
        Function(_field("services_completed")),
        as_of=True,
        public=True,
        key_figure=True,
    ),
    Indicator(
        "timebank.hours_30d",
        "timebank",
        "近30天确认服务时长",
        "Confirmed hours, last 30 days",
        "小时",
        "hours",
        Function(_field("confirmed_minutes", 1 / 60)),
        as_of=True,
        decimals=1,
    ),
    Indicator(
        "timebank.take_p50",
        "timebank",
        "接单用时中位数",
        "Time to take a request, median",
        "分钟",
        "minutes",
        Function(_field("take_minutes_p50")),
        as_of=True,
        direction=Direction.LOWER,
        target=30,
        decimals=1,
    ),
    Indicator(
        "timebank.take_p90",
        "timebank",
        "接单用时90百分位",
        "Time to take a request, 90th percentile",
        "分钟",
        "minutes",
        Function(_field("take_minutes_p90")),
        as_of=True,
        direction=Direction.LOWER,
        target=120,
        decimals=1,
    ),
    Indicator(
        "timebank.satisfaction",
        "timebank",
        "服务满意度",
        "Satisfaction",
        "分（满分5）",
        "of 5",
        Function(_field("satisfaction")),
        as_of=True,
        target=4.5,
        public=True,
        decimals=2,
    ),
)
