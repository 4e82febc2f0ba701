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

With ``SHEQU_HUB_ENGINE=spark`` the same policed, bound SQL runs on Spark instead (``spark``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

import pyarrow as pa
from django.conf import settings

from shequ.core.types import User
from shequ.hub.access import NOT_FOR_YOU, may_use_hub
from shequ.hub.query import identity, limits, policy
from shequ.hub.query.audit import audit_refused, audit_success, clear_exposed
from shequ.hub.query.binding import Run, Versions, as_datetime, bind_views, resolve
from shequ.hub.query.errors import QueryError
from shequ.hub.query.result import QueryResult
from shequ.hub.query.sandbox import execute

log = logging.getLogger(__name__)


DEFAULT_LIMIT = 10_000


def max_limit() -> int:
    return int(settings.HUB_QUERY_MAX_ROWS)


def default_timeout() -> float:
    return limits.max_timeout()


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


def _engine_execute(run: Run, sql: str, limit: int, seconds: float) -> tuple[pa.Table, bool]:
    """Run the bound SQL on the configured engine (``SHEQU_HUB_ENGINE``): DuckDB in this
    process (``sandbox``), or Spark (``spark``). Both return the same rows in the same types."""
    if settings.HUB_ENGINE == "spark":
        from shequ.hub.query import spark  # pyspark is imported only when it is used

        return spark.execute(run, sql, limit, seconds)
    return execute(run, sql, limit, seconds)


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
    run = Run(user=user, sql=sql if isinstance(sql, str) else "", clear=clear, purpose=purpose)
    try:
        if user is not None and not may_use_hub(user):
            raise QueryError(NOT_FOR_YOU, 403)
        if not isinstance(sql, str):
            raise QueryError.of("sql_not_text")
        if not 1 <= int(limit) <= max_limit():
            raise QueryError.of("bad_limit", max=f"{max_limit():,}")
        seconds = limits.timeout_for(timeout)
        checked = policy.check(sql)
        datasets = resolve(run, checked)
        final = bind_views(run, checked, datasets, version, as_datetime(as_of))
        identity.refuse_identity_uses(run, checked.tree)
        table, truncated = _engine_execute(run, final, int(limit), seconds)
    except QueryError as exc:
        audit_refused(run, exc)
        raise
    except Exception as exc:  # a fault of ours: still audited, then raised as it is
        audit_refused(run, QueryError(f"internal error: {type(exc).__name__}", 500))
        raise
    result = QueryResult(
        columns=list(table.column_names),
        table=table,
        rows=table.num_rows,
        truncated=truncated,
        datasets={name: v.version for name, v in run.views.items()},
        clear_pii=clear_exposed(run, checked.tree),
        duration=time.monotonic() - run.start,
        sql=final,
    )
    audit_success(run, result)
    return result
