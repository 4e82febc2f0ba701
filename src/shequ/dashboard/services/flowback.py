"""The indicator values as a hub dataset (flowback, R1.4): ``dashboard_indicator_values``.

The worker upserts each refresh's rows, so any indicator can be queried and charted over time
in the hub and compared between regions. Aggregates only: nothing personal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shequ.core.models import Region
from shequ.dashboard.models import Value
from shequ.hub.models import Category
from shequ.hub.services import flowback

KEY = "dashboard_indicator_values"
CATEGORY = "civic_volunteering"


def _f(name: str, type_: str, title: str, title_en: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "title_en": title_en, **extra}


SCHEMA: dict[str, Any] = {
    "primaryKey": ["indicator", "scope_code", "computed_at"],
    "regionField": "region_code",
    "fields": [
        _f("indicator", "string", "指标", "Indicator", constraints={"required": True}),
        _f(
            "scope_code",
            "string",
            "区划或小区编码",
            "Region or estate code",
            constraints={"required": True},
        ),
        _f("computed_at", "datetime", "计算时间", "Computed at", constraints={"required": True}),
        _f("value", "number", "指标值", "Value"),
        _f("reason", "string", "无数据原因", "Reason for no data"),
        _f(
            "region_code",
            "string",
            "区划代码",
            "Region code",
            constraints={"required": True, "pattern": r"^\d{12}$"},
        ),
        _f("estate_code", "string", "小区编码", "Estate code"),
    ],
}


def _row(v: Value) -> dict[str, Any]:
    return {
        "indicator": v.indicator,
        "scope_code": v.estate_code or v.region.code,
        "computed_at": v.at.isoformat(),
        "value": "" if v.value is None else v.value,
        "reason": v.reason,
        "region_code": v.region.code,
        "estate_code": v.estate_code,
    }


def publish(values: Iterable[Value]) -> int | None:
    """Upsert the values into the dataset; its version (None: nothing, or no catalog)."""
    rows = [_row(v) for v in values]
    owner = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if not rows or owner is None or not Category.objects.filter(key=CATEGORY).exists():
        return None
    dataset = flowback.publish_dataset(
        None,
        region=owner,
        key=KEY,
        category=CATEGORY,
        schema=SCHEMA,
        title="社区治理指标时间序列",
        title_en="Community indicators over time",
        description="大屏与驾驶舱各指标按街道、社区、小区的历次计算值（汇总数据，不含个人信息）；"
        "无法计算时值为空并注明原因。",
        description_en="Each computed value of the dashboards' indicators per street, "
        "community and estate (aggregates; nothing personal); empty with a reason when it "
        "could not be computed.",
        sharing="unconditional",
        frequency="hourly",
        tags=["指标", "大屏", "文明大脑"],
        licence="政务内部共享",
    )
    return flowback.publish_rows(dataset, rows, mode="upsert")
