"""Access control (R5): visitor passes, abnormal events at the gate, welfare alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from shequ.access.services import public
from shequ.core.models import Region
from shequ.dashboard.indicators.registry import Direction, Function, Indicator, register


def _passes(region: Region, now: datetime) -> float:
    return float(public.live_passes(region.prefix, now))


def _figure(name: str) -> Callable[[Region, datetime], float]:
    def compute(region: Region, now: datetime) -> float:
        return float(public.figures(region.prefix)[name])

    return compute


def _welfare(name: str) -> Callable[[Region, datetime], float]:
    def compute(region: Region, now: datetime) -> float:
        return float(public.welfare_figures(region.prefix)[name])

    return compute


register(
    Indicator(
        "access.live_passes",
        "access",
        "有效访客通行证",
        "Visitor passes valid now",
        "张",
        "passes",
        Function(_passes),
        every=timedelta(minutes=15),
    ),
    Indicator(
        "access.checks_24h",
        "access",
        "24小时门禁核验",
        "Gate checks, last 24 hours",
        "次",
        "checks",
        Function(_figure("checks_24h")),
        every=timedelta(minutes=15),
    ),
    Indicator(
        "access.refused_24h",
        "access",
        "24小时异常通行",
        "Abnormal gate events, last 24 hours",
        "次",
        "events",
        Function(_figure("refused_24h")),
        every=timedelta(minutes=15),
        direction=Direction.LOWER,
        key_figure=True,
        description="门禁核验未放行（健康码异常等）的次数（R5.2）。",
        description_en="Gate checks that did not let the person through (R5.2).",
    ),
    Indicator(
        "access.open_alerts",
        "access",
        "未处理门禁预警",
        "Open gate alerts",
        "条",
        "alerts",
        Function(_figure("open_alerts")),
        every=timedelta(minutes=15),
        direction=Direction.LOWER,
        target=0,
    ),
    Indicator(
        "access.welfare_raised_30d",
        "access",
        "近30天独居老人关怀提醒",
        "Welfare alerts, last 30 days",
        "条",
        "alerts",
        Function(_welfare("raised")),
        direction=Direction.LOWER,
    ),
    Indicator(
        "access.welfare_open",
        "access",
        "待上门或电话关怀",
        "Welfare checks still open",
        "条",
        "checks",
        Function(_welfare("open")),
        direction=Direction.LOWER,
        target=0,
        key_figure=True,
    ),
)
