"""Keys and unique values: repeats within the input, and against the rows the table holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from shequ.hub.ingest.cells import ident, literal
from shequ.hub.ingest.checks import DROPPED
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema


def unique_groups(schema: TableSchema) -> list[list[str]]:
    """The column sets whose values must not repeat: the primary key, then unique fields."""
    groups = [schema.primary_key] if schema.primary_key else []
    groups += [
        [f.name]
        for f in schema.fields
        if f.constraints.get("unique") and [f.name] != schema.primary_key
    ]
    return groups


def row_hash(schema: TableSchema, alias: str, have: set[str] | None = None) -> str:
    """SQL: a hash of a row's stored values (columns missing from *have* as NULL)."""
    values = [
        f"CAST({alias}.{ident(f.name)} AS {DUCKDB_TYPES[f.type]})"
        if have is None or f.name in have
        else f"CAST(NULL AS {DUCKDB_TYPES[f.type]})"
        for f in schema.fields
    ]
    return f"hash({', '.join(values)})"


def duplicate_checks(groups: list[list[str]]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """CTEs, joins and checks that reject repeated keys: the first good row wins.

    A hash aggregate finds keys seen more than once among good rows and a hash join
    marks the later ones; unlike a window over the whole input this needs no sort.
    Empty values are not duplicates of each other (as in SQL). A later row equal to
    the first in every column (a re-delivery) is skipped and counted, not rejected.
    """
    ctes, joins, checks = [], [], []
    for n, cols in enumerate(groups):
        keys = ", ".join(ident(c) for c in cols)
        present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in cols)
        ctes.append(
            f"dup{n} AS (SELECT {keys}, min(_row) AS first, arg_min(_h, _row) AS first_h "
            f"FROM checked WHERE _reject1 IS NULL AND {present} GROUP BY {keys} "
            "HAVING count(*) > 1)"
        )
        on = " AND ".join(f"c.{ident(c)} = dup{n}.{ident(c)}" for c in cols)
        joins.append(f"LEFT JOIN dup{n} ON {on}")
        later = f"dup{n}.first IS NOT NULL AND c._row <> dup{n}.first"
        checks.append(
            (
                f"{later} AND c._reject1 IS NULL AND c._h = dup{n}.first_h",
                f"{literal(DROPPED + 'exact repeat of row ')} || dup{n}.first",
            )
        )
        checks.append(
            (later, f"{literal('+'.join(cols) + ': ')} || 'duplicate of row ' || dup{n}.first")
        )
    return ctes, joins, checks


@dataclass
class TableKeys:
    """Keys the table already holds, which new rows must not repeat.

    ``source``: SQL reading the table's current rows. ``groups``: per key, its columns and,
    for an upsert, the primary key: then a value is refused only where the table holds it
    in a row with another primary key (that row is not the one the upsert replaces).
    """

    source: str
    groups: list[tuple[list[str], list[str] | None]]
    columns: set[str] = field(default_factory=set)  # the table's columns


def table_key_groups(
    schema: TableSchema, mode: str, columns: set[str]
) -> list[tuple[list[str], list[str] | None]]:
    """Which keys of new rows are checked against the table's rows, for *mode*.

    An append may repeat no key (primary key, unique field) the table holds; an upsert
    replaces rows by primary key, so only its unique fields are checked, against rows
    with another key; a replace drops the table's rows. *columns*: the table's columns
    (a field added since has no values there to repeat).
    """
    if mode == "append":
        return [(cols, None) for cols in unique_groups(schema) if set(cols) <= columns]
    if mode == "upsert" and schema.primary_key and set(schema.primary_key) <= columns:
        return [
            (cols, list(schema.primary_key))
            for cols in unique_groups(schema)
            if cols != schema.primary_key and set(cols) <= columns
        ]
    return []


def table_joins(
    held: TableKeys, schema: TableSchema
) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """CTEs, joins and checks that reject rows whose key the table already holds.

    A row equal in every column to the table's row of its key (a re-delivery) is
    skipped and counted instead.
    """
    ctes, joins, checks = [], [], []
    same = f"{row_hash(schema, 'e', held.columns)} = c._h"
    for n, (cols, pk) in enumerate(held.groups):
        on = " AND ".join(f"e.{ident(c)} = c.{ident(c)}" for c in cols)
        other = ""
        if pk:
            other = " AND NOT (" + " AND ".join(f"e.{ident(c)} = c.{ident(c)}" for c in pk) + ")"
        ctes.append(
            f"held{n} AS (SELECT c._row AS r, bool_and({same}) AS same FROM checked c "
            f"JOIN {held.source} e ON {on}{other} GROUP BY c._row)"
        )
        joins.append(f"LEFT JOIN held{n} ON held{n}.r = c._row")
        reason = "already in the table in another row" if pk else "already in the table"
        if not pk:
            checks.append(
                (
                    f"held{n}.r IS NOT NULL AND held{n}.same AND c._reject1 IS NULL",
                    literal(DROPPED + "exact repeat of a row in the table"),
                )
            )
        checks.append((f"held{n}.r IS NOT NULL", literal("+".join(cols) + ": " + reason)))
    return ctes, joins, checks
