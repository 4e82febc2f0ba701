"""Turn a staged input into one DuckDB query that types, checks and labels every row.

The query yields ``_row``, one typed column per schema field and ``_reject``: NULL
for a good row, otherwise ``"<column>: <reason>"`` for the first failed check. All
work is vectorised inside DuckDB; Python only splits batches afterwards.

Most values are already in the form a type expects, so a typed field is read by a
cheap expression first (on the value as it came, without trimming it) and by the full
one (trimmed, every accepted form) only where the cheap one gives nothing; the cheap
one accepts nothing the full one would read differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from shequ.hub.ingest.cells import (
    EMPTY_MARKS,
    MAX_CELL_CHARS,
    NUMERIC_TYPES,
    ident,
    literal,
    numeric_text,
    quick_sql,
    trimmed_sql,
    typed_sql,
)
from shequ.hub.ingest.checks import DROPPED, cell_checks
from shequ.hub.ingest.keys import (
    TableKeys,
    duplicate_checks,
    row_hash,
    table_joins,
    unique_groups,
)
from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.tableschema import TableSchema


@dataclass
class ColumnPlan:
    """Which input column feeds each schema field, and what was left over."""

    sources: dict[str, str | None]  # field name -> input column (None: absent)
    ignored: list[str] = field(default_factory=list)


def plan_columns(
    staged: StagedInput, schema: TableSchema, column_map: dict[str, str]
) -> ColumnPlan:
    """Match input columns to fields: saved mapping, then name, then Chinese/English title.

    A column under a group of a two-level spreadsheet header ("车辆信息/号牌号码") is
    also matched by its leaf ("号牌号码") when no other column has that leaf. The sheet
    name of several sheets read as one (``StagedInput.sheet_column``) goes only to a
    field mapped from ``_sheet``, named ``sheet`` or titled 工作表 / sheet.
    """
    available = {c.strip().lower(): c for c in staged.columns}
    for key, column in _extra_names(staged).items():
        available.setdefault(key, column)
    sources: dict[str, str | None] = {}
    mapped = {target: upstream for upstream, target in column_map.items()}
    for f in schema.fields:
        candidates = [mapped.get(f.name), f.name, f.title, f.title_en]
        match = next(
            (
                available[c.strip().lower()]
                for c in candidates
                if c and c.strip().lower() in available
            ),
            None,
        )
        sources[f.name] = match
    missing = [
        f
        for f in schema.fields
        if sources[f.name] is None and (f.required or f.name in schema.primary_key)
    ]
    if missing:
        names = ", ".join(f"{f.name} ({f.title})" if f.title else f.name for f in missing)
        found = ", ".join(staged.columns[:30]) or "none"
        raise IngestError(
            f"required column(s) missing: {names}. The input has: {found}. "
            "Check the delimiter and header row, or map the upstream names on the source."
        )
    used = {c for c in sources.values() if c}
    extra = [staged.sheet_column] if staged.sheet_column else []
    return ColumnPlan(sources, [c for c in [*staged.columns, *extra] if c not in used])


SHEET_TITLES = ("sheet", "工作表")


def _extra_names(staged: StagedInput) -> dict[str, str]:
    """More names (lower-cased) by which columns match fields, name -> column: unique
    leaves of grouped headers, and the sheet column's names."""
    leaves: dict[str, list[str]] = {}
    for column, leaf in staged.leaves.items():
        leaves.setdefault(leaf.strip().lower(), []).append(column)
    names = {key: found[0] for key, found in leaves.items() if len(found) == 1}
    if staged.sheet_column:
        for key in (staged.sheet_column, *SHEET_TITLES):
            names.setdefault(key, staged.sheet_column)
    return names


# A query's planning time grows faster than its number of columns (DuckDB 2.0: 500
# fields 1.7 s, 2,000 fields 11.5 s): a wider input is typed and checked in parts of
# this many fields, each a query of its own over the input read once (see validation_sql).
PART_FIELDS = 100


@dataclass
class _Part:
    """The SQL typing and checking some fields (see ``_fields_sql``)."""

    raws: list[str] = field(default_factory=list)  # from the input: SELECT … FROM src
    quicks: list[str] = field(default_factory=list)  # from raws: SELECT *, … FROM raw
    trims: list[str] = field(default_factory=list)  # from quicks: SELECT *, …
    prepared: list[str] = field(default_factory=list)  # from trims: SELECT *, …
    passed: list[str] = field(default_factory=list)  # raws the checks read
    typed: list[str] = field(default_factory=list)  # from prepared: the typed fields
    names: list[str] = field(default_factory=list)  # of the typed fields, as identifiers
    failures: list[tuple[str, str]] = field(default_factory=list)  # (condition, reason)

    def first_failure(self) -> str:
        """SQL: the reason of the first failed check, NULL if none failed."""
        if not self.failures:
            return "NULL::VARCHAR"
        return "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r in self.failures) + " END"


