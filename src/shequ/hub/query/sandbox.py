"""The sandbox a query runs in: a DuckDB database per set of files, views that show only the
granted columns (masked) and rows, a time limit and a row limit.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings

from shequ import forksafety
from shequ.core import pii
from shequ.hub.query import diagnose, limits
from shequ.hub.query.binding import Run, View, field_suggestions
from shequ.hub.query.errors import QueryError
from shequ.hub.query.masking import masked_select
from shequ.hub.storage import hub_dir
from shequ.hub.tableschema import DUCKDB_TYPES

log = logging.getLogger(__name__)


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def row_scope_sql(column: str, prefixes: tuple[str, ...] | None) -> str:
    """SQL keeping rows whose region code starts with one of prefixes (None: every row).

    Each prefix p becomes the range p <= code < p' (p with its last character incremented),
    nested and adjacent ranges merged: 锦绣社区 and 和园社区 together are one range. DuckDB
    pushes a range into the Parquet scan, where it is evaluated before anything of the user's
    query (a user's expression never sees another region's row), skips row groups outside it
    and drops it for row groups whose statistics lie inside it, so it usually costs nothing.
    """
    if prefixes is None:
        return "TRUE"
    if not prefixes:
        return "FALSE"
    if "" in prefixes:
        return "TRUE"
    col = ident(column)
    ranges: list[list[str]] = []
    exact: list[str] = []
    for p in sorted(set(prefixes)):
        if ord(p[-1]) >= 0x10FFFF:
            exact.append(f"starts_with({col}, {literal(p)})")
            continue
        low, high = p, p[:-1] + chr(ord(p[-1]) + 1)
        if ranges and low <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], high)
        else:
            ranges.append([low, high])
    parts = [f"({col} >= {literal(lo)} AND {col} < {literal(hi)})" for lo, hi in ranges]
    return "(" + " OR ".join(parts + exact) + ")"


def view_sql(view: View, relation: str | None = None) -> str:
    """The SELECT behind a dataset view: readable columns, masked, of the user's rows.

    The rows come from the version's Parquet files (``read_parquet``), or from ``relation``
    when another engine has registered those files under that name (``spark``).
    """
    schema, access = view.schema, view.access
    pii = schema.pii_fields()
    columns = [
        (name, pii[name] if name in pii and name not in access.clear else None)
        for name in access.columns
    ]
    if not columns:
        key = view.dataset.key
        raise QueryError.of("no_columns", 403, dataset=key, name=repr(key))
    selected = []
    for name in access.columns:
        if name in view.file_columns:
            selected.append(ident(name))
        else:  # a column added after this version, or a dataset without data yet
            selected.append(
                f"CAST(NULL AS {DUCKDB_TYPES[schema.field(name).type]}) AS {ident(name)}"
            )
    if view.files:
        files = "[" + ", ".join(literal(f) for f in view.read_files) + "]"
        scope = "TRUE"
        if schema.region_field:
            scope = row_scope_sql(schema.region_field, access.row_prefixes)
        if relation is None:
            relation = f"read_parquet({files}, union_by_name = true)"
        source = f"(SELECT {', '.join(selected)} FROM {relation} WHERE {scope})"
    else:
        source = f"(SELECT {', '.join(selected)} WHERE FALSE)"
    return masked_select(source, columns)


class _Sandboxes:
    """Locked DuckDB databases, one per set of readable files, reused across queries.

    A database is opened with extension loading off, allowed to read exactly its files, then
    external access is disabled and its configuration locked; nothing can widen it afterwards.
    Each query runs on a fresh connection (cursor) of it, whose temporary dataset views, with
    the user's masking and row scope, no other connection sees and which vanish with it.
    Opening a database costs about 30 ms (DuckDB registers its built-in functions), as much as
    a small query: hence the reuse. User SQL can never change a database: it is one policed
    SELECT, and the configuration is locked.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: OrderedDict[tuple[Any, ...], duckdb.DuckDBPyConnection] = OrderedDict()

    def connect(self, files: list[str]) -> duckdb.DuckDBPyConnection:
        threads, memory = int(settings.HUB_THREADS), str(settings.HUB_MEMORY_LIMIT)
        key = (os.getpid(), tuple(sorted(set(files))), threads, memory, settings.TIME_ZONE)
        with self.lock:
            root = self.open.get(key)
            if root is not None:
                self.open.move_to_end(key)
                return root.cursor()
        root = locked_database(list(key[1]), threads, memory)
        with self.lock:
            if key[0] != os.getpid() or any(k[0] != key[0] for k in self.open):
                self.open.clear()  # forked: the parent's databases are not ours
            self.open[key] = root
            # Dropped, not closed: closing a connection closes its cursors, and a query may be
            # running on one; the database goes when its last cursor does.
            while len(self.open) > max(1, int(settings.HUB_QUERY_DATABASES)):
                self.open.popitem(last=False)
            return root.cursor()

    def clear(self) -> None:
        with self.lock:
            self.open.clear()
            forksafety.forget_runtime("cached DuckDB query databases")


