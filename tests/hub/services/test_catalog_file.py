"""The catalog file (数据目录): 10 categories, 72 data items, each with a valid Table Schema.

Reads ``src/shequ/hub/catalog/catalog.yaml`` only; no database is needed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shequ.hub.catalog import CATALOG_FILE
from shequ.hub.tableschema import (
    CONSTRAINT_KEYS,
    GRADES,
    NAME_RE,
    PII_KINDS,
    TYPES,
    TableSchema,
)

CATEGORIES = [
    ("population_housing", "人口房屋类"),
    ("public_security", "治安执法类"),
    ("city_appearance", "市容市貌类"),
    ("traffic", "交通治理类"),
    ("emergency", "应急防灾类"),
    ("health", "医疗卫生类"),
    ("civil_affairs", "民政社保类"),
    ("urban_construction", "城建住房类"),
    ("enterprise_market", "企业市场类"),
    ("civic_volunteering", "文明实践志愿服务类"),
]
OWNER_KINDS = {
    "police",
    "traffic_police",
    "health",
    "housing",
    "telecom",
    "urban_management",
    "civil_affairs",
    "emergency",
    "street_office",
    "other",
}
TIERS = {"province", "city", "district", "street", "community"}
SHARING = {"unconditional", "conditional", "not_shared"}
FREQUENCIES = {"realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"}

DATASET_KEYS = {
    "key",
    "title",
    "title_en",
    "description",
    "description_en",
    "owner",
    "owner_kind",
    "tier",
    "sharing",
    "frequency",
    "tags",
    "licence",
    "schema",
}
SCHEMA_KEYS = {"fields", "primaryKey", "regionField"}
FIELD_KEYS = {
    "name",
    "type",
    "title",
    "title_en",
    "description",
    "constraints",
    "grade",
    "pii",
    "part_of",
}
STRING_ONLY = {"pattern", "maxLength"}
NUMERIC_ONLY = {"minimum", "maximum"}

CJK = re.compile(r"[\u4e00-\u9fff]")

# Data items that later apps read: key -> (category, {column: (type, pii)}, primary key or None).
REQUIRED: dict[str, tuple[str, dict[str, tuple[str, str]], list[str] | None]] = {
    "household_registry": (
        "population_housing",
        {
            "person_id": ("string", "none"),
            "name": ("string", "name"),
            "id_number": ("string", "id_card"),
            "phone": ("string", "phone"),
            "address": ("string", "address"),
            "household_id": ("string", "none"),
            "relation_to_head": ("string", "none"),
            "region_code": ("string", "none"),
            "registered_on": ("date", "none"),
        },
        None,
    ),
    "resident_addresses": (
        "population_housing",
        {
            "address_id": ("string", "none"),
            "estate_code": ("string", "none"),
            "building": ("string", "none"),
            "unit": ("string", "none"),
            "room": ("string", "none"),
            "region_code": ("string", "none"),
            "households": ("integer", "none"),
        },
        None,
    ),
    "vehicle_registrations": (
        "traffic",
        {
            "plate": ("string", "plate"),
            "vehicle_type": ("string", "none"),
            "owner_name": ("string", "name"),
            "owner_id_number": ("string", "id_card"),
            "owner_address": ("string", "address"),
            "owner_phone": ("string", "phone"),
            "estate_code": ("string", "none"),
            "region_code": ("string", "none"),
            "registered_on": ("date", "none"),
        },
        ["plate"],
    ),
    "estate_parking_spaces": (
        "traffic",
        {
            "estate_code": ("string", "none"),
            "estate_name": ("string", "none"),
            "region_code": ("string", "none"),
            "spaces_total": ("integer", "none"),
            "spaces_private": ("integer", "none"),
            "spaces_public": ("integer", "none"),
            "households": ("integer", "none"),
            "updated_on": ("date", "none"),
        },
        ["estate_code"],
    ),
    "garage_gate_records": (
        "traffic",
        {
            "event_id": ("string", "none"),
            "garage_code": ("string", "none"),
            "gate": ("string", "none"),
            "direction": ("string", "none"),
            "plate": ("string", "plate"),
            "event_time": ("datetime", "none"),
            "confidence": ("number", "none"),
            "region_code": ("string", "none"),
        },
        ["event_id"],
    ),
    "garage_occupancy": (
        "traffic",
        {
            "garage_code": ("string", "none"),
            "observed_at": ("datetime", "none"),
            "capacity": ("integer", "none"),
            "occupied": ("integer", "none"),
            "region_code": ("string", "none"),
        },
        ["garage_code", "observed_at"],
    ),
    "water_level_readings": (
        "emergency",
        {
            "gauge_id": ("string", "none"),
            "point_name": ("string", "none"),
            "observed_at": ("datetime", "none"),
            "level_cm": ("number", "none"),
            "rain_mm": ("number", "none"),
            "region_code": ("string", "none"),
        },
        ["gauge_id", "observed_at"],
    ),
    "camera_events": (
        "emergency",
        {
            "event_id": ("string", "none"),
            "camera_id": ("string", "none"),
            "point_name": ("string", "none"),
            "event_type": ("string", "none"),
            "event_time": ("datetime", "none"),
            "confidence": ("number", "none"),
            "image_ref": ("string", "face"),
            "region_code": ("string", "none"),
        },
        ["event_id"],
    ),
    "volunteers": (
        "civic_volunteering",
        {
            "volunteer_id": ("string", "none"),
            "name": ("string", "name"),
            "id_number": ("string", "id_card"),
            "phone": ("string", "phone"),
            "skills": ("string", "none"),
            "region_code": ("string", "none"),
            "joined_on": ("date", "none"),
        },
        ["volunteer_id"],
    ),
    "volunteer_service_records": (
        "civic_volunteering",
        {
            "record_id": ("string", "none"),
            "volunteer_id": ("string", "none"),
            "request_id": ("string", "none"),
            "service_type": ("string", "none"),
            "started_at": ("datetime", "none"),
            "minutes": ("integer", "none"),
            "rating": ("integer", "none"),
            "region_code": ("string", "none"),
        },
        ["record_id"],
    ),
    "health_code_status": (
        "health",
        {
            "id_number": ("string", "id_card"),
            "name": ("string", "name"),
            "status": ("string", "health"),
            "updated_at": ("datetime", "none"),
            "region_code": ("string", "none"),
        },
        ["id_number"],
    ),
    "gate_access_records": (
        "public_security",
        {
            "event_id": ("string", "none"),
            "gate_id": ("string", "none"),
            "person_ref": ("string", "none"),
            "direction": ("string", "none"),
            "event_time": ("datetime", "none"),
            "result": ("string", "none"),
            "region_code": ("string", "none"),
        },
        ["event_id"],
    ),
}

# Owner department name -> the owner_kind it implies.
OWNER_HINTS = [
    ("交警", "traffic_police"),
    ("公安", "police"),
    ("卫健", "health"),
    ("疾病预防控制", "health"),
    ("住建", "housing"),
    ("电信", "telecom"),
    ("城管", "urban_management"),
    ("综合行政执法", "urban_management"),
    ("民政", "civil_affairs"),
    ("应急管理", "emergency"),
    ("消防救援", "emergency"),
    ("街道办事处", "street_office"),
]


def _load() -> dict[str, Any]:
    with Path(CATALOG_FILE).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict)
    return data


CATALOG = _load()
DATASETS: list[tuple[str, dict[str, Any]]] = [
    (category["key"], dataset)
    for category in CATALOG.get("categories", [])
    for dataset in category.get("datasets", [])
]
BY_KEY = {dataset["key"]: (category, dataset) for category, dataset in DATASETS}
IDS = [dataset["key"] for _, dataset in DATASETS]


def _fields(dataset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in dataset["schema"]["fields"]}


def _all_fields() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{dataset['key']}.{field['name']}", field)
        for _, dataset in DATASETS
        for field in dataset["schema"]["fields"]
    ]


FIELDS = _all_fields()


# --- categories and counts ------------------------------------------------------------------


def test_catalog_file_is_inside_the_package() -> None:
    assert Path(CATALOG_FILE).is_file()
    assert set(CATALOG) == {"categories"}


def test_ten_categories_with_the_expected_keys_in_order() -> None:
    got = [(c["key"], c["name"]) for c in CATALOG["categories"]]
    assert got == CATEGORIES


@pytest.mark.parametrize("category", CATALOG["categories"], ids=lambda c: c["key"])
def test_category_has_english_name_and_a_realistic_number_of_items(
    category: dict[str, Any],
) -> None:
    assert set(category) == {"key", "name", "name_en", "datasets"}
    assert isinstance(category["name_en"], str) and category["name_en"].strip()
    assert not CJK.search(category["name_en"])
    assert 4 <= len(category["datasets"]) <= 11


def test_exactly_72_data_items() -> None:
    assert len(DATASETS) == 72


def test_dataset_keys_are_unique_slugs() -> None:
    keys = [dataset["key"] for _, dataset in DATASETS]
    assert len(set(keys)) == len(keys), sorted(k for k in keys if keys.count(k) > 1)
    for key in keys:
        assert NAME_RE.match(key), key


def test_dataset_titles_are_unique() -> None:
    for attr in ("title", "title_en"):
        titles = [dataset[attr] for _, dataset in DATASETS]
        assert len(set(titles)) == len(titles), attr


def test_allowed_sets_match_the_hub_models() -> None:
    from shequ.hub.models import Dataset, Sharing, Tier

    assert set(Tier.values) == TIERS
    assert set(Sharing.values) == SHARING
    for attr in ("key", "title", "title_en", "owner", "licence", "frequency"):
        limit = Dataset._meta.get_field(attr).max_length
        longest = max(len(dataset.get(attr, "")) for _, dataset in DATASETS)
        assert longest <= limit, attr


# --- per data item --------------------------------------------------------------------------


@pytest.mark.parametrize(("category", "dataset"), DATASETS, ids=IDS)
def test_dataset_metadata(category: str, dataset: dict[str, Any]) -> None:
    unknown = set(dataset) - DATASET_KEYS
    assert not unknown, unknown
    for attr in ("title", "description"):
        assert isinstance(dataset[attr], str) and CJK.search(dataset[attr]), attr
    for attr in ("title_en", "description_en"):
        assert isinstance(dataset[attr], str) and dataset[attr].strip(), attr
        assert not CJK.search(dataset[attr]), attr
    assert isinstance(dataset["owner"], str) and CJK.search(dataset["owner"])
    assert dataset["owner_kind"] in OWNER_KINDS
    assert dataset["tier"] in TIERS
    assert dataset["sharing"] in SHARING
    assert dataset["frequency"] in FREQUENCIES
    assert isinstance(dataset["tags"], list) and dataset["tags"]
    assert all(isinstance(t, str) and t for t in dataset["tags"])
    assert isinstance(dataset["licence"], str) and dataset["licence"]


@pytest.mark.parametrize(("category", "dataset"), DATASETS, ids=IDS)
def test_owner_kind_fits_the_owner(category: str, dataset: dict[str, Any]) -> None:
    for hint, kind in OWNER_HINTS:
        if hint in dataset["owner"]:
            assert dataset["owner_kind"] == kind, dataset["owner"]
            return


@pytest.mark.parametrize(("category", "dataset"), DATASETS, ids=IDS)
def test_schema_loads(category: str, dataset: dict[str, Any]) -> None:
    raw = dataset["schema"]
    assert not set(raw) - SCHEMA_KEYS
    schema = TableSchema.from_dict(raw)
    assert 5 <= len(schema.fields) <= 15
    assert schema.primary_key, "every data item needs a primary key"
    assert TableSchema.from_dict(schema.to_dict()) == schema
    assert schema.arrow_schema().names == schema.names
    for name in schema.primary_key:
        assert schema.field(name).required, f"primary key column {name} must be required"


@pytest.mark.parametrize(("category", "dataset"), DATASETS, ids=IDS)
def test_region_field(category: str, dataset: dict[str, Any]) -> None:
    fields = _fields(dataset)
    region = dataset["schema"].get("regionField")
    if "region_code" in fields:
        assert region == "region_code"
    if not region:
        return
    assert region in fields
    column = fields[region]
    assert column.get("type", "string") == "string"
    constraints = column.get("constraints", {})
    assert constraints.get("required") is True
    pattern = re.compile(constraints["pattern"])
    assert pattern.fullmatch("990102001001")
    assert not pattern.fullmatch("99010200100")
    assert not pattern.fullmatch("9901020010011")


def test_almost_every_dataset_is_region_scoped() -> None:
    unscoped = [key for key in IDS if not BY_KEY[key][1]["schema"].get("regionField")]
    assert unscoped == ["weather_warnings"]


@pytest.mark.parametrize(("category", "dataset"), DATASETS, ids=IDS)
def test_sensitive_data_is_not_shared_unconditionally(
    category: str, dataset: dict[str, Any]
) -> None:
    kinds = {f.get("pii", "none") for f in dataset["schema"]["fields"]}
    if kinds & {"id_card", "health", "face", "plate"}:
        assert dataset["sharing"] != "unconditional"


# --- per field ------------------------------------------------------------------------------


def _check_field(field: dict[str, Any]) -> None:
    assert not set(field) - FIELD_KEYS
    assert NAME_RE.match(field["name"])
    assert field.get("type") in TYPES
    assert field.get("grade") in GRADES
    assert field.get("pii", "none") in PII_KINDS
    assert isinstance(field.get("title"), str) and CJK.search(field["title"])
    assert isinstance(field.get("title_en"), str) and field["title_en"].strip()
    assert not CJK.search(field["title_en"])
    constraints = field.get("constraints", {})
    assert not set(constraints) - set(CONSTRAINT_KEYS)
    if constraints.keys() & STRING_ONLY:
        assert field["type"] == "string"
    if constraints.keys() & NUMERIC_ONLY:
        assert field["type"] in ("integer", "number")
    if "minimum" in constraints and "maximum" in constraints:
        assert constraints["minimum"] <= constraints["maximum"]
    if "enum" in constraints:
        values = constraints["enum"]
        assert values and all(isinstance(v, str) for v in values)
        assert len(set(values)) == len(values)
    if "pattern" in constraints:
        re.compile(constraints["pattern"])
    if "maxLength" in constraints:
        assert isinstance(constraints["maxLength"], int) and constraints["maxLength"] > 0


@pytest.mark.parametrize(("category", "dataset"), DATASETS, ids=IDS)
def test_field_definitions(category: str, dataset: dict[str, Any]) -> None:
    for field in dataset["schema"]["fields"]:
        try:
            _check_field(field)
        except AssertionError as exc:
            raise AssertionError(f"{dataset['key']}.{field.get('name')}: {exc}") from exc


def test_every_pattern_compiles() -> None:
    patterns = [
        (where, f["constraints"]["pattern"])
        for where, f in FIELDS
        if "pattern" in f.get("constraints", {})
    ]
    assert patterns
    for where, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            pytest.fail(f"{where}: {exc}")


def test_pii_columns_are_graded_important_or_core() -> None:
    kinds = set()
    for where, field in FIELDS:
        pii = field.get("pii", "none")
        if pii == "none":
            continue
        kinds.add(pii)
        assert field["grade"] in ("important", "core"), where
        if pii in ("id_card", "health"):
            assert field["grade"] == "core", where
    assert kinds == set(PII_KINDS) - {"none"}


def test_field_titles_are_unique_within_each_dataset() -> None:
    for key, (_, dataset) in BY_KEY.items():
        titles = [f["title"] for f in dataset["schema"]["fields"]]
        assert len(set(titles)) == len(titles), key


def test_shared_patterns_accept_real_values() -> None:
    checks = {
        "id_card": ("11010519491231002X", "1101051949123100"),
        "phone": ("13800138000", "2800138000"),
        "plate": ("浙A12345", "ABC1234"),
    }
    seen: set[str] = set()
    for _, field in FIELDS:
        pattern = field.get("constraints", {}).get("pattern")
        pii = field.get("pii", "none")
        if not pattern or pii not in checks or field["name"].endswith("certificate_no"):
            continue
        good, bad = checks[pii]
        assert re.fullmatch(pattern, good), (field["name"], pattern)
        assert not re.fullmatch(pattern, bad), (field["name"], pattern)
        seen.add(pii)
    assert seen == set(checks)
    plate = _fields(BY_KEY["vehicle_registrations"][1])["plate"]["constraints"]["pattern"]
    assert re.fullmatch(plate, "浙AD12345")  # new-energy plate, 8 characters


# --- the data items other apps rely on ------------------------------------------------------


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_required_dataset(key: str) -> None:
    category, columns, primary_key = REQUIRED[key]
    assert key in BY_KEY, f"missing data item {key}"
    got_category, dataset = BY_KEY[key]
    assert got_category == category
    schema = TableSchema.from_dict(dataset["schema"])
    assert schema.region_field == "region_code"
    for name, (ftype, pii) in columns.items():
        assert name in schema.names, f"{key} lacks column {name}"
        assert schema.field(name).type == ftype, f"{key}.{name}"
        assert schema.field(name).pii == pii, f"{key}.{name}"
    if primary_key is not None:
        assert schema.primary_key == primary_key


def _constraints(key: str, column: str) -> dict[str, Any]:
    return dict(_fields(BY_KEY[key][1])[column].get("constraints", {}))


def test_required_dataset_constraints() -> None:
    id_pattern = _constraints("household_registry", "id_number")["pattern"]
    assert re.fullmatch(id_pattern, "33010619800101123X")
    assert not re.fullmatch(id_pattern, "33010619800101123x1")
    assert _constraints("health_code_status", "status")["enum"] == ["green", "yellow", "red"]
    assert _fields(BY_KEY["health_code_status"][1])["id_number"]["grade"] == "core"
    assert _fields(BY_KEY["health_code_status"][1])["status"]["grade"] == "core"
    assert _constraints("garage_gate_records", "direction")["enum"] == ["in", "out"]
    for key in ("garage_gate_records", "camera_events"):
        confidence = _constraints(key, "confidence")
        assert (confidence["minimum"], confidence["maximum"]) == (0, 1)
    assert _constraints("volunteer_service_records", "minutes")["minimum"] == 0
    rating = _constraints("volunteer_service_records", "rating")
    assert (rating["minimum"], rating["maximum"]) == (1, 5)
    vehicle_types = _constraints("vehicle_registrations", "vehicle_type")["enum"]
    assert {"小型汽车", "新能源小型汽车"} <= set(vehicle_types)
    event_types = _constraints("camera_events", "event_type")["enum"]
    assert {"积水", "车辆被困", "人员聚集", "占道经营", "火情烟雾"} <= set(event_types)
