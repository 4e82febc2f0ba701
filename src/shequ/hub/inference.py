"""Infer a Table Schema from a staged input and suggest PII kinds for staff to confirm."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from shequ.hub.ingest.naming import field_name
from shequ.hub.ingest.personal import GRADE_OF_PII, PATTERNS, suggest_pii
from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.ingest.validate import ident, trimmed_sql, typed_sql
from shequ.hub.tableschema import Field, TableSchema

__all__ = ["Inference", "field_name", "infer", "infer_schema", "suggest_pii"]

SAMPLE_ROWS = 2000

# Header words that say a column holds codes (kept as text even when all digits).
CODE_WORDS = ("代码", "编码", "编号", "号码", "账号", "邮编", "code")
# Kinds whose values are identifiers: text, whatever their digits, and validated.
IDENTIFIER_KINDS = ("id_card", "phone", "plate")
# Headers of a record's own identifier (通行记录编号, event_id), which may become the key.
KEY_WORDS = ("编号", "流水号", "记录号", "单号", "业务号")
NOT_KEY_WORDS = ("序号", "行号", "seq")  # a row's number in this file: repeats in the next


@dataclass
class Inference:
    """An inferred schema and what the clerk should know about it (the run's notes)."""

    schema: TableSchema
    notes: list[str] = field(default_factory=list)


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


def infer_schema(staged: StagedInput) -> TableSchema:
    return infer(staged).schema


def infer(staged: StagedInput) -> Inference:
    """The schema a staged input suggests: names, types, PII kinds, checks and maybe a key.

    Refuses an input without data rows: types guessed from nothing would all be text, and
    every later file would be stored as text.
    """
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"CREATE TEMP TABLE sample AS SELECT * FROM ({staged.select_sql}) LIMIT {SAMPLE_ROWS}"
        )
        [(rows,)] = con.execute("SELECT count(*) FROM sample").fetchall()
        if rows == 0:
            raise IngestError(
                "the file has a header but no data rows: a schema cannot be inferred from no "
                "rows (every column would be typed as text); create the dataset from a file "
                "with data"
            )
        taken: set[str] = set()
        fields = []
        for i, header in enumerate(staged.columns):
            # "车辆信息/号牌号码" is named by its leaf, titled by both levels.
            name = field_name(staged.leaves.get(header, header), i, taken)
            fields.append(_field(con, header, name))
        _link_birth_dates(fields)
        # A column of 12-digit division codes scopes rows by region.
        region = next((f.name for f in fields if f.name == "region_code"), "")
        schema = TableSchema(fields, region_field=region)
        notes = _propose_key(con, staged, schema)
    finally:
        con.close()
    return Inference(schema, notes)


def _field(con: duckdb.DuckDBPyConnection, header: str, name: str) -> Field:
    ftype = _type_of(con, "sample", header)
    values = [
        r[0]
        for r in con.execute(
            f"SELECT trim({ident(header)}) FROM sample WHERE {ident(header)} IS NOT NULL LIMIT 200"
        ).fetchall()
    ]
    kind = suggest_pii(header, values)
    if kind in IDENTIFIER_KINDS or any(w in header.lower() for w in CODE_WORDS):
        ftype = "string"  # identifiers and codes are text, whatever their digits
    # Phones and plates are checked as catalog schemas check them; ID numbers are checked
    # by GB 11643 for every id_card column (shequ.hub.ingest.validate).
    constraints = {"pattern": PATTERNS[kind]} if kind in PATTERNS else {}
    return Field(
        name=name,
        type=ftype,
        title=header.strip(),
        pii=kind,
        grade=GRADE_OF_PII.get(kind, "important" if kind != "none" else "general"),
        constraints=constraints,
    )


def _link_birth_dates(fields: list[Field]) -> None:
    """A birth date is the middle of the ID numbers beside it: clear only with them."""
    ids = [f.name for f in fields if f.pii == "id_card"]
    for f in fields:
        if f.pii == "birth_date":
            f.part_of = list(ids)


def _propose_key(
    con: duckdb.DuckDBPyConnection, staged: StagedInput, schema: TableSchema
) -> list[str]:
    """Make a record identifier the primary key when it is unique apart from exact repeats.

    A gate or camera export delivered twice repeats whole records: with the identifier as
    key, the repeats are skipped and counted instead of stored twice. Only a column named as
    an identifier qualifies (not a row number, which the next file repeats; not a personal
    value), never empty, with as many distinct values as there are distinct rows: in the
    sample first, then in the whole input.
    """
    candidates = [
        (f, header)
        for f, header in zip(schema.fields, staged.columns, strict=True)
        if _key_like(f, header)
    ]
    if not candidates:
        return []
    every = ", ".join(ident(c) for c in staged.columns)
    for source in ("sample", f"({staged.select_sql})"):
        checks = ", ".join(
            f"count({trimmed_sql(ident(h))}), count(DISTINCT {ident(h)})" for _, h in candidates
        )
        found = con.execute(
            f"SELECT count(*), count(DISTINCT row({every})), {checks} FROM {source}"
        ).fetchall()[0]
        total, distinct_rows = found[0], found[1]
        candidates = [
            c
            for n, c in enumerate(candidates)
            if found[2 + 2 * n] == total and found[3 + 2 * n] == distinct_rows
        ]
        if not candidates:
            return []
    key, header = candidates[0]
    schema.primary_key = [key.name]
    repeats = total - distinct_rows
    note = f"primary key proposed: {key.name} ({header.strip()}), unique in every record"
    if repeats:
        note += f"; {repeats} exact repeat(s) of earlier rows are skipped, not stored twice"
    return [note]


def _key_like(f: Field, header: str) -> bool:
    h = header.strip().lower()
    words = set(re.findall(r"[a-z]+", h))
    named = any(w in h for w in KEY_WORDS) or bool({"id", "uuid", "guid"} & words)
    return (
        named
        and not any(w in h for w in NOT_KEY_WORDS)
        and f.pii == "none"
        and f.type in ("string", "integer")
    )