def locked_database(files: list[str], threads: int, memory: str) -> duckdb.DuckDBPyConnection:
    temp = hub_dir() / "tmp"
    temp.mkdir(parents=True, exist_ok=True)
    forksafety.note_runtime("cached DuckDB query databases")
    con = duckdb.connect(
        ":memory:",
        config={
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "threads": threads,
            "memory_limit": memory,
            "temp_directory": str(temp),
        },
    )
    try:
        con.execute(f"SET allowed_paths = [{', '.join(literal(f) for f in files)}]")
        con.execute("SET enable_external_access = false")
        con.execute(f"SET GLOBAL TimeZone = {literal(settings.TIME_ZONE)}")
        # Delta data files never change: their Parquet footers can be cached.
        con.execute("SET parquet_metadata_cache = true")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


SANDBOXES = _Sandboxes()


def sandbox(views: list[View]) -> duckdb.DuckDBPyConnection:
    """A connection that can read exactly these views' files, with the views defined on it."""
    con = SANDBOXES.connect([f for v in views for f in v.files])
    try:
        for view in views:
            con.execute(f"CREATE TEMP VIEW {ident(view.name)} AS {view_sql(view)}")
    except BaseException:
        con.close()
        raise
    return con


def execute(run: Run, sql: str, limit: int, seconds: float) -> tuple[pa.Table, bool]:
    try:
        con = sandbox(list(run.views.values()))
    except duckdb.Error as exc:
        log.error("hub query: cannot define the dataset views: %s", exc)
        keys = sorted(v.dataset.key for v in run.views.values())
        raise QueryError.of(
            "unreadable", 500, dataset=keys[0] if len(keys) == 1 else None, names=", ".join(keys)
        ) from None
    timed_out = threading.Event()

    def cancel() -> None:
        timed_out.set()
        con.interrupt()

    try:
        with limits.slot(run.user, wait=seconds if run.user is None else None):
            timer = threading.Timer(seconds, cancel)
            timer.daemon = True
            timer.start()
            try:
                return limits.fetch(con.sql(sql), limit)
            finally:
                timer.cancel()
    except duckdb.Error as exc:
        if timed_out.is_set() or isinstance(exc, duckdb.InterruptException):
            raise QueryError.of("timeout", 408, seconds=f"{seconds:g}") from None
        raise _duckdb_error(run, exc) from None
    finally:
        con.close()


def result_schema(run: Run, sql: str) -> pa.Schema:
    """The Arrow schema of sql's result as DuckDB types it, and DuckDB's refusal if it has one.

    The query is bound over empty views of the same columns (each of its schema type, masked
    as for the user): nothing is read. Another engine (``spark``) runs the query itself and
    returns its rows in these types, under these column names.
    """
    empty = [replace(view, files=[], file_columns=set()) for view in run.views.values()]
    con = sandbox(empty)
    try:
        return con.sql(sql).limit(0).to_arrow_table().schema
    except duckdb.Error as exc:
        raise _duckdb_error(run, exc) from None
    finally:
        con.close()


def _duckdb_error(run: Run, exc: duckdb.Error) -> QueryError:
    """The database's error in the user's terms (see ``diagnose``)."""
    text = str(exc).split("\n\nLINE ", 1)[0].strip()
    if isinstance(exc, duckdb.PermissionException):
        log.warning("hub query stopped by the DuckDB sandbox: %s", pii.mask_text(text))
        return QueryError.of("sandbox")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return QueryError.of("memory", limit=str(settings.HUB_MEMORY_LIMIT))
    fields = [f for view in run.views.values() for f in field_suggestions(view)]
    return diagnose.database_error(exc, run.sql, fields, tables=run.views)
