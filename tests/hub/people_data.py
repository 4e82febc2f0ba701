"""Data for the ingestion tests: the ``people`` schema, rows as an upstream file holds them."""

from __future__ import annotations

import csv
import io
from typing import Any

from shequ.hub.models import Category, Dataset

# Every type, a primary key, each kind of constraint, personal columns and a region field.
PEOPLE_SCHEMA: dict[str, Any] = {
    "primaryKey": ["person_id"],
    "regionField": "region_code",
    "fields": [
        {
            "name": "person_id",
            "title": "人员编号",
            "title_en": "Person ID",
            "constraints": {"pattern": "P[0-9]{4}"},
        },
        {
            "name": "name",
            "title": "姓名",
            "title_en": "Name",
            "pii": "name",
            "grade": "important",
            "constraints": {"required": True, "maxLength": 20},
        },
        {
            "name": "id_number",
            "title": "身份证号",
            "pii": "id_card",
            "grade": "core",
            "constraints": {"unique": True},
        },
        {
            "name": "age",
            "type": "integer",
            "title": "年龄",
            "constraints": {"minimum": 0, "maximum": 120},
        },
        {"name": "score", "type": "number", "title": "评分"},
        {"name": "sex", "title": "性别", "constraints": {"enum": ["男", "女"]}},
        {"name": "born", "type": "date", "title": "出生日期"},
        {"name": "seen_at", "type": "datetime", "title": "登记时间"},
        {"name": "active", "type": "boolean", "title": "是否在册"},
        {
            "name": "region_code",
            "title": "区划代码",
            "constraints": {"required": True, "pattern": "[0-9]{12}"},
        },
    ],
}
# The header an upstream platform sends: the fields' Chinese titles, in schema order.
HEADER = [
    "人员编号",
    "姓名",
    "身份证号",
    "年龄",
    "评分",
    "性别",
    "出生日期",
    "登记时间",
    "是否在册",
    "区划代码",
]
COMMUNITY = "990102001001"


def person(i: int, **changes: Any) -> dict[str, Any]:
    """One valid input row (as an upstream file would hold it), keyed by header."""
    row = {
        "人员编号": f"P{i:04d}",
        "姓名": "张三",
        "身份证号": "",
        "年龄": str(20 + i % 80),
        "评分": f"{i % 10}.5",
        "性别": "男" if i % 2 else "女",
        "出生日期": "1990-01-01",
        "登记时间": "2026-10-31 08:00:00",
        "是否在册": "是",
        "区划代码": COMMUNITY,
    }
    row.update(changes)
    return row


def csv_text(rows: list[dict[str, Any]], header: list[str] | None = None) -> str:
    header = header or (list(rows[0]) if rows else HEADER)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


def quarantine(run: Any) -> list[dict[str, str]]:
    """The rows of a run's quarantine CSV (row, column, reason)."""
    assert run.quarantine, f"run {run.pk} has no quarantine file"
    with open(run.quarantine, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def table_rows(key: str, version: int | None = None) -> list[dict[str, Any]]:
    """All rows of a dataset's Delta table (a version of it), ordered by primary key."""
    from shequ.hub.storage import open_table

    table = open_table(key, version=version)
    assert table is not None, f"no Delta table for {key}"
    return sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: r["person_id"])


def make_dataset(category: Category, key: str, schema: dict[str, Any]) -> Dataset:
    return Dataset.objects.create(
        key=key,
        title="人员名单",
        title_en="People",
        category=category,
        tier="street",
        sharing="conditional",
        schema=schema,
    )


def compute_statistics() -> None:
    """Run the statistics job each pending version queued at its commit.

    In tests the worker does not run and the test's transaction never commits, so the job
    queued by ``transaction.on_commit`` is run here, as the worker would run it.
    """
    from shequ.hub.jobs import version_statistics
    from shequ.hub.models import DatasetVersion

    pending = DatasetVersion.objects.filter(stats={}).order_by("version")
    for dataset_id, version in pending.values_list("dataset_id", "version"):
        version_statistics.call_local(dataset_id, version)
