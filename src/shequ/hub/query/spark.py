"""Running policed hub SQL on Spark (``SHEQU_HUB_ENGINE=spark``) over the same Delta tables.

Everything before the last step is the DuckDB engine's: the SQL is policed, the datasets bound
to the user's views (columns, masking, row scope) and the version of each chosen, exactly as in
``engine``. Only the last step differs: the views and the query are transpiled by sqlglot from
the hub's SQL (DuckDB's dialect) to Spark SQL and run by a Spark session.

- **Files.** Spark reads each view's files as DuckDB would: the Parquet files of the version,
  resolved by deltalake (``binding``), less those file skipping left out (``pruning``: the
  Delta log's region and time bounds), registered as a temporary view; the view of the user's
  columns, masked and of the user's rows, is defined over it. No Delta connector is needed
  and nothing is downloaded. A table using a Delta feature that changes how its files are
  read (deletion vectors, column mapping) is refused: a cluster reading such tables uses
  delta-spark (docs/hub.md, "Running on Spark"). The hub's writer uses neither.
- **Isolation.** One SparkSession per process, created at the first query (never in a parent
  that forks: ``forksafety``); each query runs in its own child session (``newSession``), whose
  temporary views no other query sees, with SQL on files (``parquet.`/path```) disabled.
- **Types.** DuckDB types the query over empty views (``sandbox.result_schema``; nothing is
  read), which also gives DuckDB's own error messages for unknown columns, GROUP BY and type
  mistakes; Spark's rows are returned under DuckDB's column names and types (timestamps with
  time zone in ``SHEQU_TIME_ZONE``, DuckDB's HUGEINT sums as decimals), so callers cannot tell
  the engines apart.
- **Semantics.** DuckDB divides with ``/`` in floating point (``7 / 2`` is 3.5, ``x / 0`` is
  infinite or NaN); ANSI Spark divides decimals exactly and fails on zero: the transpiled SQL
  divides DOUBLEs and makes ``x / 0`` ``x * power(0, -1)``. ``regexp_full_match`` becomes an
  anchored RLIKE (``\\A(?:…)\\z``).
  ORDER BY keeps DuckDB's NULLS LAST (sqlglot writes it out).
- **Limits.** The same slots and time limit (the session's operations are interrupted); at most
  ``limit + 1`` rows are collected to the driver, then checked against the byte cap.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot
from django.conf import settings
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from shequ import forksafety
from shequ.hub.query import limits
from shequ.hub.query.binding import Run, View
from shequ.hub.query.errors import QueryError
from shequ.hub.query.sandbox import ident, result_schema, view_sql
from shequ.hub.storage import open_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)
# PySpark checks the pandas version on import and warns about pandas 3; the engine uses Arrow
# (``toArrow``), never pandas.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)

RUNTIME = "Spark session (JVM gateway)"
# Reader features that change which rows or columns a data file holds: reading the bare
# Parquet files of such a table would be wrong, so the engine refuses it.
UNREADABLE_FEATURES = frozenset({"deletionVectors", "columnMapping"})

_lock = threading.Lock()
_session: SparkSession | None = None
_pid = 0


def session() -> SparkSession:
    """The process's SparkSession, started at the first call (a JVM: several seconds)."""
    global _session, _pid
    with _lock:
        if _session is not None and _pid == os.getpid():
            return _session
        from pyspark.sql import SparkSession

        master = str(settings.SPARK_MASTER)
        builder = (
            SparkSession.builder.master(master)
            .appName("shequ hub")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", str(settings.TIME_ZONE))
            .config("spark.sql.runSQLOnFiles", "false")
            .config("spark.sql.ansi.enabled", "true")
        )
        if master.startswith("local"):
            # Hub queries are small next to Spark's default of 200 shuffle partitions.
            builder = builder.config("spark.sql.shuffle.partitions", str(settings.HUB_THREADS))
        forksafety.note_runtime(RUNTIME)
        # py4j says "Closing down clientserver connection" at exit, after logging has closed.
        logging.getLogger("py4j").setLevel(logging.WARNING)
        _session, _pid = builder.getOrCreate(), os.getpid()
        _session.sparkContext.setLogLevel("ERROR")
        return _session


def stop() -> None:
    """Stop the process's SparkSession (and its JVM's work); the next query starts another."""
    global _session
    with _lock:
        if _session is not None and _pid == os.getpid():
            _session.stop()
        _session = None
        forksafety.forget_runtime(RUNTIME)


def to_spark(sql: str) -> str:
    """The hub's SQL (DuckDB dialect, already policed) as Spark SQL; 400 when it has no
    Spark equivalent."""
    try:
        tree = _spark_semantics(sqlglot.parse_one(sql, read="duckdb"))
        return tree.sql(
            dialect="spark", identify=True, comments=False, unsupported_level=ErrorLevel.RAISE
        )
    except (UnsupportedError, ParseError) as exc:
        log.info("hub query has no Spark equivalent: %s", type(exc).__name__)
        raise QueryError.of("spark_unsupported") from None


def _spark_semantics(tree: exp.Expr) -> exp.Expr:
    """Rewrite where Spark would compute something other than DuckDB does."""
    for match in list(tree.find_all(exp.RegexpFullMatch)):
        pattern = match.expression
        anchored: exp.Expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            anchored = exp.Literal.string(f"\\A(?:{pattern.this})\\z")
        else:
            anchored = exp.Concat(
                expressions=[exp.Literal.string("\\A(?:"), pattern, exp.Literal.string(")\\z")]
            )
        match.replace(exp.RegexpLike(this=match.this, expression=anchored))
    # The innermost first: an outer division takes the rewritten inner one as it is.
    for div in sorted(tree.find_all(exp.Div), key=lambda n: n.depth, reverse=True):
        div.replace(_ieee_division(div))
    return tree


