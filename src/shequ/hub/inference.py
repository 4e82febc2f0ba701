"""Infer a Table Schema from a staged input and suggest PII kinds for staff to confirm."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from shequ.hub.ingest.cells import ident, trimmed_sql, typed_sql
from shequ.hub.ingest.naming import field_name
from shequ.hub.ingest.personal import GRADE_OF_PII, PATTERNS, suggest_pii
from shequ.hub.ingest.staging import IngestError, StagedInput
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


# Every value of a number, date or time starts so (full-width digits are read too).
TYPED_START = "^[+\\-.0-9０-９＋－．]"
BOOLEAN_WORDS = ("true", "false", "是", "否")


def _hits(kind: str, c: str) -> str:
    """SQL: how many values *c* read as *kind*, as the ingest reads them."""
    # Codes with leading zeros (户号 "000123", postcodes) stay strings; so do numbers too
    # long to be a count or an amount (account numbers), which would lose digits.
    # Twelve digits or more: a region code (330102001001) or an account, never a count.
    code_like = (
        f"(regexp_matches({c}, '^[+-]?0[0-9]') OR regexp_matches({c}, '^[0-9]{{12,}}$') "
        f"OR length({c}) > 15)"
    )
    typed = typed_sql(Field("x", kind), c)
    if kind in ("integer", "number"):
        return f"count({typed}) FILTER (WHERE NOT {code_like})"
    if kind == "date":
        return f"count({typed}) FILTER (WHERE NOT regexp_matches({c}, '[0-9]:[0-9]'))"
    return f"count({typed})"


def _types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The narrowest type every non-empty sampled value of each column can be ingested as.

    Uses the ingestion engine's own coercions, so an inferred schema accepts its file. The
    sample is read as (column, value) cells, so that each reading is one expression over all
    columns (an expression per column made a 2,000-column file take minutes). Each type is
    tried only on the columns no narrower one fitted, and only where every value starts as
    a number or a date does: a time has a dozen forms to try, a cheap test rules text out.
    """
    words = ", ".join(f"'{w}'" for w in BOOLEAN_WORDS)
    first = con.execute(
        f"SELECT col, count(v), count(*) FILTER (WHERE lower(v) IN ({words})), "
        f"count(*) FILTER (WHERE regexp_matches(v, '{TYPED_START}')) FROM cells GROUP BY col"
    ).fetchall()
    types: dict[str, str] = {}
    filled = {}
    pending = []
    for col, count, bools, typable in first:
        filled[col] = count
        if count and bools == count:
            types[col] = "boolean"
        elif count and typable == count:
            pending.append(col)
    for kind in ("integer", "number", "date", "datetime"):
        if not pending:
            break
        counts = con.execute(
            f"SELECT col, {_hits(kind, 'v')} FROM cells WHERE list_contains($1, col) GROUP BY col",
            [pending],
        ).fetchall()
        types.update({col: kind for col, count in counts if count == filled[col]})
        pending = [col for col in pending if col not in types]
    return types


def _samples(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Up to 200 non-empty values of each column."""
    found = con.execute(
        "SELECT col, list(v ORDER BY pos)[1:200] FROM cells WHERE v IS NOT NULL GROUP BY col"
    ).fetchall()
    return {col: list(values) for col, values in found}


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
        every = ", ".join(ident(c) for c in staged.columns)
        con.execute(
            f"CREATE TEMP TABLE sample AS SELECT {every} "
            f"FROM ({staged.select_sql}) LIMIT {SAMPLE_ROWS}"
        )
        [(rows,)] = con.execute("SELECT count(*) FROM sample").fetchall()
        if rows == 0:
            raise IngestError(
                "the file has a header but no data rows: a schema cannot be inferred from no "
                "rows (every column would be typed as text); create the dataset from a file "
                "with data"
            )
        # Cells trimmed once (无, - and / are empty, as the ingest reads them).
        at = "_at"
        while at in staged.columns:  # the row number may not take a column's name
            at += "_"
        con.execute(
            f"CREATE TEMP TABLE cells AS SELECT col, {trimmed_sql('v')} AS v, {ident(at)} AS pos "
            f"FROM (UNPIVOT (SELECT COLUMNS(*)::VARCHAR, row_number() OVER () AS {ident(at)} "
            f"FROM sample) ON COLUMNS(* EXCLUDE ({ident(at)})) INTO NAME col VALUE v)"
        )
        types, samples = _types(con), _samples(con)
        taken: set[str] = set()
        fields = [
            _field(
                header,
                # "车辆信息/号牌号码" is named by its leaf, titled by both levels.
                field_name(staged.leaves.get(header, header), i, taken),
                types.get(header, "string"),
                samples.get(header, []),
            )
            for i, header in enumerate(staged.columns)
        ]
        _link_birth_dates(fields)
        # A column of 12-digit division codes scopes rows by region.
        region = next((f.name for f in fields if f.name == "region_code"), "")
        schema = TableSchema(fields, region_field=region)
        notes = _propose_key(con, staged, schema)
    finally:
        con.close()
    return Inference(schema, notes)


def _field(header: str, name: str, ftype: str, values: list[str]) -> Field:
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
            f"count({trimmed_sql(ident(h))}), count(DISTINCT {ident(h)}), "
            f"min(TRY_CAST({ident(h)} AS BIGINT)), max(TRY_CAST({ident(h)} AS BIGINT))"
            for _, h in candidates
        )
        found = con.execute(
            f"SELECT count(*), count(DISTINCT row({every})), {checks} FROM {source}"
        ).fetchall()[0]
        total, distinct_rows = found[0], found[1]
        candidates = [
            c
            for n, c in enumerate(candidates)
            if found[2 + 4 * n] == total
            and found[3 + 4 * n] == distinct_rows
            # 1, 2, … N is this file's row number under another name: the next file repeats it
            and (found[4 + 4 * n], found[5 + 4 * n]) != (1, distinct_rows)
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
