"""Fixtures of the hub tests (their objects and builders are in factories.py).

- ingestion: a small ``people`` dataset, CSV files made from rows, sources;
- query: ``hub``, five datasets ingested once per session and copied into each test;
- data requests: the dataset ``people`` of 望湖街道 owned by 临江区公安分局 (a department at
  the district), and ``users`` who ask and who decide: a district analyst, the street's staff,
  a member of the owning department, a platform admin, and community staff, staff of another
  district and a resident who may not decide.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.factories import (
    DISTRICT,
    HOME,
    OTHER_STREET,
    PEOPLE_SCHEMA,
    PROVINCE,
    REQUEST_SCHEMA,
    SCHEMAS,
    STREET,
    Hub,
    csv_text,
    grant,
    ingest,
    make_dataset,
    make_hub_dataset,
    rows_of,
)
from shequ.core.models import Department, Membership, Role
from shequ.hub.models import Category, Dataset, DatasetVersion, Source

WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """write_csv(name, rows, header=None, encoding="utf-8") -> path of a CSV in tmp_path."""

    def write(
        name: str,
        rows: list[dict[str, Any]],
        header: list[str] | None = None,
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_text(rows, header).encode(encoding))
        return path

    return write


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(key="test", name="测试", name_en="Test")


@pytest.fixture
def people(category: Category) -> Dataset:
    return make_dataset(category, "people", PEOPLE_SCHEMA)


@pytest.fixture
def make_source(people: Dataset) -> Callable[..., Source]:
    def make(**fields: Any) -> Source:
        fields.setdefault("name", "街道人口库")
        fields.setdefault("tier", "district")
        fields.setdefault("connector", "file")
        return Source.objects.create(dataset=fields.pop("dataset", people), **fields)

    return make


# --- query ---------------------------------------------------------------------------------

# The Delta tables are built once per session (ingestion is the slow part) and copied.
_BUILT: dict[str, Any] = {}


@pytest.fixture(name="hub")
def hub_fixture(
    db: None,
    make_user: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
    settings: Any,
) -> Hub:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tables = Path(settings.DATA_DIR) / "hub" / "tables"
    if "dir" not in _BUILT:
        datasets = {key: make_hub_dataset(key) for key in SCHEMAS}
        work = tmp_path_factory.mktemp("query-csv")
        for key, dataset in datasets.items():
            ingest(dataset, rows_of(key), work)
        source = tmp_path_factory.mktemp("query-tables")
        shutil.copytree(tables, source, dirs_exist_ok=True)
        _BUILT["dir"] = source
        _BUILT["meta"] = {k: (d.version, d.row_count) for k, d in datasets.items()}
    else:
        shutil.copytree(_BUILT["dir"], tables, dirs_exist_ok=True)
        datasets = {}
        for key, (version, rows) in _BUILT["meta"].items():
            datasets[key] = make_hub_dataset(key, version=version, row_count=rows)
            DatasetVersion.objects.create(
                dataset=datasets[key], version=version, operation="replace", row_count=rows
            )
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu")
    for key in ("people", "vehicle_registrations", "parking_events", "parking_lots"):
        grant(staff, datasets[key])
    return Hub(datasets, staff, grant)


# --- data requests -------------------------------------------------------------------------


@pytest.fixture(name="police")
def police_fixture(regions: dict[str, Any]) -> Department:
    return Department.objects.create(
        region=regions[DISTRICT], code="police", name="临江区公安分局", kind="police"
    )


@pytest.fixture(name="dataset")
def dataset_fixture(regions: dict[str, Any], police: Department) -> Dataset:
    category = Category.objects.create(key="people", name="人口", name_en="People")
    return Dataset.objects.create(
        key="people",
        title="人口信息",
        title_en="People",
        category=category,
        region=regions[STREET],
        department=police,
        tier="district",
        sharing="conditional",
        schema=REQUEST_SCHEMA,
    )


@pytest.fixture(name="users")
def users_fixture(make_user: Any, regions: dict[str, Any], police: Department) -> dict[str, Any]:
    officer = make_user(None, username="officer")
    Membership.objects.create(
        user=officer, region=regions[DISTRICT], department=police, role=Role.DEPARTMENT_ANALYST
    )
    return {
        "analyst": make_user(Role.DEPARTMENT_ANALYST, DISTRICT, username="analyst"),
        "street": make_user(Role.STREET_STAFF, STREET, username="street"),
        "officer": officer,
        "admin": make_user(Role.PLATFORM_ADMIN, PROVINCE, username="admin"),
        "community": make_user(Role.COMMUNITY_STAFF, HOME, username="community"),
        "other": make_user(Role.STREET_STAFF, OTHER_STREET, username="other"),
        "resident": make_user(Role.RESIDENT, HOME, username="resident"),
    }
