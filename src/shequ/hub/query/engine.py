"""Running policed SQL over hub datasets in a DuckDB sandbox, masked and scoped at the source.

For each dataset a query names, the engine defines a temporary view named like the dataset
key: the columns the user may read (personal ones masked unless granted in clear), from the
Parquet files of the version read, limited to the rows of the user's regions. The user's SQL
sees only these views, so no expression, join, GROUP BY, WHERE probe or window function can
reach a clear value or another region's row. A join on a masked key matches masked values
(``138****5678`` = ``138****5678``), which can pair different people: joining datasets on a
personal key needs a grant of that column in clear.

The DuckDB connection is a sandbox per query: no extension loading, external access disabled
except for exactly the version's files, configuration locked before user SQL runs, a thread and
memory limit, a time limit (the query is interrupted and reported as cancelled) and a row limit.
Every query, run or refused, writes an audit event.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from sqlglot import exp

from shequ import forksafety
from shequ.core import pii
from shequ.core.permissions import Perm, prefixes_for
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.access import NOT_FOR_YOU, Access, access_for, may_use_hub
from shequ.hub.models import Dataset
from shequ.hub.query import diagnose, limits, names, policy
from shequ.hub.query.errors import QueryError, Suggestion
from shequ.hub.query.masking import audit_sql, audit_text, masked_select
from shequ.hub.storage import hub_dir, open_table, table_path
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10_000
AUDIT_SQL_CHARS = 2000
Versions = int | Mapping[str, int] | None


def max_limit() -> int:
    return int(settings.HUB_QUERY_MAX_ROWS)


def default_timeout() -> float:
    return limits.max_timeout()


@dataclass
class QueryResult:
    """A finished query: the (masked) rows as Arrow, and what was read to make them."""

    columns: list[str]
    table: pa.Table
    rows: int
    truncated: bool  # more rows than the limit existed; ``table`` holds the first ``rows``
    datasets: dict[str, int | None]  # view read -> Delta version (None: no data yet)
    clear_pii: list[str]  # "dataset.column" of personal columns that came back in clear
    duration: float  # seconds
    sql: str = ""

    @property
    def duration_ms(self) -> int:
        return round(self.duration * 1000)

    def rows_json(self, offset: int = 0, count: int | None = None) -> list[list[Any]]:
        """Rows ``offset`` to ``offset + count`` as lists of JSON-safe values."""
        end = self.rows if count is None else min(self.rows, offset + count)
        if offset >= end:
            return []
        part = self.table.slice(offset, end - offset)
        columns = [part.column(i).to_pylist() for i in range(part.num_columns)]
        return [[json_value(col[r]) for col in columns] for r in range(part.num_rows)]


def json_value(value: Any) -> Any:
    """A value as JSON can carry it: datetimes in ISO 8601, decimals as text, bytes as hex."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def run_query(
    user: User,
    sql: str,
    *,
    version: Versions = None,
    as_of: datetime | str | None = None,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
) -> QueryResult:
    """Run user SQL over the datasets the user is granted, masked and scoped for them."""
    return _run(sql, user=user, version=version, as_of=as_of, limit=limit, timeout=timeout)


def run_query_system(
    sql: str,
    *,
    version: Versions = None,
    as_of: datetime | str | None = None,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
    clear: bool = False,
    purpose: str = "",
) -> QueryResult:
    """Run SQL for platform code (apps, jobs, the CLI): every dataset and row, the same policy.

    Personal columns stay masked unless ``clear=True``, which is audited with ``purpose``.
    """
    return _run(
        sql,
        user=None,
        version=version,
        as_of=as_of,
        limit=limit,
        timeout=timeout,
        clear=clear,
        purpose=purpose,
    )


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class _View:
    """One dataset view of the sandbox: which dataset, version, files and access."""

    name: str
    dataset: Dataset
    schema: TableSchema
    access: Access
    version: int | None
    files: list[str] = field(default_factory=list)
    file_columns: set[str] = field(default_factory=set)


@dataclass
class _Run:
    user: User | None
    sql: str
    clear: bool = False
    purpose: str = ""
    views: dict[str, _View] = field(default_factory=dict)
    start: float = field(default_factory=time.monotonic)
    replaced: dict[str, str] = field(default_factory=dict)  # clear -> masked literals (audit)


