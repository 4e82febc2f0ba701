"""The time bank's figures as a hub dataset (flowback, R1.4, R4.4): anonymised aggregates.

``timebank_indicators_monthly`` holds one row per community and calendar month (Asia/Shanghai)
of the indicators in ``services.indicators``: counts, hours, time to take, rates and
satisfaction. No row names or counts a person, so nothing personal leaves the app. The
dataset is replaced as a whole through the hub's ingestion pipeline; identical rows make no
new version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from shequ.core.models import Region
from shequ.hub.models import Category, Dataset
from shequ.hub.services import flowback
from shequ.timebank.models import Member
from shequ.timebank.services.indicators import compute

KEY = "timebank_indicators_monthly"
CATEGORY = "civic_volunteering"
MONTHS = 6


def _f(name: str, type_: str, title: str, title_en: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "title_en": title_en, **extra}


_REQUIRED = {"required": True}
SCHEMA: dict[str, Any] = {
    "primaryKey": ["region_code", "month"],
    "regionField": "region_code",
    "fields": [
        _f(
            "region_code",
            "string",
            "社区区划代码",
            "Community region code",
            constraints={"required": True, "pattern": r"^\d{12}$"},
        ),
        _f("month", "string", "月份", "Month", constraints=_REQUIRED),
        _f("registered_volunteers", "integer", "注册志愿者数", "Registered volunteers"),
        _f("active_volunteers", "integer", "活跃志愿者数", "Active volunteers"),
        _f("requests_posted", "integer", "求助单数", "Help requests posted"),
        _f("services_completed", "integer", "完成服务次数", "Services completed"),
        _f("confirmed_hours", "number", "确认服务时长（小时）", "Confirmed hours"),
        _f("take_minutes_p50", "number", "接单用时中位数（分钟）", "Minutes to take, median"),
        _f("take_minutes_p90", "number", "接单用时90百分位（分钟）", "Minutes to take, p90"),
        _f("completion_rate", "number", "完成率", "Completion rate"),
        _f("demand_answered", "number", "需求响应率", "Demand answered"),
        _f("satisfaction", "number", "满意度（满分5）", "Satisfaction (of 5)"),
        _f("ratings", "integer", "评价数", "Ratings"),
    ],
}


def months(now: datetime, count: int = MONTHS) -> list[tuple[datetime, datetime]]:
    """The last ``count`` calendar months (local time), the current one included, oldest first."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    spans = []
    for _ in range(count):
        start = local.replace(
            year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0
        )
        after = (year + 1, 1) if month == 12 else (year, month + 1)
        spans.append((start, start.replace(year=after[0], month=after[1])))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(spans))


def rows(now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    communities = Region.objects.filter(
        pk__in=Member.objects.values("region_id").distinct()
    ).order_by("code")
    found = []
    for region in communities:
        for start, end in months(now):
            f = compute(region, start, min(end, now))
            found.append(
                {
                    "region_code": region.code,
                    "month": f"{start:%Y-%m}",
                    "registered_volunteers": f.registered_volunteers,
                    "active_volunteers": f.active_volunteers,
                    "requests_posted": f.requests_posted,
                    "services_completed": f.services_completed,
                    "confirmed_hours": round(f.confirmed_minutes / 60, 2),
                    "take_minutes_p50": f.take_minutes_p50,
                    "take_minutes_p90": f.take_minutes_p90,
                    "completion_rate": f.completion_rate,
                    "demand_answered": f.demand_answered,
                    "satisfaction": f.satisfaction,
                    "ratings": f.ratings,
                }
            )
    return found


def owner() -> Region | None:
    """The street above the communities (the region of the hub's volunteers data), else the top."""
    source = Dataset.objects.select_related("region").filter(key="volunteers").first()
    if source is not None and source.region is not None:
        return source.region
    return Region.objects.filter(parent__isnull=True).order_by("code").first()


def publish(now: datetime | None = None) -> int | None:
    """Replace the dataset's rows; the version it is at (None: no hub catalog to publish in)."""
    region = owner()
    if region is None or not Category.objects.filter(key=CATEGORY).exists():
        return None
    dataset = flowback.publish_dataset(
        None,
        region=region,
        key=KEY,
        category=CATEGORY,
        schema=SCHEMA,
        title="时间银行月度指标",
        title_en="Time bank indicators by month",
        description="各社区时间银行每月的注册与活跃志愿者、求助与完成服务、确认时长、接单用时、"
        "完成率、需求响应率和满意度（汇总数据，不含个人信息）。",
        description_en="Per community and month: registered and active volunteers, requests "
        "and services completed, confirmed hours, time to take, completion rate, demand "
        "answered and satisfaction (aggregates; nothing personal).",
        sharing="unconditional",
        frequency="daily",
        tags=["时间银行", "志愿服务"],
        licence="政务内部共享",
    )
    return flowback.publish_rows(dataset, rows(now))