def _fields_sql(
    schema: TableSchema,
    plan: ColumnPlan,
    numbers: range,
    *,
    zone: str,
    year_start: int | None,
    clean: frozenset[int] = frozenset(),
) -> _Part:
    """The SQL typing and checking the fields numbered *numbers* (in schema order).

    *clean*: fields whose every value the pre-pass (``clean_fields``) found read as it
    came by the cheap expression (or, for text, stored as it came): typed by that alone,
    with no check that could fail.
    """
    part = _Part()
    for i in numbers:
        f = schema.fields[i]
        src = plan.sources[f.name]
        raw = f"r_{i}"
        part.passed.append(raw)
        # A pattern is matched on the trimmed text of every value: nothing to save there.
        quick = (
            None
            if src is None or "pattern" in f.constraints
            else quick_sql(f, raw, zone, year_start)
        )
        key = f.name in schema.primary_key
        part.names.append(ident(f.name))
        if i in clean and src is not None:
            part.raws.append(f"{ident(src)} AS {raw}")
            if quick is None:
                part.typed.append(f"{raw} AS {ident(f.name)}")
                continue
            helper, expr = quick
            part.raws += [f"{helper} AS h_{i}"] if helper else []
            part.typed.append(f"{expr.replace('{h}', f'h_{i}')} AS {ident(f.name)}")
            continue
        if src is not None and quick is not None:
            # The value as it came; trimmed (and read in every form) only where needed.
            helper, expr = quick
            part.raws.append(f"{ident(src)} AS {raw}")
            part.raws += [f"{helper} AS h_{i}"] if helper else []
            part.quicks.append(f"{expr.replace('{h}', f'h_{i}')} AS q_{i}")
            # The trimmed text, once, for the values the cheap reading left (and those too
            # long to keep): the full reading and every check that reads it test first that
            # the cheap reading gave nothing, and NULL elsewhere costs nothing to compute.
            max_len = int(f.constraints.get("maxLength", MAX_CELL_CHARS))
            trimmed = trimmed_sql(raw)
            part.trims.append(
                f"CASE WHEN q_{i} IS NULL OR strlen({raw}) > {max_len} THEN {trimmed} END AS t_{i}"
            )
            part.passed.append(f"t_{i}")
            full = typed_sql(f, f"t_{i}", year_start)
            if f.type in NUMERIC_TYPES:
                # Its text for the full reading, once: the query is a third smaller.
                part.prepared.append(
                    f"CASE WHEN q_{i} IS NULL THEN {numeric_text(f't_{i}')} END AS w_{i}"
                )
                full = typed_sql(f, f"w_{i}", year_start, prepared=True)
            # CASE, unlike COALESCE, computes the full reading only for the rows it needs.
            part.typed.append(
                f"CASE WHEN q_{i} IS NOT NULL THEN q_{i} ELSE {full} END AS {ident(f.name)}"
            )
            # A reason may quote a value the cheap reading read (below the minimum, say).
            checks = cell_checks(
                f,
                f"t_{i}",
                ident(f.name),
                key=key,
                untrimmed=raw,
                year_start=year_start,
                shown_from=f"coalesce(t_{i}, {trimmed})",
            )
        else:
            part.raws.append(
                f"{trimmed_sql(ident(src))} AS {raw}" if src else f"NULL::VARCHAR AS {raw}"
            )
            part.typed.append(f"{typed_sql(f, raw, year_start)} AS {ident(f.name)}")
            checks = cell_checks(f, raw, ident(f.name), key=key, year_start=year_start)
        part.failures += [
            (cond, f"{literal(f.name + ': ')} || {reason}") for cond, reason in checks
        ]
    return part


def _parts(
    staged: StagedInput,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    zone: str,
    year_start: int | None,
    clean: frozenset[int] = frozenset(),
) -> list[_Part]:
    """The fields' SQL in parts of ``PART_FIELDS``, the input's own checks added."""
    count = len(schema.fields)
    parts = [
        _fields_sql(
            schema,
            plan,
            range(n, min(n + PART_FIELDS, count)),
            zone=zone,
            year_start=year_start,
            clean=clean,
        )
        for n in range(0, max(count, 1), PART_FIELDS)
    ]
    first, last = parts[0], parts[-1]
    # Read the ignored columns too (DuckDB checks text is UTF-8 only in columns it reads),
    # so that bad bytes anywhere in the input fail the run, as a transcoded input would.
    last.raws += [ident(c) for c in plan.ignored]
    last.passed += [ident(c) for c in plan.ignored]
    last.failures += [(f"strlen({ident(c)}) < 0", literal("never")) for c in plan.ignored]
    if staged.totals_cells or staged.footer_cells:
        # The totals and footer rows the CSV ends with: dropped, noted (see readers_csv).
        firsts = [ident(c) for c in staged.columns[:2]]
        first.raws.append(f"coalesce({', '.join(firsts)}) AS z_0")
        first.passed.append("z_0")
        for cells, what in ((staged.totals_cells, "totals"), (staged.footer_cells, "footer")):
            if cells:
                listed = ", ".join(literal(c) for c in cells)
                first.failures.insert(0, (f"z_0 IN ({listed})", literal(f"{DROPPED}{what} row")))
    return parts