def _run(
    sql: str,
    *,
    user: User | None,
    version: Versions,
    as_of: datetime | str | None,
    limit: int,
    timeout: float | None,
    clear: bool = False,
    purpose: str = "",
) -> QueryResult:
    run = _Run(user=user, sql=sql if isinstance(sql, str) else "", clear=clear, purpose=purpose)
    try:
        if user is not None and not may_use_hub(user):
            raise QueryError(NOT_FOR_YOU, 403)
        if not isinstance(sql, str):
            raise QueryError.of("sql_not_text")
        if not 1 <= int(limit) <= max_limit():
            raise QueryError.of("bad_limit", max=f"{max_limit():,}")
        seconds = limits.timeout_for(timeout)
        checked = policy.check(sql)
        datasets = _resolve(run, checked)
        final = _bind_views(run, checked, datasets, version, _as_datetime(as_of))
        table, truncated = _execute(run, final, int(limit), seconds)
    except QueryError as exc:
        _audit_refused(run, exc)
        raise
    except Exception as exc:  # a fault of ours: still audited, then raised as it is
        _audit_refused(run, QueryError(f"internal error: {type(exc).__name__}", 500))
        raise
    result = QueryResult(
        columns=list(table.column_names),
        table=table,
        rows=table.num_rows,
        truncated=truncated,
        datasets={name: v.version for name, v in run.views.items()},
        clear_pii=_clear_exposed(run, checked.tree),
        duration=time.monotonic() - run.start,
        sql=final,
    )
    _audit_success(run, result)
    return result


def _resolve(run: _Run, checked: policy.Checked) -> dict[str, tuple[Dataset, Access]]:
    """Each dataset name (key or title) of the query -> (dataset, its access); 404/403 otherwise.

    Only datasets the user may see are looked up, so a refusal tells nothing of the others.
    """
    from shequ.hub.services.catalog import visible_datasets

    seen = Dataset.objects.select_related("region")
    if run.user is not None:
        seen = visible_datasets(run.user)
    found: dict[str, tuple[Dataset, Access]] = {}
    for name in checked.names:
        dataset = names.find_dataset(name, seen)
        schema = TableSchema.from_dict(dataset.schema)
        if run.user is None:
            pii = schema.pii_fields()
            access = Access(
                columns=tuple(schema.names),
                clear=frozenset(pii) if run.clear else frozenset(),
                row_prefixes=None,
            )
        else:
            maybe = access_for(run.user, dataset)
            if maybe is None:
                raise QueryError.of("no_grant", 403, dataset=dataset.key, name=repr(dataset.key))
            access = maybe
        found[name] = (dataset, access)
    return found


def _bind_views(
    run: _Run,
    checked: policy.Checked,
    datasets: dict[str, tuple[Dataset, Access]],
    version: Versions,
    as_of: datetime | None,
) -> str:
    """Pick each reference's version, name its view, point the tree at it; the SQL to run."""
    versions: dict[str, int] = {}
    if isinstance(version, Mapping):
        unknown = sorted(set(k.lower() for k in version) - set(datasets))
        if unknown:
            raise QueryError.of("version_not_read", names=", ".join(unknown))
        versions = {k.lower(): v for k, v in version.items()}
    sources: dict[str, list[Suggestion]] = {}
    for ref in checked.refs:
        dataset, access = datasets[ref.name]
        number: int | None
        if ref.version is not None:
            number, pinned = ref.version, True
        elif ref.as_of is not None:
            moment = _as_datetime(ref.as_of)
            assert moment is not None
            number, pinned = _version_at(dataset, moment), True
        else:
            pinned = False
            if isinstance(version, Mapping):
                number = versions.get(ref.name, dataset.version)
            elif version is not None:
                number = int(version)
            elif as_of is not None:
                number = _version_at(dataset, as_of)
            else:
                number = dataset.version
        view = f"{dataset.key}@v{number}" if pinned else dataset.key
        if view not in run.views:
            run.views[view] = _load(view, dataset, access, number)
        node = ref.node
        if (pinned or ref.name != dataset.key) and not node.alias:  # a version, or a title
            node.set("alias", exp.TableAlias(this=exp.to_identifier(ref.node.name)))
        node.set("this", exp.to_identifier(view, quoted=True))
        node.set("when", None)
        sources[node.alias_or_name.lower()] = _fields(run.views[view])
    names.resolve_field_titles(checked.tree, sources)
    final = policy.render(checked.tree)
    # What runs is re-parsed and re-checked: it must be the same query, over our views only.
    views = frozenset(v.lower() for v in run.views)
    again = policy.check_tree(policy.parse(final, max_chars=4 * len(final)), views=views)
    if policy.render(again.tree) != final:
        log.warning("hub query did not survive regeneration: %r", audit_sql(run.sql, {})[0][:500])
        raise QueryError.of("unsafe")
    return final


def _fields(view: _View) -> list[Suggestion]:
    """The fields of a view the user may read, with their titles."""
    fields = (view.schema.field(name) for name in view.access.columns)
    return [Suggestion(f.name, f.title, f.title_en) for f in fields]


