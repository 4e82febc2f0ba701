"""Residents' feedback (群众反响, R4.4): satisfaction and time to first reply, per service."""

from __future__ import annotations

from datetime import datetime

from shequ.core.models import Region
from shequ.dashboard.indicators.registry import Compute, Direction, Function, Indicator, register
from shequ.dashboard.services.feedback_figures import reply_hours_median, satisfaction

# service key, Chinese name, English name ("" is every service together)
SERVICES = (
    ("", "", ""),
    ("parking", "错峰停车", "shared parking"),
    ("timebank", "时间银行", "time bank"),
    ("access", "门禁", "access control"),
    ("flood", "防汛信息", "flood information"),
)


def _satisfaction(service: str) -> Compute:
    def compute(region: Region, now: datetime) -> float:
        return satisfaction(region, now, service)

    return compute


def _reply_hours(service: str) -> Compute:
    def compute(region: Region, now: datetime) -> float:
        return reply_hours_median(region, now, service)

    return compute


def _indicators() -> list[Indicator]:
    made = []
    for service, zh, en in SERVICES:
        suffix = f"_{service}" if service else ""
        made.append(
            Indicator(
                f"feedback.satisfaction{suffix}",
                "feedback",
                f"{zh}群众满意度" if zh else "群众满意度",
                f"Satisfaction, {en}" if en else "Residents' satisfaction",
                "分（满分5）",
                "of 5",
                Function(_satisfaction(service)),
                as_of=True,
                target=4.5,
                public=not service,
                decimals=2,
                description="近30天居民评价的平均星级。",
                description_en="Average rating residents gave in the last 30 days.",
            )
        )
        made.append(
            Indicator(
                f"feedback.reply_hours{suffix}",
                "feedback",
                f"{zh}首次回复用时中位数" if zh else "首次回复用时中位数",
                f"Time to first reply, {en}, median" if en else "Time to first reply, median",
                "小时",
                "hours",
                Function(_reply_hours(service)),
                as_of=True,
                direction=Direction.LOWER,
                target=24,
                decimals=1,
                description="近30天居民评价从提交到工作人员首次回复的用时中位数。",
                description_en="Median time from a resident's comment to the staff's first "
                "reply, last 30 days.",
            )
        )
    return made


register(*_indicators())