def _key_column(staged: StagedInput) -> str:
    """A name for the row numbers of a wide input's parts, which no input column has."""
    taken = {c.lower() for c in staged.columns}
    k = "_k"
    while k in taken:
        k += "_"
    return k


def prepare_parts(
    staged: StagedInput,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    zone: str,
    year_start: int | None = None,
) -> Callable[[duckdb.DuckDBPyConnection], None] | None:
    """What to run before ``validation_sql`` on the same connection (None if narrow).

    A wide input is read once into a temporary table whose rows get a unique number
    (``_row`` is not unique for several sheets read as one); each part of
    ``PART_FIELDS`` fields is typed and checked from it into a temporary table of its
    own, a query DuckDB plans in a fraction of the whole's time; ``validation_sql``
    joins them back by that number. Planning costs DuckDB about 4 ms for each field's
    full reading and checks, so a pre-pass first finds the fields whose values all read
    cleanly (``clean_fields``) and those get only their cheap expression.
    """
    if len(schema.fields) <= PART_FIELDS:
        return None
    k = _key_column(staged)

    def prepare(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE src AS SELECT *, row_number() OVER () AS {k} "
            f"FROM ({staged.select_sql})"
        )
        clean = clean_fields(con, schema, plan, zone=zone, year_start=year_start)
        parts = _parts(staged, schema, plan, zone=zone, year_start=year_start, clean=clean)
        for n, part in enumerate(parts):
            row = "_row, " if n == 0 else ""
            raw = f"SELECT {k}, {row}{', '.join(part.raws)} FROM src"
            quick = f"SELECT {', '.join(['*', *part.quicks])} FROM ({raw})"
            trims = f"SELECT {', '.join(['*', *part.trims])} FROM ({quick})"
            prepared = f"SELECT {', '.join(['*', *part.prepared])} FROM ({trims})"
            typed = f"SELECT {k}, {row}{', '.join(part.passed + part.typed)} FROM ({prepared})"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE p{n} AS SELECT {k}, {row}"
                f"{', '.join(part.names)}, {part.first_failure()} AS _reject FROM ({typed})"
            )
        con.execute("DROP TABLE src")
        con.execute(f"CREATE TEMP VIEW parted AS {_parted_typed(staged, schema, len(parts))}")

    return prepare


# The pre-pass reads every cell of the fields it tests once; past this many cells the
# planning it saves (milliseconds per field) is small beside the reading it costs.
CLEAN_PASS_CELLS = 20_000_000


def clean_fields(
    con: duckdb.DuckDBPyConnection,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    zone: str,
    year_start: int | None,
) -> frozenset[int]:
    """The fields of table ``src`` whose every value needs neither full reading nor checks.

    A typed field qualifies when its cheap expression (``quick_sql``) reads every value
    that is there; text when no value has spaces at its ends or means "nothing"
    (``trimmed_sql``) and the text is stored as it came. Both when no value is too long
    and the field has no constraint, is not required, not part of the key and holds no
    personal data (whose checks and masking the full path does).

    The cells are unpivoted into (column, value) rows and tested by one expression per
    type, so the query is as long for 2,000 fields as for 100.
    """
    value = "v"
    tests: dict[str, str] = {}
    kinds: dict[int, tuple[str, str]] = {}  # field number -> (input column, type)
    for i, f in enumerate(schema.fields):
        src = plan.sources[f.name]
        if (
            src is None
            or f.constraints
            or f.required
            or f.name in schema.primary_key
            or f.pii != "none"
        ):
            continue
        if f.type == "string":
            if typed_sql(f, value) != value:
                continue
            marks = ", ".join(literal(m) for m in ("", *EMPTY_MARKS))
            tests[f.type] = (
                f"NOT ({value} LIKE ' %' OR {value} LIKE '% ' "
                f"OR (strlen({value}) <= 6 AND {value} IN ({marks})))"
            )
        else:
            quick = quick_sql(f, value, zone, year_start)
            if quick is None:
                continue
            helper, expr = quick
            tests[f.type] = f"({expr.replace('{h}', f'({helper})')}) IS NOT NULL"
        kinds[i] = (src, f.type)
    if not kinds:
        return frozenset()
    (rows,) = con.execute("SELECT count(*) FROM src").fetchone() or (0,)
    if rows * len(kinds) > CLEAN_PASS_CELLS:
        return frozenset()
    pairs = sorted({pair for pair in kinds.values()})
    listed = ", ".join(f"({literal(column)}, {literal(kind)})" for column, kind in pairs)
    columns = ", ".join(ident(column) for column in sorted({c for c, _ in pairs}))
    cases = " ".join(f"WHEN {literal(kind)} THEN {test}" for kind, test in tests.items())
    failed = con.execute(
        f"WITH kinds(name, kind) AS (VALUES {listed}), "
        f"cells AS (UNPIVOT (SELECT {columns} FROM src) ON COLUMNS(*) "
        f"INTO NAME name VALUE {value}) "
        "SELECT DISTINCT name, kind FROM cells JOIN kinds USING (name) "
        f"WHERE strlen({value}) > {MAX_CELL_CHARS} OR NOT coalesce(CASE kind {cases} END, false)"
    ).fetchall()
    dirty = set(failed)
    return frozenset(i for i, pair in kinds.items() if pair not in dirty)