def _load(name: str, dataset: Dataset, access: Access, version: int | None) -> _View:
    schema = TableSchema.from_dict(dataset.schema)
    view = _View(name, dataset, schema, access, version)
    if version is None:
        return view  # no data committed yet: an empty view
    files, columns = _version_files(dataset.key, version)
    view.files, view.file_columns = list(files), set(columns)
    return view


_VERSION_FILES: OrderedDict[tuple[str, int, int], tuple[tuple[str, ...], frozenset[str]]] = (
    OrderedDict()
)
_VERSION_FILES_LOCK = threading.Lock()


def _version_files(key: str, version: int) -> tuple[tuple[str, ...], frozenset[str]]:
    """The Parquet files and column names of a Delta version.

    A committed version never changes, so this is cached, keyed by the version's commit file
    (its modification time tells a re-created table from the old one).
    """
    commit = table_path(key) / "_delta_log" / f"{version:020d}.json"
    try:
        cache_key = (str(commit), version, commit.stat().st_mtime_ns)
    except OSError:
        cache_key = None
    if cache_key is not None:
        with _VERSION_FILES_LOCK:
            hit = _VERSION_FILES.get(cache_key)
        if hit is not None:
            return hit
    try:
        table = open_table(key, version)
    except Exception:  # delta-rs says "Invalid table version" in several ways
        table = None
    if table is None:
        raise QueryError.of("no_version", 404, dataset=key, name=repr(key), version=version)
    found = (tuple(table.file_uris()), frozenset(f.name for f in table.schema().fields))
    if cache_key is not None:
        with _VERSION_FILES_LOCK:
            _VERSION_FILES[cache_key] = found
            while len(_VERSION_FILES) > 512:
                _VERSION_FILES.popitem(last=False)
    return found


def _version_at(dataset: Dataset, moment: datetime) -> int | None:
    """The dataset's newest version committed at or before moment."""
    table = open_table(dataset.key)
    if table is None:
        return None
    limit = moment.timestamp() * 1000
    commits = [
        int(c["version"])
        for c in table.history()
        if c.get("version") is not None and c.get("timestamp", 0) <= limit
    ]
    if not commits:
        raise QueryError.of(
            "no_version_at",
            404,
            dataset=dataset.key,
            name=repr(dataset.key),
            moment=timezone.localtime(moment).isoformat(),
        )
    return max(commits)


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value).strip())
        if moment is None:
            try:
                moment = datetime.combine(date.fromisoformat(str(value).strip()), dtime())
            except ValueError:
                raise QueryError.of("bad_time", value=repr(value)) from None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


# ---------------------------------------------------------------------------------------------
# The sandbox
# ---------------------------------------------------------------------------------------------


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
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
    col = _ident(column)
    ranges: list[list[str]] = []
    exact: list[str] = []
    for p in sorted(set(prefixes)):
        if ord(p[-1]) >= 0x10FFFF:
            exact.append(f"starts_with({col}, {_literal(p)})")
            continue
        low, high = p, p[:-1] + chr(ord(p[-1]) + 1)
        if ranges and low <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], high)
        else:
            ranges.append([low, high])
    parts = [f"({col} >= {_literal(lo)} AND {col} < {_literal(hi)})" for lo, hi in ranges]
    return "(" + " OR ".join(parts + exact) + ")"


def view_sql(view: _View) -> str:
    """The SELECT behind a dataset view: readable columns, masked, of the user's rows."""
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
            selected.append(_ident(name))
        else:  # a column added after this version, or a dataset without data yet
            selected.append(
                f"CAST(NULL AS {DUCKDB_TYPES[schema.field(name).type]}) AS {_ident(name)}"
            )
    if view.files:
        files = "[" + ", ".join(_literal(f) for f in view.files) + "]"
        scope = "TRUE"
        if schema.region_field:
            scope = row_scope_sql(schema.region_field, access.row_prefixes)
        source = (
            f"(SELECT {', '.join(selected)} FROM read_parquet({files}, union_by_name = true) "
            f"WHERE {scope})"
        )
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
        root = _locked_database(list(key[1]), threads, memory)
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


def _locked_database(files: list[str], threads: int, memory: str) -> duckdb.DuckDBPyConnection:
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
        con.execute(f"SET allowed_paths = [{', '.join(_literal(f) for f in files)}]")
        con.execute("SET enable_external_access = false")
        con.execute(f"SET GLOBAL TimeZone = {_literal(settings.TIME_ZONE)}")
        # Delta data files never change: their Parquet footers can be cached.
        con.execute("SET parquet_metadata_cache = true")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


SANDBOXES = _Sandboxes()


