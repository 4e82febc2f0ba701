"""Infer a Table Schema from a staged input and suggest PII kinds for staff to confirm."""

from __future__ import annotations

import re
from typing import Any

import duckdb
from django.core.exceptions import ValidationError

from shequ.core import pii
from shequ.hub.ingest.staging import StagedInput
from shequ.hub.ingest.validate import ident, trimmed_sql, typed_sql
from shequ.hub.tableschema import Field, TableSchema

SAMPLE_ROWS = 2000

# Header words (Chinese and English) that say what a column holds.
PII_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("id_card", ("身份证", "证件号", "公民身份号码", "id_number", "id_card", "idcard")),
    ("phone", ("手机", "电话", "联系方式", "phone", "mobile", "tel")),
    ("plate", ("车牌", "号牌", "plate")),
    ("address", ("地址", "住址", "户籍地", "address")),
    ("face", ("人脸", "照片", "头像", "face", "photo")),
    ("health", ("健康码", "核酸", "病史", "health")),
    ("name", ("姓名", "名字", "联系人", "户主", "车主", "name")),
]
COMMON_NAMES = {
    "姓名": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "电话": "phone",
    "地址": "address",
    "住址": "address",
    "车牌号": "plate",
    "车牌号码": "plate",
    "号牌号码": "plate",
    "时间": "time",
    "日期": "date",
    "性别": "sex",
    "年龄": "age",
    "编号": "code",
    "序号": "seq",
    "备注": "remark",
    "区划代码": "region_code",
    "社区": "community",
}
# Header words that say a column holds codes (kept as text even when all digits).
CODE_WORDS = ("代码", "编码", "编号", "号码", "账号", "邮编", "code")
VALUE_CHECKS = {
    "id_card": pii.validate_id_number,
    "phone": pii.validate_phone,
    "plate": pii.normalize_plate,
}
GRADE_OF_PII = {"id_card": "core", "health": "core", "face": "core"}


def field_name(header: str, index: int, taken: set[str]) -> str:
    """A lower-snake ASCII name for a header; Chinese headers keep their text as the title."""
    base = COMMON_NAMES.get(header.strip())
    if base is None:
        base = re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")
        if not base or not base[0].isalpha() or not header.isascii():
            base = f"col_{index + 1}"
    name, n = base[:60], 2
    while name in taken:
        name, n = f"{base[:56]}_{n}", n + 1
    taken.add(name)
    return name


def _type_of(con: duckdb.DuckDBPyConnection, rel: str, col: str) -> str:
    """The narrowest type every non-empty sampled value of *col* can be ingested as.

    Uses the ingestion engine's own coercions, so an inferred schema accepts its file.
    Codes with leading zeros (户号 "000123", postcodes) stay strings; so do numbers
    too long to be a count or an amount (account numbers), which would lose digits.
    """
    c = trimmed_sql(ident(col))  # 无, - and / are empty cells, as the ingest reads them
    # Twelve digits or more: a region code (330102001001) or an account, never a count.
    code_like = (
        f"(regexp_matches({c}, '^[+-]?0[0-9]') OR regexp_matches({c}, '^[0-9]{{12,}}$') "
        f"OR length({c}) > 15)"
    )

    def hits(ftype: str) -> str:
        return f"count({typed_sql(Field('x', ftype), c)})"

    row = con.execute(
        f"SELECT count({c}), "
        f"{hits('integer')} FILTER (WHERE NOT {code_like}), "
        f"{hits('number')} FILTER (WHERE NOT {code_like}), "
        f"{hits('date')} FILTER (WHERE NOT regexp_matches({c}, '[0-9]:[0-9]')), "
        f"{hits('datetime')}, "
        f"count(*) FILTER (WHERE lower({c}) IN ('true', 'false', '是', '否')) "
        f"FROM {rel}"
    ).fetchall()[0]
    filled, ints, nums, dates, stamps, bools = row
    if filled == 0:
        return "string"
    for kind, count in (
        ("boolean", bools),
        ("integer", ints),
        ("number", nums),
        ("date", dates),
        ("datetime", stamps),
    ):
        if count == filled:
            return kind
    return "string"


def suggest_pii(header: str, samples: list[str]) -> str:
    """A PII kind from the values (check digits, patterns) or, failing that, the header."""
    values = [s for s in samples if s][:200]
    for kind, check in VALUE_CHECKS.items():
        if values and sum(_valid(check, v) for v in values) >= 0.8 * len(values):
            return kind
    lowered = header.lower()
    for kind, words in PII_WORDS:
        if any(w in lowered for w in words):
            return kind
    return "none"


def _valid(check: Any, value: str) -> bool:
    try:
        check(value)
    except ValidationError:
        return False
    return True


def infer_schema(staged: StagedInput) -> TableSchema:
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"CREATE TEMP TABLE sample AS SELECT * FROM ({staged.select_sql}) LIMIT {SAMPLE_ROWS}"
        )
        taken: set[str] = set()
        fields = []
        for i, header in enumerate(staged.columns):
            ftype = _type_of(con, "sample", header)
            values = [
                r[0]
                for r in con.execute(
                    f"SELECT trim({ident(header)}) FROM sample WHERE {ident(header)} IS NOT NULL "
                    "LIMIT 200"
                ).fetchall()
            ]
            kind = suggest_pii(header, values)
            if kind != "none" or any(w in header.lower() for w in CODE_WORDS):
                ftype = "string"  # identifiers and codes are text, whatever their digits
            fields.append(
                Field(
                    # "车辆信息/号牌号码" is named by its leaf, titled by both levels.
                    name=field_name(staged.leaves.get(header, header), i, taken),
                    type=ftype,
                    title=header.strip(),
                    pii=kind,
                    grade=GRADE_OF_PII.get(kind, "important" if kind != "none" else "general"),
                )
            )
    finally:
        con.close()
    # A column of 12-digit division codes scopes rows by region.
    region = next((f.name for f in fields if f.name == "region_code"), "")
    return TableSchema(fields, region_field=region)