def _parted_typed(staged: StagedInput, schema: TableSchema, count: int) -> str:
    """SQL of the typed fields and ``_reject1`` from the tables of ``prepare_parts``.

    Left joins, which DuckDB keeps in their order: inner joins of many parts on one
    key would be ordered by the join optimiser, whose work grows fast with their number.
    """
    k = _key_column(staged)
    joins = " ".join(f"LEFT JOIN p{n} ON p{n}.{k} = p0.{k}" for n in range(1, count))
    rejects = ", ".join(f"p{n}._reject" for n in range(count))
    cols = ", ".join(ident(name) for name in schema.names)
    return f"SELECT p0._row, {cols}, coalesce({rejects}) AS _reject1 FROM p0 {joins}"


def validation_sql(
    staged: StagedInput,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    duplicates: bool = True,
    zone: str,
    held: TableKeys | None = None,
    year_start: int | None = None,
) -> str:
    """The query; with ``duplicates=False`` it does not look for repeated keys (see run.py).

    *zone*: the time zone of local times in the input (the connection's TimeZone).
    *held*: keys already in the table, which a new row must not repeat (see run.py).

    The first failed check gives a row's reason: the fields' checks in schema order. A
    wide input's parts (``PART_FIELDS``) each give their first failure; the first of
    those, in the parts' order, is the same reason.
    """
    out_cols = ", ".join(ident(n) for n in schema.names)
    if len(schema.fields) <= PART_FIELDS:
        (part,) = _parts(staged, schema, plan, zone=zone, year_start=year_start)
        head = (
            f"WITH src AS ({staged.select_sql}), "
            f"raw AS (SELECT _row, {', '.join(part.raws)} FROM src), "
            f"quick AS (SELECT {', '.join(['*', *part.quicks])} FROM raw), "
            f"trims AS (SELECT {', '.join(['*', *part.trims])} FROM quick), "
            f"prepared AS (SELECT {', '.join(['*', *part.prepared])} FROM trims), "
            f"typed AS (SELECT _row, {', '.join(part.passed + part.typed)} FROM prepared), "
        )
        first_pass = part.first_failure()
    else:  # see prepare_parts
        head = "WITH typed AS (FROM parted), "
        first_pass = "_reject1"
    checked = f"SELECT _row, {out_cols}, {first_pass} AS _reject1 FROM typed"
    groups = unique_groups(schema) if duplicates else []
    if not groups and not (held and held.groups):
        plain = f"SELECT _row, {out_cols}, _reject1 AS _reject FROM checked"
        return f"{head}checked AS ({checked}) {plain}"
    # Keys the table holds are checked first: a row repeating one is refused as such,
    # even when an earlier row of the input repeats it too.
    ctes, joins, checks = table_joins(held, schema) if held else ([], [], [])
    more = duplicate_checks(groups)
    ctes, joins, checks = ctes + more[0], joins + more[1], checks + more[2]
    final = (
        "CASE WHEN c._reject1 IS NOT NULL THEN c._reject1 "
        + " ".join(f"WHEN {c} THEN {r}" for c, r in checks)
        + " END"
    )
    c_cols = ", ".join(f"c.{ident(n)}" for n in schema.names)
    checked = f"SELECT *, {row_hash(schema, 'k')} AS _h FROM ({checked}) k"
    # checked is read twice (keys, then rows): materialise it once instead of parsing twice.
    return (
        f"{head}checked AS MATERIALIZED ({checked}), {', '.join(ctes)} "
        f"SELECT c._row, {c_cols}, {final} AS _reject FROM checked c {' '.join(joins)}"
    )