def _ieee_division(node: exp.Div) -> exp.Expression:
    """``x / y`` as DuckDB computes it: in DOUBLE (FLOAT stays FLOAT in DuckDB, and a FLOAT
    quotient rounded from DOUBLE is the same), ``x / 0`` infinite or NaN rather than NULL
    (non-ANSI Spark) or an error (ANSI Spark): ``x * power(0, -1)`` is ``x * ±inf``."""
    x = exp.cast(node.this, exp.DataType.Type.DOUBLE)
    y = exp.cast(node.expression, exp.DataType.Type.DOUBLE)
    divisor = node.expression
    if isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.this) != 0:
        return exp.Div(this=x, expression=y)
    infinite = exp.Mul(
        this=x.copy(),
        expression=exp.Anonymous(this="power", expressions=[y.copy(), exp.Literal.number(-1)]),
    )
    zero = exp.EQ(this=y.copy(), expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=zero, true=infinite)], default=exp.Div(this=x, expression=y))


def _check_delta_features(view: View) -> None:
    """Refuse a table whose files cannot be read as plain Parquet (see UNREADABLE_FEATURES)."""
    if view.version is None or not view.files:
        return
    table = open_table(view.dataset.key, view.version)
    if table is None:
        return
    protocol = table.protocol()
    features = set(protocol.reader_features or ()) & UNREADABLE_FEATURES
    mapping = (table.metadata().configuration or {}).get("delta.columnMapping.mode", "none")
    if mapping not in ("", "none"):
        features.add("columnMapping")
    if features:
        raise QueryError.of(
            "spark_delta_features",
            500,
            dataset=view.dataset.key,
            name=repr(view.dataset.key),
            features=", ".join(sorted(features)),
        )


# Spark SQL types of the Table Schema types, as the hub's writer stores them (tableschema).
SPARK_TYPES = {
    "string": "STRING",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "time": "STRING",
}


def _file_schema(view: View) -> str:
    """The columns of the version's files, typed: given to the reader, so Spark neither runs a
    job to merge the files' footers nor guesses; a column missing from older files is NULL
    there (DuckDB's ``union_by_name``)."""
    fields = [f for f in view.schema.fields if f.name in view.file_columns]
    return ", ".join(f"`{f.name.replace('`', '``')}` {SPARK_TYPES[f.type]}" for f in fields)


def _define_views(spark: SparkSession, views: list[View]) -> None:
    for i, view in enumerate(views):
        _check_delta_features(view)
        relation = None
        if view.files:
            relation = f"__shequ_files_{i}"
            # The files file skipping kept (``pruning``), as DuckDB reads them.
            frame = spark.read.schema(_file_schema(view)).parquet(*view.read_files)
            frame.createOrReplaceTempView(relation)
            relation = ident(relation)
        body = to_spark(view_sql(view, relation))
        name = "`" + view.name.replace("`", "``") + "`"
        spark.sql(f"CREATE TEMPORARY VIEW {name} AS {body}")


def execute(run: Run, sql: str, limit: int, seconds: float) -> tuple[pa.Table, bool]:
    """Run the bound SQL on Spark: the first ``limit`` rows in DuckDB's types, and whether
    there were more."""
    schema = result_schema(run, sql)  # DuckDB's column names and types; its errors first
    query = to_spark(sql)
    with limits.slot(run.user, wait=seconds if run.user is None else None):
        spark = session().newSession()
        timed_out = threading.Event()

        def cancel() -> None:
            timed_out.set()
            spark.interruptAll()

        timer = threading.Timer(seconds, cancel)
        timer.daemon = True
        timer.start()
        try:
            _define_views(spark, list(run.views.values()))
            table = spark.sql(query).limit(limit + 1).toArrow()
        except QueryError:
            raise
        except Exception as exc:
            if timed_out.is_set():
                raise QueryError.of("timeout", 408, seconds=f"{seconds:g}") from None
            raise _spark_error(exc) from None
        finally:
            timer.cancel()
    if table.nbytes > limits.max_bytes():
        raise QueryError.of("result_too_large", 413, size=f"{limits.max_bytes() / 2**20:g} MB")
    truncated = table.num_rows > limit
    if truncated:
        table = table.slice(0, limit)
    return as_duckdb(table, schema), truncated


def as_duckdb(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Spark's result under DuckDB's column names and types (a safe cast: nothing is lost)."""
    table = table.rename_columns(schema.names)
    return table.cast(pa.schema([f.with_nullable(True) for f in schema]), safe=True)


def _spark_error(exc: Exception) -> QueryError:
    """Spark's error by its condition (an identifier such as DIVIDE_BY_ZERO): its message may
    quote values of the data, which are never shown or logged."""
    condition = _condition(exc)
    log.warning("hub query failed on Spark: %s (%s)", condition or "?", type(exc).__name__)
    if condition is None:
        raise exc
    return QueryError.of("spark_failed", condition=condition)


def _condition(exc: Exception) -> str | None:
    getter: Any = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    try:
        value = getter() if getter else None
    except Exception:
        return None
    return str(value) if value else None
