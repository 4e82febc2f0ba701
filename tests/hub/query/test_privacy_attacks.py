"""Hostile queries and inference attacks on personal data, each with its expected outcome.

The victim dataset is ``household_registry`` with the catalog's own schema (ID numbers, birth
dates, sexes, phones, names, addresses), beside the query tests' ``people`` and
``vehicle_registrations``. The attacker is community staff of 锦绣社区 with grants on all of them,
nothing in clear, and (a second attacker) a grant asking ``birth_date`` in clear without the ID
number it is part of.

Every case is either refused (status and what the message names) or answered masked: no clear
personal value of any row (ID number, its birth-date digits, phone, name, address, birth date)
appears anywhere in the answer, and the answer is exactly what the same SQL gives over a copy of
the user's rows with every personal column replaced by its masked form (``pii.mask``). The second
condition is the oracle rule: predicates, ORDER BY, GROUP BY, joins, aggregates and windows on a
masked column see only the masked value, so no probe (``LIKE '3301061990%'``, ``min()``,
``count(*) WHERE phone = '…'``, ``GROUP BY`` to count clear values) learns more than the mask.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.conf import settings as django_settings
from django.test import Client

from hub.factories import HOME, REGIONS, SCHEMAS, Hub, ingest, rows_of
from shequ.core import pii
from shequ.core.models import Role
from shequ.core.services import tokens
from shequ.hub.models import Category, Dataset, DatasetVersion
from shequ.hub.query import QueryError, QueryResult, run_query
from shequ.hub.query.result import json_value
from shequ.hub.services.catalog import read_catalog
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema

pytestmark = pytest.mark.django_db

REGISTRY = "household_registry"
SURNAMES = "王李张刘陈杨黄赵吴周"


def _catalog_schema(key: str) -> dict[str, Any]:
    for category in read_catalog():
        for item in category["datasets"]:
            if item["key"] == key:
                return dict(item["schema"])
    raise KeyError(key)


REGISTRY_SCHEMA = _catalog_schema(REGISTRY)


USED = {
    "person_id", "name", "id_number", "gender", "birth_date", "ethnicity", "phone",
    "household_id", "relation_to_head", "address", "region_code",
}  # fmt: skip
UNUSED = [f["name"] for f in REGISTRY_SCHEMA["fields"] if f["name"] not in USED]


def resident(i: int) -> dict[str, Any]:
    born = date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
    number = pii.make_id_number("330106", born, 100 + i)
    return {
        "person_id": f"R{i:04d}",
        "name": SURNAMES[i % 10] + "晓" + "明红华军"[i % 4],
        "id_number": number,
        "gender": "男" if int(number[16]) % 2 else "女",
        "birth_date": born.isoformat(),
        "ethnicity": "汉族",
        "phone": f"137{i:08d}",
        "household_id": f"H{i // 3:04d}",
        "relation_to_head": "户主" if i % 3 == 0 else "配偶",
        "address": f"浙江省杭州市西湖区古墩路{i}号",
        "region_code": REGIONS[i % 3],
        **dict.fromkeys(UNUSED),
    }


RESIDENTS = [resident(i) for i in range(90)]
HOME_RESIDENTS = [r for r in RESIDENTS if r["region_code"] == HOME]
VICTIM = HOME_RESIDENTS[0]
_BUILT: dict[str, Any] = {}


@dataclass
class World:
    hub: Hub
    staff: Any
    birth_clear: Any  # granted household_registry with birth_date asked in clear


@pytest.fixture
def world(hub: Hub, make_user: Callable[..., Any], tmp_path_factory: Any, settings: Any) -> World:
    tables = Path(settings.DATA_DIR) / "hub" / "tables"
    category = Category.objects.get(key="query-test")
    dataset = Dataset.objects.create(
        key=REGISTRY,
        title="户籍人口信息",
        title_en="Household registry",
        category=category,
        tier="district",
        sharing="conditional",
        schema=TableSchema.from_dict(REGISTRY_SCHEMA).to_dict(),
    )
    if "dir" not in _BUILT:
        work = tmp_path_factory.mktemp("registry-csv")
        ingest(
            dataset, [{k: ("" if v is None else v) for k, v in r.items()} for r in RESIDENTS], work
        )
        copy = tmp_path_factory.mktemp("registry-table")
        shutil.copytree(tables / REGISTRY, copy / REGISTRY)
        _BUILT["dir"], _BUILT["meta"] = copy, (dataset.version, dataset.row_count)
    else:
        shutil.copytree(_BUILT["dir"] / REGISTRY, tables / REGISTRY, dirs_exist_ok=True)
        version, rows = _BUILT["meta"]
        Dataset.objects.filter(pk=dataset.pk).update(version=version, row_count=rows)
        DatasetVersion.objects.create(
            dataset=dataset, version=version, operation="replace", row_count=rows
        )
    dataset.refresh_from_db()
    hub.datasets[REGISTRY] = dataset
    hub.grant(hub.staff, dataset)
    other = make_user(Role.COMMUNITY_STAFF, HOME, username="birthclear")
    hub.grant(other, dataset, clear_columns=["birth_date"])
    hub.grant(other, hub["people"])
    return World(hub, hub.staff, other)


# ---------------------------------------------------------------------------------------------
# The reference: the user's rows with every personal column masked
# ---------------------------------------------------------------------------------------------


def _reference_rows(key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if key == REGISTRY:
        return REGISTRY_SCHEMA, RESIDENTS
    return SCHEMAS[key], rows_of(key)


def reference() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{django_settings.TIME_ZONE}'")
    for key in (REGISTRY, "people", "vehicle_registrations", "parking_lots", "parking_events"):
        raw, rows = _reference_rows(key)
        schema = TableSchema.from_dict(raw)
        kinds = schema.pii_fields()
        region = schema.region_field
        mine = [r for r in rows if not region or r[region] == HOME]
        cols = ", ".join(
            f'"{f.name}" {"VARCHAR" if f.name in kinds else DUCKDB_TYPES[f.type]}'
            for f in schema.fields
        )
        con.execute(f'CREATE TABLE "{key}" ({cols})')
        values = []
        for r in mine:
            row = []
            for f in schema.fields:
                v = r.get(f.name)
                v = None if v == "" else v
                if f.name in kinds and v is not None:
                    v = pii.mask(kinds[f.name], str(v))
                row.append(v)
            values.append(row)
        marks = ", ".join("?" for _ in schema.fields)
        con.executemany(f'INSERT INTO "{key}" VALUES ({marks})', values)
    return con


REFERENCE: list[duckdb.DuckDBPyConnection] = []


def expected_rows(sql: str) -> list[list[Any]]:
    if not REFERENCE:
        REFERENCE.append(reference())
    cursor = REFERENCE[0].cursor()
    try:
        result = cursor.sql(sql)
        return [[json_value(v) for v in row] for row in result.fetchall()] if result else []
    finally:
        cursor.close()


# ---------------------------------------------------------------------------------------------
# Secrets: every clear personal value, and the parts that rebuild an ID number
# ---------------------------------------------------------------------------------------------


def _secrets() -> set[str]:
    found: set[str] = set()
    for r in RESIDENTS:
        number = r["id_number"]
        born = r["birth_date"]
        found |= {number, number[6:14], number[10:], r["phone"], r["name"], r["address"]}
        found |= {born, born.replace("-", ""), r["phone"][3:]}
    people_cols = ("name", "id_number", "phone", "address")
    for r in rows_of("people"):
        found |= {str(r[c]) for c in people_cols} | {r["id_number"][6:14], r["id_number"][10:]}
    for r in rows_of("vehicle_registrations"):
        found |= {r["plate"], r["owner_phone"], r["owner_id"], r["owner_name"]}
    # The query fixtures' people have a clear (not personal there) birth date column.
    found -= {str(r["born"]) for r in rows_of("people")}
    found -= {str(r["born"]).replace("-", "") for r in rows_of("people")}
    return {s for s in found if len(s) >= 3}


SECRETS = _secrets()


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked in {text[:200]!r}"


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------


@dataclass
class Refused:
    status: int
    says: str


@dataclass
class Masked:
    """Answered; equal to the same SQL over the masked reference (``ordered``: in order)."""

    ordered: bool = False
    check: Callable[[QueryResult], Any] | None = None
    compare: bool = True  # False for time travel and the like, which the reference lacks


V = VICTIM
ID, PHONE, BORN, NAME = V["id_number"], V["phone"], V["birth_date"], V["name"]
R = REGISTRY

# A masked name, ID number, phone or plate used as who someone is (joined, grouped, counted
# distinct): many people share one mask, so the answer would be wrong (``hub.query.identity``).
MASKED_IDENTITY = Refused(400, "is masked for you")

CASES: dict[str, Refused | Masked] = {
    # --- rebuilding the ID number from its parts (issue 14) --------------------------------
    f"SELECT left(id_number, 6) || strftime(birth_date, '%Y%m%d') || right(id_number, 4) "
    f"FROM {R}": Refused(400, "strftime"),
    f"SELECT left(id_number, 6) || replace(CAST(birth_date AS VARCHAR), '-', '') || "
    f"right(id_number, 4) FROM {R}": Masked(),
    f"SELECT id_number, birth_date, gender FROM {R} ORDER BY person_id": Masked(ordered=True),
    f"SELECT left(id_number, 6) || replace(birth_date, '-', '') FROM {R}": Masked(),
    f"SELECT substr(id_number, 7, 8), substr(id_number, 15) FROM {R}": Masked(),
    f"SELECT CAST(birth_date AS DATE) FROM {R}": Refused(400, ""),
    f"SELECT year(birth_date) FROM {R}": Refused(400, ""),
    f"SELECT TRY_CAST(birth_date AS DATE) AS d FROM {R}": Masked(),
    f"SELECT date_diff('day', TRY_CAST(birth_date AS DATE), DATE '2026-01-01') FROM {R}": (
        Masked()
    ),
    f"SELECT h.id_number, p.born FROM {R} h JOIN people p ON p.name = h.name": Refused(
        400, "is masked for you"
    ),
    f"SELECT v.owner_id, h.birth_date FROM vehicle_registrations v JOIN {R} h "
    "ON h.id_number = v.owner_id": MASKED_IDENTITY,
    "SELECT v.owner_id, p.born FROM vehicle_registrations v JOIN people p "
    "ON p.id_number = v.owner_id": MASKED_IDENTITY,
    "SELECT left(owner_id, 6) || strftime(p.born, '%Y%m%d') FROM vehicle_registrations v "
    "JOIN people p ON p.phone = v.owner_phone": MASKED_IDENTITY,
    "SELECT p.id_number, p.born, p.age FROM people p ORDER BY person_id": Masked(ordered=True),
    f"SELECT regexp_extract(id_number, '[0-9]{{4}}$') FROM {R}": Masked(),
    f"SELECT reverse(id_number), upper(birth_date), lower(phone) FROM {R}": Masked(),
    f"SELECT translate(id_number, '*', 'Z') FROM {R}": Masked(),
    f"SELECT length(id_number), length(phone), length(name), length(address) FROM {R}": (Masked()),
    f"SELECT split_part(birth_date, '-', 2), split_part(birth_date, '-', 3) FROM {R}": Masked(),
    f"SELECT string_split(id_number, '') FROM {R}": Masked(),
    # --- LIKE-prefix and comparison probing (binary search on the clear value) -------------
    **{
        f"SELECT count(*) FROM {R} WHERE id_number LIKE '{ID[:n]}%'": Masked()
        for n in (2, 6, 7, 8, 10, 12, 14, 16, 17, 18)
    },
    **{
        f"SELECT count(*) FROM {R} WHERE phone LIKE '{PHONE[:n]}%'": Masked()
        for n in (3, 4, 6, 8, 10, 11)
    },
    **{
        f"SELECT count(*) FROM {R} WHERE birth_date LIKE '{BORN[:n]}%'": Masked()
        for n in (3, 4, 5, 7, 8, 10)
    },
    **{
        f"SELECT count(*) FROM {R} WHERE id_number {op} '{ID}'": Masked()
        for op in ("=", "<", ">", "<=", ">=", "<>")
    },
    **{
        f"SELECT count(*) FROM {R} WHERE birth_date {op} '{BORN}'": Masked()
        for op in ("=", "<", ">", "<>")
    },
    f"SELECT count(*) FROM {R} WHERE phone = '{PHONE}'": Masked(),
    f"SELECT count(*) FROM {R} WHERE phone IN ('{PHONE}', '13700000003')": Masked(),
    f"SELECT count(*) FROM {R} WHERE name = '{NAME}'": Masked(),
    f"SELECT count(*) FROM {R} WHERE address = '{V['address']}'": Masked(),
    f"SELECT count(*) FROM {R} WHERE id_number BETWEEN '330106199' AND '3301062000'": Masked(),
    f"SELECT count(*) FROM {R} WHERE starts_with(id_number, '{ID[:10]}')": Masked(),
    f"SELECT count(*) FROM {R} WHERE contains(id_number, '{ID[6:14]}')": Masked(),
    f"SELECT count(*) FROM {R} WHERE strpos(phone, '{PHONE[3:7]}') > 0": Masked(),
    f"SELECT count(*) FROM {R} WHERE regexp_matches(id_number, '^{ID[:9]}')": Masked(),
    f"SELECT count(*) FROM {R} WHERE regexp_full_match(phone, '137[0-9]{{8}}')": Masked(),
    f"SELECT count(*) FROM {R} WHERE ends_with(id_number, '{ID[-4:]}')": Masked(),
    f"SELECT count(*) FROM {R} WHERE suffix(phone, '{PHONE[-4:]}')": Masked(),
    f"SELECT count(*) FROM {R} WHERE levenshtein(phone, '{PHONE}') <= 2": Masked(),
    f"SELECT count(*) FROM {R} WHERE id_number ILIKE '%{ID[-6:]}'": Masked(),
    f"SELECT count(*) FROM {R} WHERE id_number SIMILAR TO '{ID[:8]}.*'": Masked(),
    f"SELECT count(*) FROM {R} WHERE id_number GLOB '{ID[:8]}*'": Masked(),
    f"SELECT count(*) FROM {R} WHERE substr(id_number, 7, 4) = '{ID[6:10]}'": Masked(),
    f"SELECT count(*) FROM {R} WHERE CAST(substr(id_number, 17, 1) AS INT) % 2 = 1": Refused(
        400, ""
    ),
    f"SELECT count(*) FROM {R} WHERE TRY_CAST(substr(id_number, 17, 1) AS INT) % 2 = 1": (Masked()),
    f"SELECT person_id FROM {R} WHERE id_number > '330106198' ORDER BY person_id": Masked(
        ordered=True
    ),
    f"SELECT person_id FROM {R} WHERE name LIKE '王晓%' ORDER BY person_id": Masked(ordered=True),
    # --- ORDER BY, min, max, ranks over masked columns -------------------------------------
    f"SELECT person_id FROM {R} ORDER BY id_number, person_id": Masked(ordered=True),
    f"SELECT person_id FROM {R} ORDER BY birth_date, person_id": Masked(ordered=True),
    f"SELECT person_id FROM {R} ORDER BY phone DESC, person_id": Masked(ordered=True),
    f"SELECT min(id_number), max(id_number), min(birth_date), max(birth_date) FROM {R}": Masked(),
    f"SELECT min(phone), max(phone), min(name), max(address) FROM {R}": Masked(),
    f"SELECT arg_min(person_id, birth_date), arg_max(person_id, id_number) FROM {R}": Masked(),
    f"SELECT min_by(person_id, phone), max_by(person_id, phone) FROM {R}": Masked(),
    f"SELECT person_id, rank() OVER (ORDER BY birth_date) AS r FROM {R} ORDER BY person_id": (
        Masked(ordered=True)
    ),
    f"SELECT person_id, row_number() OVER (ORDER BY id_number, person_id) FROM {R} "
    "ORDER BY person_id": Masked(ordered=True),
    f"SELECT person_id, percent_rank() OVER (ORDER BY phone) FROM {R} ORDER BY person_id": (
        Masked(ordered=True)
    ),
    f"SELECT person_id, ntile(4) OVER (ORDER BY birth_date, person_id) FROM {R} "
    "ORDER BY person_id": Masked(ordered=True),
    f"SELECT person_id, lag(id_number) OVER (ORDER BY person_id) FROM {R} ORDER BY person_id": (
        Masked(ordered=True)
    ),
    f"SELECT person_id, first_value(phone) OVER (PARTITION BY gender ORDER BY person_id) "
    f"FROM {R} ORDER BY person_id": Masked(ordered=True),
    f"SELECT person_id, count(*) OVER (PARTITION BY birth_date) FROM {R} ORDER BY person_id": (
        Masked(ordered=True)
    ),
    f"SELECT person_id, cume_dist() OVER (ORDER BY id_number) FROM {R} ORDER BY person_id": (
        Masked(ordered=True)
    ),
    f"SELECT quantile_disc(id_number, 0.5), median(length(phone)) FROM {R}": Masked(),
    # --- GROUP BY and DISTINCT: counting distinct clear values -------------------------------
    f"SELECT count(DISTINCT id_number), count(DISTINCT birth_date) FROM {R}": Refused(
        400, "is masked for you"
    ),
    f"SELECT count(DISTINCT phone), count(DISTINCT name), count(DISTINCT address) FROM {R}": (
        MASKED_IDENTITY
    ),
    f"SELECT approx_count_distinct(id_number), approx_count_distinct(phone) FROM {R}": Refused(
        400, "is masked for you"
    ),
    f"SELECT birth_date, count(*) FROM {R} GROUP BY birth_date ORDER BY birth_date": Masked(
        ordered=True
    ),
    f"SELECT id_number, count(*) FROM {R} GROUP BY 1 ORDER BY 1": MASKED_IDENTITY,
    f"SELECT name, gender, count(*) FROM {R} GROUP BY ALL ORDER BY ALL": Refused(
        400, "is masked for you"
    ),
    f"SELECT substr(id_number, 1, 6), count(*) FROM {R} GROUP BY 1 ORDER BY 1": Masked(
        ordered=True
    ),
    f"SELECT substr(phone, 4, 4), count(*) FROM {R} GROUP BY 1 ORDER BY 1": Masked(ordered=True),
    f"SELECT gender, birth_date, count(*) FROM {R} GROUP BY ALL ORDER BY ALL": Masked(ordered=True),
    f"SELECT DISTINCT id_number FROM {R} ORDER BY 1": MASKED_IDENTITY,
    f"SELECT DISTINCT birth_date, gender FROM {R} ORDER BY ALL": Masked(ordered=True),
    f"SELECT count(*) FROM (SELECT DISTINCT phone FROM {R})": MASKED_IDENTITY,
    f"SELECT name, count(*) FROM {R} GROUP BY name HAVING count(*) = 1 ORDER BY name": (
        MASKED_IDENTITY
    ),
    f"SELECT count(*) FROM {R} GROUP BY id_number HAVING count(*) > 1": Refused(
        400, "is masked for you"
    ),
    f"SELECT gender, count(*) FROM {R} GROUP BY CUBE (gender, birth_date) ORDER BY ALL": Masked(
        ordered=True
    ),
    f"SELECT list(id_number ORDER BY person_id), list(birth_date ORDER BY person_id) FROM {R}": (
        Masked()
    ),
    f"SELECT string_agg(phone, ',' ORDER BY person_id) FROM {R}": Masked(),
    f"SELECT array_agg(DISTINCT name ORDER BY name) FROM {R}": MASKED_IDENTITY,
    f"SELECT histogram(birth_date) FROM {R}": Refused(400, "histogram"),
    # --- joins against guesses and across datasets -----------------------------------------
    f"SELECT count(*) FROM {R} h JOIN people p ON h.id_number = p.id_number": Refused(
        400, "is masked for you"
    ),
    f"SELECT count(*) FROM {R} h JOIN people p USING (id_number)": Refused(
        400, "is masked for you"
    ),
    f"SELECT person_id, count(*) OVER (PARTITION BY phone) FROM {R}": Refused(
        400, "is masked for you"
    ),
    f"SELECT count(*) FROM {R} h JOIN people p ON h.birth_date = CAST(p.born AS VARCHAR)": (
        Masked()
    ),
    f"SELECT count(*) FROM {R} h JOIN vehicle_registrations v ON v.owner_phone = h.phone": (
        MASKED_IDENTITY
    ),
    f"WITH guesses AS (SELECT '{ID}' AS g UNION ALL SELECT '{RESIDENTS[3]['id_number']}') "
    f"SELECT count(*) FROM {R} JOIN guesses ON g = id_number": Masked(),
    f"WITH g AS (SELECT unnest(['{PHONE}', '13700000000']) AS p) "
    f"SELECT count(*) FROM {R} JOIN g ON g.p = phone": Refused(400, "unnest"),
    f"SELECT count(*) FROM {R} WHERE id_number IN (SELECT id_number FROM people)": Refused(
        400, "is masked for you"
    ),
    f"SELECT count(*) FROM {R} h WHERE EXISTS (SELECT 1 FROM people p "
    "WHERE p.phone = h.phone)": MASKED_IDENTITY,
    f"SELECT h.person_id, p.person_id FROM {R} h, people p WHERE h.name = p.name "
    "ORDER BY 1, 2": MASKED_IDENTITY,
    f"SELECT count(*) FROM {R} h ASOF JOIN people p ON h.name = p.name "
    "AND h.birth_date >= CAST(p.born AS VARCHAR)": MASKED_IDENTITY,
    f"SELECT * FROM {R} POSITIONAL JOIN people ORDER BY person_id LIMIT 3": Refused(
        400, "person_id"
    ),
    f"SELECT h.id_number FROM {R} h JOIN parking_lots l ON l.lot_id = length(h.id_number)": (
        Masked()
    ),
    f"SELECT id_number FROM {R} UNION SELECT id_number FROM people ORDER BY 1": Masked(
        ordered=True
    ),
    f"SELECT phone FROM {R} INTERSECT SELECT owner_phone FROM vehicle_registrations": Masked(),
    f"SELECT birth_date FROM {R} EXCEPT SELECT CAST(born AS VARCHAR) FROM people ORDER BY 1": (
        Masked(ordered=True)
    ),
    # --- casts, arithmetic and hashing of masked values ------------------------------------
    f"SELECT CAST(id_number AS BIGINT) FROM {R}": Refused(400, ""),
    f"SELECT TRY_CAST(id_number AS BIGINT), TRY_CAST(phone AS BIGINT) FROM {R}": Masked(),
    f"SELECT TRY_CAST(replace(phone, '*', '') AS BIGINT) FROM {R}": Masked(),
    f"SELECT CAST(birth_date AS BLOB) FROM {R}": Masked(),
    f"SELECT hash(id_number) FROM {R}": Refused(400, "hash"),
    f"SELECT md5(phone) FROM {R}": Refused(400, "md5"),
    f"SELECT sha256(id_number) FROM {R}": Refused(400, "sha256"),
    f"SELECT ascii(substr(id_number, 7, 1)) FROM {R}": Masked(),
    f"SELECT unicode(substr(id_number, 7, 1)) FROM {R}": Refused(400, "unicode"),
    f"SELECT to_base64(CAST(id_number AS BLOB)) FROM {R}": Refused(400, "to_base64"),
    f"SELECT encode(id_number) FROM {R}": Refused(400, "encode"),
    f"SELECT format('{{}}-{{}}', id_number, birth_date) FROM {R}": Masked(),
    f"SELECT printf('%s', phone) FROM {R}": Masked(),
    f"SELECT {{'id': id_number, 'b': birth_date}} FROM {R}": Masked(),
    f"SELECT [id_number, phone, name] FROM {R}": Masked(),
    f"SELECT COLUMNS('id|birth|phone') FROM {R}": Masked(),
    f"SELECT * EXCLUDE (person_id) FROM {R} ORDER BY household_id, relation_to_head": Masked(
        ordered=True
    ),
    f"SELECT * REPLACE (upper(name) AS name) FROM {R}": Masked(),
    f"SELECT * FROM {R}": Masked(),
    f"SELECT h.* FROM {R} h": Masked(),
    f"SELECT to_json(h) FROM {R} h": Refused(400, "to_json"),
    f"SELECT row(id_number, birth_date) FROM {R}": Refused(400, "row()"),
    # --- CASE, IF and boolean oracles -------------------------------------------------------
    f"SELECT CASE WHEN id_number = '{ID}' THEN 1 ELSE 0 END FROM {R}": Masked(),
    f"SELECT sum(CASE WHEN birth_date = '{BORN}' THEN 1 ELSE 0 END) FROM {R}": Masked(),
    f"SELECT count_if(phone = '{PHONE}') FROM {R}": Masked(),
    f"SELECT bool_or(id_number LIKE '{ID[:12]}%') FROM {R}": Masked(),
    f"SELECT if(name = '{NAME}', 1 / 0, 1) FROM {R}": Masked(),
    f"SELECT count(*) FROM {R} WHERE CASE WHEN phone = '{PHONE}' THEN TRUE END": Masked(),
    f"SELECT count(*) FROM {R} QUALIFY row_number() OVER (ORDER BY id_number) = 1": Refused(
        400, ""
    ),
    f"SELECT person_id FROM {R} QUALIFY row_number() OVER (ORDER BY id_number, person_id) = 1": (
        Masked()
    ),
    f"SELECT coalesce(nullif(id_number, '{ID}'), 'hit') FROM {R}": Masked(),
    f"SELECT greatest(id_number, '3'), least(phone, '2') FROM {R}": Masked(),
    # --- errors as an oracle ------------------------------------------------------------------
    f"SELECT CAST(CASE WHEN id_number = '{ID}' THEN 'x' ELSE '1' END AS INT) FROM {R}": Masked(),
    f"SELECT CAST(CASE WHEN id_number LIKE '33%' THEN 'x' ELSE '1' END AS INT) FROM {R}": (
        Refused(400, "")
    ),
    f"SELECT CAST(id_number AS DATE) FROM {R}": Refused(400, ""),
    f"SELECT strptime(birth_date, '%Y-%m-%d') FROM {R}": Refused(400, ""),
    f"SELECT try_strptime(birth_date, '%Y-%m-%d') FROM {R}": Masked(),
    # --- time travel, versions, other regions -----------------------------------------------
    f"SELECT id_number, birth_date FROM {R} AT (VERSION => 0)": Masked(compare=False),
    f"SELECT id_number FROM {R} AS OF VERSION 0": Masked(compare=False),
    f"SELECT count(*) FROM {R} AT (TIMESTAMP => '2000-01-01 00:00')": Refused(404, "no version"),
    f"SELECT count(*) FROM {R} AT (VERSION => 7)": Refused(404, "no version 7"),
    f"SELECT count(*) FROM {R} WHERE region_code <> '{HOME}'": Masked(),
    f"SELECT count(*) FROM {R} h JOIN {R} AT (VERSION => 0) o USING (person_id) "
    "WHERE o.id_number <> h.id_number": MASKED_IDENTITY,
    f"SELECT count(*) FROM {R} h JOIN {R} AT (VERSION => 0) o USING (person_id) "
    "WHERE o.birth_date <> h.birth_date": Masked(compare=False, check=lambda r: r.rows == 1),
    # --- catalogue, files and functions that are not data -----------------------------------
    f"SELECT * FROM read_parquet('{R}/*.parquet')": Refused(400, "read_parquet"),
    f"SELECT * FROM '{R}'": Masked(),
    f"SELECT * FROM '{R}.parquet'": Refused(400, "is not a dataset"),
    "SELECT * FROM duckdb_columns()": Refused(400, "duckdb_columns"),
    f"SELECT * FROM {R}_clear": Refused(404, "Unknown dataset"),
    "SELECT * FROM health_records": Refused(403, "no grant"),
    f"SELECT * FROM main.{R}": Refused(400, "Qualified"),
    f"SELECT regexp_replace(id_number, '(.*)', (SELECT 'x')) FROM {R}": Masked(),
    f"SELECT * FROM {R} USING SAMPLE 10 ROWS": Masked(compare=False),
    f"PIVOT {R} ON gender USING count(*)": Refused(400, "Only a query"),
    f"SELECT * FROM (PIVOT {R} ON gender USING count(*) GROUP BY birth_date)": Masked(),
    f"SELECT * FROM {R} UNPIVOT (v FOR k IN (id_number, phone))": Masked(compare=False),
    f"DESCRIBE {R}": Refused(400, "DESCRIBE"),
    f"SUMMARIZE {R}": Refused(400, "SUMMARIZE"),
    f"SELECT * FROM (SUMMARIZE {R})": Refused(400, ""),
    f"SELECT * FROM {R} TABLESAMPLE 50%": Masked(compare=False),
}


def _case_id(sql: str) -> str:
    return re.sub(r"\s+", " ", sql)[:70]


def _rows(result: QueryResult) -> list[list[Any]]:
    return [[json_value(v) for v in row] for row in result.rows_json()]


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    return [value]


def _key(row: list[Any]) -> str:
    return repr([str(v) for v in row])


def test_the_table_has_at_least_150_cases() -> None:
    refused = sum(isinstance(c, Refused) for c in CASES.values())
    masked = sum(isinstance(c, Masked) for c in CASES.values())
    assert len(CASES) >= 150, (refused, masked)


@pytest.mark.parametrize("sql", list(CASES), ids=[_case_id(s) for s in CASES])
def test_a_hostile_query_is_refused_or_answered_masked(world: World, sql: str) -> None:
    case = CASES[sql]
    if isinstance(case, Refused):
        with pytest.raises(QueryError) as caught:
            run_query(world.staff, sql)
        assert caught.value.status == case.status, caught.value.message
        assert case.says.lower() in caught.value.message.lower(), caught.value.message
        assert_no_secret(caught.value.message)
        return
    result = run_query(world.staff, sql)
    assert not result.clear_pii
    got = _rows(result)
    for row in got:
        for cell in _flat(row):
            assert_no_secret(str(cell))
    if case.compare:
        want = expected_rows(sql)
        if case.ordered:
            assert list(map(_key, got)) == list(map(_key, want))
        else:
            assert sorted(map(_key, got)) == sorted(map(_key, want))
    if case.check is not None:
        outcome = case.check(result)
        assert outcome is None or outcome is True, got[:5]


def test_a_birth_date_asked_in_clear_without_the_id_number_stays_masked(world: World) -> None:
    result = run_query(world.birth_clear, f"SELECT id_number, birth_date FROM {R}")
    assert result.clear_pii == []
    for number, born in result.rows_json():
        assert born.endswith("*-**-**") and number.endswith("*" * 12)
    # The same user rebuilds nothing through people either.
    joined = run_query(
        world.birth_clear,
        f"SELECT h.birth_date, p.born FROM {R} h JOIN people p ON p.person_id = h.person_id",
    )
    for row in joined.rows_json():
        assert_no_secret(str(row))


def test_a_clear_grant_of_both_reads_both_in_clear(world: World, make_user: Any) -> None:
    user = make_user(Role.COMMUNITY_STAFF, HOME, username="bothclear")
    world.hub.grant(user, world.hub[R], clear_columns=["birth_date", "id_number"])
    result = run_query(user, f"SELECT id_number, birth_date FROM {R} ORDER BY person_id")
    assert result.clear_pii == [f"{R}.birth_date", f"{R}.id_number"]
    assert result.rows_json()[0] == [
        HOME_RESIDENTS[0]["id_number"],
        HOME_RESIDENTS[0]["birth_date"],
    ]
    # In clear, an ID number is who someone is: joining and counting on it are allowed.
    joined = run_query(
        user, f"SELECT count(DISTINCT a.id_number) FROM {R} a JOIN {R} b USING (id_number)"
    )
    assert joined.rows_json() == [[len(HOME_RESIDENTS)]]


def test_refused_and_masked_counts() -> None:
    refused = [s for s, c in CASES.items() if isinstance(c, Refused)]
    masked = [s for s, c in CASES.items() if isinstance(c, Masked)]
    assert len(refused) + len(masked) == len(CASES)
    print(f"\nhostile queries: {len(refused)} refused, {len(masked)} answered masked")


# ---------------------------------------------------------------------------------------------
# The same attacks through CKAN datastore_search (filters, q, sort, distinct, fields)
# ---------------------------------------------------------------------------------------------

CKAN_CASES: list[dict[str, Any]] = [
    {"filters": {"id_number": ID}},
    {"filters": {"id_number": [ID, RESIDENTS[3]["id_number"]]}},
    {"filters": {"phone": PHONE}},
    {"filters": {"birth_date": BORN}},
    {"filters": {"name": NAME}},
    {"filters": {"id_number": pii.mask_id_number(ID)}},
    {"filters": {"birth_date": pii.mask_birth_date(BORN)}},
    {"q": PHONE},
    {"q": ID[6:14]},
    {"q": {"id_number": ID[:10]}},
    {"q": {"phone": PHONE[:7]}},
    {"sort": "id_number asc, person_id"},
    {"sort": "birth_date desc, person_id"},
    {"fields": ["id_number", "birth_date", "gender"], "distinct": True, "sort": "id_number"},
    {"fields": ["birth_date"], "distinct": True},
    {"records_format": "csv", "fields": ["id_number", "birth_date", "phone"]},
    {"records_format": "lists", "filters": {"gender": "男"}},
]


@pytest.mark.parametrize("body", CKAN_CASES, ids=[_case_id(json.dumps(b)) for b in CKAN_CASES])
def test_ckan_datastore_search_answers_masked(world: World, body: dict[str, Any]) -> None:
    _token, raw = tokens.issue(world.staff, "ckan")
    response = Client(HTTP_AUTHORIZATION=raw).post(
        "/api/3/action/datastore_search",
        json.dumps({"resource_id": R, "limit": 1000, **body}, ensure_ascii=False),
        content_type="application/json",
    )
    text = response.content.decode()
    assert response.status_code in (200, 409), text
    if response.status_code != 200:
        assert_no_secret(
            json.dumps(response.json()["error"].get("message", ""), ensure_ascii=False)
        )
        return
    result = response.json()["result"]
    # CKAN echoes the caller's own filters and q (and the links built from them): only what
    # came from the data counts.
    assert_no_secret(json.dumps([result["records"], result["fields"]], ensure_ascii=False))
    assert set(result.get("masked_fields", [])) >= {"id_number", "birth_date"} & set(
        body.get("fields", ["id_number", "birth_date"])
    )
    filters = body.get("filters", {})
    clear_filter = any(
        v in (ID, PHONE, BORN, NAME) or (isinstance(v, list) and ID in v) for v in filters.values()
    )
    if clear_filter or isinstance(body.get("q"), (str, dict)):
        assert result.get("total", 0) == 0, "a clear value matched a masked column"
    if filters.get("id_number") == pii.mask_id_number(ID):
        assert result["total"] == len(HOME_RESIDENTS)  # the mask pairs everyone
