"""The rows that changed between two versions of a dataset, for systems that pull only news.

Delta tables written by the hub carry no change-data files, so the change is computed: with a
primary key, rows are matched by key (``insert``: key only in the newer version, ``delete``:
only in the older, ``update``: in both with any column different, NULLs compared as values);
without one, as multisets (``EXCEPT ALL`` both ways: ``insert`` and ``delete`` only).

The comparison reads both versions in clear inside the sandbox, so a change to a personal
column is seen even by a caller who gets it masked; what comes out passes through the caller's
access exactly as a query would: their columns only, personal columns masked unless granted in
clear, rows of their regions only (the newer row's region for inserts and updates, the older
row's for deletes). Every call is audited like a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.access import Access, access_for
from shequ.hub.models import Dataset
from shequ.hub.query import engine
from shequ.hub.query.audit import audit_refused, audit_region
from shequ.hub.query.binding import Run, load
from shequ.hub.query.errors import QueryError
from shequ.hub.query.masking import masked_select
from shequ.hub.query.result import json_value
from shequ.hub.query.sandbox import execute, ident, literal, row_scope_sql
from shequ.hub.tableschema import TableSchema

OPS = ("insert", "update", "delete")
CHANGE = "_change"
MAX_LIMIT = 10_000


@dataclass
class ChangeSet:
    dataset: str
    since: int
    until: int
    primary_key: list[str]
    columns: list[str]  # the caller's columns, after ``_change``
    counts: dict[str, int]  # per operation, of the caller's rows
    rows: list[dict[str, Any]]
    offset: int
    clear_pii: list[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.rows)
        return end if end < self.total else None


def changes(
    user: User,
    dataset: Dataset,
    since: int,
    until: int | None = None,
    *,
    limit: int = 1000,
    offset: int = 0,
    op: str | None = None,
) -> ChangeSet:
    """Rows changed from version ``since`` to ``until`` (default: current), as ``user`` may see.

    ``user=None`` is platform code: every column and row, personal columns still masked.
    """
    schema = TableSchema.from_dict(dataset.schema)
    access = _access(user, dataset, schema)
    until = dataset.version if until is None else until
    _check_range(dataset, since, until, limit, offset, op)
    assert until is not None  # _check_range refused a dataset without versions
    if CHANGE in schema.names:
        raise QueryError.of("changes_column", 409, name=repr(dataset.key), column=CHANGE)

    run = Run(user=user, sql=f"changes {dataset.key} {since}..{until}")
    everything = Access(
        columns=tuple(schema.names),
        clear=frozenset(schema.pii_fields()),
        row_prefixes=None,
    )
    run.views = {
        "_old": load("_old", dataset, everything, since),
        "_new": load("_new", dataset, everything, until),
    }
    changed = _changed_sql(schema)
    scoped = f"(SELECT * FROM ({changed}) AS _c WHERE {_scope(schema, access)})"
    if op:
        scoped = f"(SELECT * FROM {scoped} AS _o WHERE {CHANGE} = {literal(op)})"
    pii = schema.pii_fields()
    columns = [(CHANGE, None)] + [
        (name, pii[name] if name in pii and name not in access.clear else None)
        for name in access.columns
    ]
    order = ", ".join(ident(k) for k in schema.primary_key or access.columns)
    rows_sql = (
        f"SELECT * FROM ({masked_select(scoped, columns)}) AS _r "
        f"ORDER BY {CHANGE}, {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    counts_sql = f"SELECT {CHANGE}, count(*) AS n FROM {scoped} AS _s GROUP BY ALL"
    seconds = engine.default_timeout()
    try:
        counted, _ = execute(run, counts_sql, len(OPS), seconds)
        table, _ = execute(run, rows_sql, int(limit), seconds)
    except QueryError as exc:
        audit_refused(run, exc)
        raise
    counts = dict.fromkeys(OPS, 0)
    for name, n in zip(
        counted.column(CHANGE).to_pylist(), counted.column("n").to_pylist(), strict=True
    ):
        counts[name] = int(n)
    clear = sorted(c for c in access.columns if c in pii and c in access.clear)
    result = ChangeSet(
        dataset=dataset.key,
        since=since,
        until=until,
        primary_key=list(schema.primary_key),
        columns=list(access.columns),
        counts=counts,
        rows=[{k: json_value(v) for k, v in row.items()} for row in table.to_pylist()],
        offset=offset,
        clear_pii=clear if table.num_rows else [],
    )
    record(
        "hub.changes",
        actor=user,
        obj=dataset,
        region_code=audit_region(run),
        since=since,
        until=until,
        op=op or "",
        rows=len(result.rows),
        offset=offset,
        clear_pii=result.clear_pii,
    )
    return result


def _access(user: User, dataset: Dataset, schema: TableSchema) -> Access:
    if user is None:
        return Access(columns=tuple(schema.names), clear=frozenset(), row_prefixes=None)
    access = access_for(user, dataset)
    if access is None:
        raise QueryError.of("no_grant", 403, dataset=dataset.key, name=repr(dataset.key))
    return access


def _check_range(
    dataset: Dataset, since: int, until: int | None, limit: int, offset: int, op: str | None
) -> None:
    if dataset.version is None or until is None:
        raise QueryError.of("changes_no_versions", 404, name=repr(dataset.key))
    if not 0 <= since < until:
        raise QueryError.of("changes_since", 422, since=since, until=until)
    if until > dataset.version:
        raise QueryError.of(
            "changes_until", 404, name=repr(dataset.key), until=until, newest=dataset.version
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError.of("changes_limit", 422, max=f"{MAX_LIMIT:,}")
    if offset < 0:
        raise QueryError.of("changes_offset", 422)
    if op is not None and op not in OPS:
        raise QueryError.of("changes_op", 422, ops=", ".join(OPS))


def _changed_sql(schema: TableSchema) -> str:
    """One relation: ``_change`` and every column, in clear, of each changed row."""
    q = ident
    if not schema.primary_key:
        return (
            f"SELECT 'insert' AS {CHANGE}, * FROM (SELECT * FROM _new EXCEPT ALL "
            f"SELECT * FROM _old) AS _i UNION ALL "
            f"SELECT 'delete' AS {CHANGE}, * FROM (SELECT * FROM _old EXCEPT ALL "
            f"SELECT * FROM _new) AS _d"
        )
    on = " AND ".join(f"n.{q(k)} = o.{q(k)}" for k in schema.primary_key)
    others = [c for c in schema.names if c not in schema.primary_key]
    differs = " OR ".join(f"n.{q(c)} IS DISTINCT FROM o.{q(c)}" for c in others) or "FALSE"
    return (
        f"SELECT 'insert' AS {CHANGE}, n.* FROM _new AS n ANTI JOIN _old AS o ON {on} "
        f"UNION ALL SELECT 'delete' AS {CHANGE}, o.* FROM _old AS o ANTI JOIN _new AS n ON {on} "
        f"UNION ALL SELECT 'update' AS {CHANGE}, n.* FROM _new AS n JOIN _old AS o ON {on} "
        f"WHERE {differs}"
    )


def _scope(schema: TableSchema, access: Access) -> str:
    if not schema.region_field:
        return "TRUE"
    return row_scope_sql(schema.region_field, access.row_prefixes)