def sandbox(views: list[_View]) -> duckdb.DuckDBPyConnection:
    """A connection that can read exactly these views' files, with the views defined on it."""
    con = SANDBOXES.connect([f for v in views for f in v.files])
    try:
        for view in views:
            con.execute(f"CREATE TEMP VIEW {_ident(view.name)} AS {view_sql(view)}")
    except BaseException:
        con.close()
        raise
    return con


def _execute(run: _Run, sql: str, limit: int, seconds: float) -> tuple[pa.Table, bool]:
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


def _duckdb_error(run: _Run, exc: duckdb.Error) -> QueryError:
    """The database's error in the user's terms (see ``diagnose``)."""
    text = str(exc).split("\n\nLINE ", 1)[0].strip()
    if isinstance(exc, duckdb.PermissionException):
        log.warning("hub query stopped by the DuckDB sandbox: %s", pii.mask_text(text))
        return QueryError.of("sandbox")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return QueryError.of("memory", limit=str(settings.HUB_MEMORY_LIMIT))
    fields = [f for view in run.views.values() for f in _fields(view)]
    return diagnose.database_error(exc, run.sql, fields, tables=run.views)


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------


def _clear_exposed(run: _Run, tree: exp.Expression) -> list[str]:
    """Clear personal columns the query may have returned: named, or behind a * or COLUMNS."""
    clear = {(name, col) for name, v in run.views.items() for col in v.access.clear}
    if not clear:
        return []
    # SELECT *, t.* and COLUMNS(…) may return every column; count(*) returns none.
    wide = any(isinstance(s.parent, exp.Select | exp.Column) for s in tree.find_all(exp.Star))
    wide = wide or any(True for _ in tree.find_all(exp.Columns))
    named = {c.name.lower() for c in tree.find_all(exp.Column)}
    return sorted(
        f"{run.views[view].dataset.key}.{col}" for view, col in clear if wide or col in named
    )


def _audit_region(run: _Run) -> str:
    regions = [v.dataset.region.code for v in run.views.values() if v.dataset.region]
    if regions:
        return regions[0]
    if run.user is not None:
        # The code of the user's first hub region (a prefix padded back to 12 digits).
        for prefix in prefixes_for(run.user, Perm.HUB):
            return prefix.ljust(12, "0")
    return ""


def _audit_kinds(run: _Run) -> dict[str, str]:
    """Column name -> PII kind, over the datasets the query reads (or names, when refused
    before they were read), for masking the literals of its SQL."""
    schemas = [v.schema for v in run.views.values()]
    if not schemas and run.sql:
        try:
            names = {t.name.lower() for t in policy.parse(run.sql).find_all(exp.Table) if t.name}
        except Exception:  # the SQL is masked as free text anyway
            names = set()
        for data in Dataset.objects.filter(key__in=sorted(names)).values_list("schema", flat=True):
            try:
                schemas.append(TableSchema.from_dict(data))
            except ValueError:
                continue
    return {name.lower(): kind for s in schemas for name, kind in s.pii_fields().items()}


def _common(run: _Run) -> dict[str, Any]:
    # Literal values never reach the audit log: they are masked as the column they are
    # compared with would be in a result (``phone = '138****5678'``).
    sql, run.replaced = audit_sql(run.sql, _audit_kinds(run))
    details: dict[str, Any] = {
        "sql": sql[:AUDIT_SQL_CHARS],
        "sql_truncated": len(sql) > AUDIT_SQL_CHARS,
        "datasets": {name: v.version for name, v in run.views.items()},
        "grants": sorted({g for v in run.views.values() for g in v.access.grant_ids}),
        "duration_ms": round((time.monotonic() - run.start) * 1000),
    }
    if run.user is None:
        details["system"] = True
        details["clear_requested"] = run.clear
        if run.purpose:
            details["purpose"] = pii.mask_text(run.purpose[:500])
    return details


def _audit_success(run: _Run, result: QueryResult) -> None:
    record(
        "hub.query",
        actor=run.user,
        region_code=_audit_region(run),
        **_common(run),
        rows=result.rows,
        truncated=result.truncated,
        clear_pii=result.clear_pii,
    )


def _audit_refused(run: _Run, exc: QueryError) -> None:
    record(
        "hub.query.refused",
        actor=run.user,
        region_code=_audit_region(run),
        **_common(run),
        status=exc.status,
        error=audit_text(exc.message, run.replaced)[:1000],
        rows=0,
        clear_pii=[],
    )


def refuse(user: User, sql: str, message: str, status: int = 403) -> QueryError:
    """Audit a query refused before it reached the engine (e.g. no hub permission); the error."""
    error = QueryError(message, status)
    _audit_refused(_Run(user=user, sql=sql if isinstance(sql, str) else ""), error)
    return error
