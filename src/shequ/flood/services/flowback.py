"""Readings and alerts flow back to the hub every hour (回流, R3.5), for the departments.

Two datasets of the app's own (``Origin.APP``, category emergency): ``flood_readings`` (per
device and time) and ``flood_alerts`` (per alert). Each run upserts what was received or
changed since the last run's mark, through the hub's ingestion pipeline: the primary keys make
a repeated or overlapping run harmless, and the mark moves only after the hub committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from shequ.core.models import Region
from shequ.flood.models import LEVEL_NAMES, Alert, FlowbackMark, Reading

CATEGORY = "emergency"
# A run publishes what was received up to this long ago: a batch whose transaction is still
# open when the run reads (its rows stamped earlier than they become visible) is not skipped.
LAG = timedelta(minutes=2)


def _f(name: str, type_: str, title: str, title_en: str, required: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": type_, "title": title, "title_en": title_en}
    if required:
        field["constraints"] = {"required": True}
    return field


_REGION = {
    **_f("region_code", "string", "所属社区（村）区划代码", "Community/village region code"),
    "constraints": {"required": True, "pattern": r"^\d{12}$"},
}

DATASETS: dict[str, dict[str, Any]] = {
    "flood_readings": {
        "title": "防汛监测读数",
        "title_en": "Flood watch readings",
        "description": "防台防汛监测点的水位计、雨量计、位移计上报的读数（每小时回流）。",
        "description_en": "Readings of the flood watch's water-level, rain and displacement "
        "gauges, flowing back every hour.",
        "schema": {
            "primaryKey": ["device_code", "observed_at"],
            "regionField": "region_code",
            "fields": [
                _f("device_code", "string", "设备编号", "Device", required=True),
                _f("device_kind", "string", "设备类型", "Device kind"),
                _f("point_code", "string", "监测点编码", "Monitoring point code"),
                _f("point_name", "string", "监测点名称", "Monitoring point"),
                _f("observed_at", "datetime", "观测时间", "Observed at", required=True),
                _f("value", "number", "读数", "Value", required=True),
                _f("unit", "string", "单位", "Unit"),
                _f("received_at", "datetime", "接收时间", "Received at"),
                _REGION,
            ],
        },
    },
    "flood_alerts": {
        "title": "防汛预警记录",
        "title_en": "Flood watch alerts",
        "description": "监测点预警的等级、状态和处置时间（每小时回流）。",
        "description_en": "Alerts of the monitoring points: level, state and handling times, "
        "flowing back every hour.",
        "schema": {
            "primaryKey": ["alert_id"],
            "regionField": "region_code",
            "fields": [
                _f("alert_id", "integer", "预警编号", "Alert", required=True),
                _f("point_code", "string", "监测点编码", "Monitoring point code"),
                _f("point_name", "string", "监测点名称", "Monitoring point"),
                _f("rule_kind", "string", "规则类型", "Rule kind"),
                _f("device_code", "string", "设备编号", "Device"),
                _f("level", "integer", "等级（1蓝 2黄 3橙 4红）", "Level (1 blue … 4 red)"),
                _f("level_name", "string", "等级名称", "Level name"),
                _f("state", "string", "状态", "State"),
                _f("opened_at", "datetime", "发生时间", "Opened at"),
                _f("acknowledged_at", "datetime", "确认时间", "Acknowledged at"),
                _f("resolved_at", "datetime", "解除时间", "Resolved at"),
                _f("changed_at", "datetime", "最近变更", "Changed at"),
                _REGION,
            ],
        },
    },
}


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def _readings(since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    rows = (
        Reading.objects.filter(received_at__gt=since, received_at__lte=until)
        .select_related("device", "device__point", "device__point__region")
        .order_by("received_at", "pk")
    )
    for r in rows.iterator(chunk_size=5000):
        d = r.device
        yield {
            "device_code": d.code,
            "device_kind": d.kind,
            "point_code": d.point.code,
            "point_name": d.point.name,
            "observed_at": _iso(r.at),
            "value": r.value,
            "unit": d.unit,
            "received_at": _iso(r.received_at),
            "region_code": d.point.region.code,
        }


def _alerts(since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    rows = Alert.objects.filter(updated__gt=since, updated__lte=until).select_related(
        "point", "point__region", "rule", "rule__device"
    )
    for a in rows.order_by("pk"):
        yield {
            "alert_id": a.pk,
            "point_code": a.point.code,
            "point_name": a.point.name,
            "rule_kind": a.rule.kind,
            "device_code": a.rule.device.code,
            "level": a.level,
            "level_name": LEVEL_NAMES[a.level],
            "state": a.state,
            "opened_at": _iso(a.opened_at),
            "acknowledged_at": _iso(a.acknowledged_at),
            "resolved_at": _iso(a.resolved_at),
            "changed_at": _iso(a.changed_at),
            "region_code": a.point.region.code,
        }


def publish(now: datetime | None = None) -> dict[str, int]:
    """Upsert what was received or changed since each dataset's mark, up to ``LAG`` before
    ``now``; dataset -> rows published."""
    now = now or timezone.now()
    return {
        "flood_readings": _publish("flood_readings", _readings, now),
        "flood_alerts": _publish("flood_alerts", _alerts, now),
    }


def _publish(key: str, rows_of: Any, now: datetime) -> int:
    mark = FlowbackMark.objects.filter(key=key).first()
    since = mark.until if mark else datetime(2000, 1, 1, tzinfo=UTC)
    until = now - LAG
    rows = list(rows_of(since, until))
    if rows:
        _upsert(key, rows)
    with transaction.atomic():
        FlowbackMark.objects.update_or_create(key=key, defaults={"until": until})
    return len(rows)


def _upsert(key: str, rows: Iterable[dict[str, Any]]) -> None:
    from shequ.hub.services import flowback

    spec = DATASETS[key]
    dataset = flowback.publish_dataset(
        None,
        region=_home_region(),
        key=key,
        category=CATEGORY,
        schema=spec["schema"],
        title=spec["title"],
        title_en=spec["title_en"],
        description=spec["description"],
        description_en=spec["description_en"],
        sharing="unconditional",
        frequency="hourly",
        tags=["防汛", "千里眼", "水位"],
        licence="政务内部共享",
    )
    flowback.publish_rows(dataset, rows, mode="upsert")


def _home_region() -> Region:
    """The top of the region tree: each row carries its own village's code."""
    top = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if top is None:
        raise RuntimeError("flood flowback: no region to publish under; load the regions first")
    return top
