"""Objects and builders of the hub tests; their fixtures are in conftest.py.

Three families of data:

- the ingestion tests' ``people`` (``PEOPLE_SCHEMA``, ``person``, ``make_dataset``): every
  type and constraint, rows as an upstream file holds them;
- the query tests' hub (``SCHEMAS``, ``hub_person``, ``rows_of``, ``make_hub_dataset``):
  five small datasets, ingested once per test session by the ``hub`` fixture and copied into
  each test's data directory —

  - ``people`` (120 rows): names, ID numbers, phones and addresses; a third of the rows each
    in 锦绣社区 990102001001, its sibling 和园社区 990102001002 and 北山社区 990103001001;
  - ``vehicle_registrations`` (60 rows): plates with their owner's name, phone and ID number;
  - ``parking_events`` (600 rows): hourly events of vehicles at lots, with amounts;
  - ``parking_lots`` (10 rows): a dimension without region column (all rows for everyone);
  - ``health_records``: nobody in the tests holds a grant on it;

  ``staff`` of 锦绣社区 has grants on the first four; everything personal is masked for them;
- the data-request tests' regions and ``REQUEST_SCHEMA`` (fixtures ``police``, ``dataset``,
  ``users``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from shequ.core import pii
from shequ.hub.models import Category, Dataset, DatasetVersion, Grant

HOME = "990102001001"  # 锦绣社区

# --- ingestion: the people dataset ---------------------------------------------------------

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
COMMUNITY = HOME


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


# --- query: the hub of five datasets ---------------------------------------------------------

SIBLING = "990102001002"  # 和园社区, same street
ELSEWHERE = "990103001001"  # 北山社区, another district
REGIONS = (HOME, SIBLING, ELSEWHERE)
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳"]


def _s(name: str, title: str, pii_kind: str = "none", type_: str = "string") -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "title": title, "type": type_}
    if pii_kind != "none":
        field["pii"] = pii_kind
        field["grade"] = "important"
    return field


SCHEMAS: dict[str, dict[str, Any]] = {
    "people": {
        "primaryKey": ["person_id"],
        "regionField": "region_code",
        "fields": [
            _s("person_id", "人员编号"),
            _s("name", "姓名", "name"),
            _s("id_number", "身份证号", "id_card"),
            _s("phone", "手机号", "phone"),
            _s("address", "住址", "address"),
            _s("age", "年龄", type_="integer"),
            _s("born", "出生日期", type_="date"),
            _s("seen_at", "登记时间", type_="datetime"),
            _s("active", "是否在册", type_="boolean"),
            _s("region_code", "区划代码"),
        ],
    },
    "vehicle_registrations": {
        "primaryKey": ["plate"],
        "regionField": "region_code",
        "fields": [
            _s("plate", "车牌号", "plate"),
            _s("vehicle_type", "车辆类型"),
            _s("owner_name", "车主姓名", "name"),
            _s("owner_phone", "车主手机号", "phone"),
            _s("owner_id", "车主身份证号", "id_card"),
            _s("region_code", "区划代码"),
        ],
    },
    "parking_events": {
        "primaryKey": ["event_id"],
        "regionField": "region_code",
        "fields": [
            _s("event_id", "事件编号", type_="integer"),
            _s("event_time", "时间", type_="datetime"),
            _s("lot_id", "停车场", type_="integer"),
            _s("plate", "车牌号", "plate"),
            _s("amount", "金额", type_="number"),
            _s("region_code", "区划代码"),
        ],
    },
    "parking_lots": {
        "primaryKey": ["lot_id"],
        "fields": [
            _s("lot_id", "停车场", type_="integer"),
            _s("lot_name", "名称"),
            _s("capacity", "车位", type_="integer"),
        ],
    },
    "health_records": {
        "regionField": "region_code",
        "fields": [
            _s("person_id", "人员编号"),
            _s("condition", "病情", "health"),
            _s("region_code", "区划代码"),
        ],
    },
}
PLATE_LETTERS = "ABCDEFGHJK"


def hub_person(i: int) -> dict[str, Any]:
    return {
        "person_id": f"P{i:04d}",
        "name": SURNAMES[i % 10] + GIVEN[i // 10 % 10],
        "id_number": pii.make_id_number("330106", date(1950 + i % 50, 1 + i % 12, 1 + i % 28), i),
        "phone": f"139{i:08d}",
        "address": f"浙江省杭州市西湖区文三路{i}号",
        "age": 20 + i % 60,
        "born": f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "seen_at": f"2026-10-{1 + i % 28:02d} {i % 24:02d}:15:00",
        "active": "true" if i % 4 else "false",
        "region_code": REGIONS[i % 3],
    }


def vehicle(i: int) -> dict[str, Any]:
    owner = hub_person(i * 2)  # owners are people: P0000, P0002, …
    return {
        "plate": f"浙{PLATE_LETTERS[i % 10]}{10000 + i * 7:05d}",
        "vehicle_type": ["小型汽车", "新能源小型汽车", "大型汽车"][i % 3],
        "owner_name": owner["name"],
        "owner_phone": owner["phone"],
        "owner_id": owner["id_number"],
        "region_code": owner["region_code"],
    }


def event(i: int) -> dict[str, Any]:
    car = vehicle(i % 60)
    moment = datetime(2026, 10, 1, 0, 30) + timedelta(hours=i % 72, minutes=i % 7)
    return {
        "event_id": i,
        "event_time": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "lot_id": i % 10,
        "plate": car["plate"],
        "amount": f"{(i % 13) * 2.5:.1f}",
        "region_code": car["region_code"],
    }


def rows_of(key: str) -> list[dict[str, Any]]:
    if key == "people":
        return [hub_person(i) for i in range(120)]
    if key == "vehicle_registrations":
        return [vehicle(i) for i in range(60)]
    if key == "parking_events":
        return [event(i) for i in range(600)]
    if key == "parking_lots":
        return [
            {"lot_id": i, "lot_name": f"{i}号停车场", "capacity": 50 + 10 * i} for i in range(10)
        ]
    return [
        {"person_id": f"P{i:04d}", "condition": "高血压", "region_code": REGIONS[i % 3]}
        for i in range(30)
    ]


def csv_file(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def clear_values(key: str, column: str, region: str | None = None) -> set[str]:
    """The clear values of a column (of one region's rows, or of all)."""
    return {str(r[column]) for r in rows_of(key) if region is None or r["region_code"] == region}


def hub_category() -> Category:
    return Category.objects.get_or_create(
        key="query-test", defaults={"name": "查询测试", "name_en": "Query test"}
    )[0]


def make_hub_dataset(key: str, **fields: Any) -> Dataset:
    fields.setdefault("sharing", "conditional")
    return Dataset.objects.create(
        key=key,
        title=key,
        title_en=key,
        category=hub_category(),
        tier="street",
        schema=SCHEMAS[key],
        **fields,
    )


def ingest(dataset: Dataset, rows: list[dict[str, Any]], tmp: Path, mode: str = "replace") -> int:
    """Ingest rows into dataset through the real ingestion; the new version."""
    from shequ.hub.services.runs import ingest_file

    path = csv_file(tmp / f"{dataset.key}-{DatasetVersion.objects.count()}.csv", rows)
    run = ingest_file(dataset, path, mode=mode)
    assert run.status == "succeeded", run.error
    assert run.rows_written == len(rows), (run.rows_written, run.rows_rejected, run.log)
    assert run.version is not None
    dataset.refresh_from_db()
    return run.version


def grant(user: Any, dataset: Dataset, **fields: Any) -> Grant:
    fields.setdefault("columns", [])
    fields.setdefault("clear_columns", [])
    return Grant.objects.create(
        dataset=dataset,
        grantee=user,
        valid_from=timezone.now() - timedelta(minutes=1),
        **fields,
    )


@dataclass
class Hub:
    datasets: dict[str, Dataset]
    staff: Any  # community staff of 锦绣社区, granted all but health_records, nothing in clear
    grant: Callable[..., Grant]

    def __getitem__(self, key: str) -> Dataset:
        return self.datasets[key]


# --- data requests ----------------------------------------------------------------------------

PROVINCE = "990000000000"
DISTRICT = "990102000000"  # 临江区
STREET = "990102001000"  # 望湖街道: the requested dataset's region
OTHER_STREET = "990103001000"  # 北山街道, another district

REQUEST_SCHEMA: dict[str, Any] = {
    "primaryKey": ["person_id"],
    "regionField": "region_code",
    "fields": [
        {"name": "person_id", "title": "人员编号"},
        {"name": "name", "title": "姓名", "pii": "name", "grade": "important"},
        {"name": "phone", "title": "手机号", "pii": "phone", "grade": "important"},
        {"name": "age", "title": "年龄", "type": "integer"},
        {"name": "region_code", "title": "区划代码"},
    ],
}


# --- a clustered dataset appended once a day (file skipping, compaction) ----------------------

GATE_KEY = "gate_events"
GATE_SCHEMA: dict[str, Any] = {
    "primaryKey": ["event_id"],
    "regionField": "region_code",
    "fields": [
        {"name": "event_id", "type": "integer"},
        {"name": "event_time", "type": "datetime"},
        {"name": "plate", "type": "string", "pii": "plate", "grade": "important"},
        {"name": "amount", "type": "number"},
        {"name": "region_code", "type": "string"},
    ],
}
GATE_DAYS = 6


def gate_rows(day: int) -> list[dict[str, Any]]:
    """Day ``day``'s 30 gate events (local times 03:00 to 19:55) of three communities."""
    start = datetime(2026, 10, 1 + day, 3, 0)
    rows = []
    for i in range(30):
        n = day * 100 + i
        rows.append(
            {
                "event_id": n,
                "event_time": (start + timedelta(minutes=35 * i)).strftime("%Y-%m-%d %H:%M:%S"),
                "plate": f"浙A{10000 + n:05d}",
                "amount": f"{i * 1.5:.1f}",
                "region_code": REGIONS[i % 3],
            }
        )
    if day == 2:  # NULLs in both clustering columns
        rows[0]["region_code"] = ""
        rows[1]["event_time"] = ""
    return rows


def gate_events(tmp: Path) -> Dataset:
    """The gate events dataset, one append a day for GATE_DAYS days (one file each)."""
    dataset = Dataset.objects.create(
        key=GATE_KEY,
        title="道闸记录",
        title_en="Gate events",
        category=hub_category(),
        tier="street",
        sharing="conditional",
        schema=GATE_SCHEMA,
    )
    for day in range(GATE_DAYS):
        ingest(dataset, gate_rows(day), tmp, mode="append" if day else "replace")
    return dataset
