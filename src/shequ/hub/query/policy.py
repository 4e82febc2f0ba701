"""Policing user SQL before anything runs: one query, datasets only, allowed functions only.

The SQL is parsed with sqlglot (DuckDB dialect) and checked as a tree, never by matching
strings, so comments, semicolons inside strings, escapes and odd spacing cannot hide anything.
What DuckDB then runs is the tree *regenerated* by sqlglot (``render``), without comments and
with every identifier quoted, so the text that runs is the text that was checked; the engine
re-parses and re-checks that text too.

The rules:

- exactly one statement, and it is a query: a SELECT or a set operation of SELECTs (UNION,
  INTERSECT, EXCEPT), optionally with WITH; no command, DDL, DML, PRAGMA, SET, COPY, ATTACH,
  INSTALL, LOAD, DESCRIBE, … anywhere in the tree;
- every table is a CTE of the query or a dataset, named by its key alone: no schema or catalog
  qualifier (``information_schema.tables``), no file (``'/etc/passwd'``), no table function
  (``read_csv(…)``, ``glob(…)``, ``duckdb_settings()``);
- every function is on ``ALLOWED_FUNCTIONS``, judged by the name DuckDB will be given (an
  allow-list: anything not listed, including every file, network, system or settings function,
  is refused); method-call syntax (``x.upper()``) is refused;
- a dataset may be read at a version or a time with ``people AT (VERSION => 3)``,
  ``people AT (TIMESTAMP => '2026-05-01 08:00')`` or the equivalent ``people AS OF VERSION 3``
  and ``people AS OF TIMESTAMP '…'``.

Masking and row scope are not the policy's business: the engine's dataset views only ever hold
what the user may see.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from shequ import forksafety
from shequ.hub.query import diagnose
from shequ.hub.query.errors import MESSAGES, QueryError

DIALECT = "duckdb"
MAX_SQL_CHARS = 100_000

# Safe scalar, aggregate and window functions, by the name DuckDB is given. Aliases that
# sqlglot rewrites (list -> array_agg, string_agg -> listagg, substr -> substring, …) are
# listed under both names: the check uses the name in the SQL that actually runs.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # arithmetic
        "abs", "ceil", "ceiling", "floor", "round", "trunc", "sign", "sqrt", "cbrt", "power",
        "pow", "exp", "ln", "log", "log10", "log2", "greatest", "least", "pi", "degrees",
        "radians", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "isnan", "isinf",
        "isfinite", "gcd", "lcm", "even",
        # text
        "length", "len", "lower", "upper", "lcase", "ucase", "trim", "ltrim", "rtrim",
        "substring", "substr", "left", "right", "concat", "concat_ws", "replace", "split_part",
        "starts_with", "ends_with", "contains", "strpos", "instr", "position", "lpad", "rpad",
        "reverse", "repeat", "prefix", "suffix", "str_split", "string_split", "format",
        "printf", "ascii", "chr", "translate", "regexp_matches", "regexp_full_match",
        "regexp_replace", "regexp_extract", "regexp_extract_all", "levenshtein",
        "array_to_string",
        # conditionals and casts
        "coalesce", "ifnull", "nullif", "if", "case", "cast", "try_cast",
        # date and time
        "date_trunc", "datetrunc", "date_part", "datepart", "extract", "date_diff",
        "datediff", "date_sub", "date_add", "strftime", "strptime", "try_strptime", "epoch",
        "epoch_ms", "to_timestamp", "make_date", "make_time", "make_timestamp",
        "make_timestamptz", "now", "current_date", "current_timestamp", "today", "year",
        "month", "day", "hour", "minute", "second", "dayofweek", "dayofyear", "dayofmonth",
        "week", "weekofyear", "quarter", "isodow", "isoyear", "dayname", "monthname",
        "last_day", "age", "time_bucket", "to_days", "to_hours", "to_minutes", "to_seconds",
        "to_months", "to_years",
        # aggregates
        "count", "count_star", "sum", "avg", "mean", "min", "max", "stddev", "stddev_samp",
        "stddev_pop", "variance", "var_samp", "var_pop", "median", "mode", "quantile_cont",
        "quantile_disc", "quantile", "approx_count_distinct", "approx_quantile", "string_agg",
        "listagg", "group_concat", "list", "array_agg", "first", "last", "any_value",
        "arg_min", "arg_max", "min_by", "max_by", "bool_and", "bool_or", "count_if", "corr",
        "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "kurtosis",
        "skewness",
        # window
        "row_number", "rank", "dense_rank", "lag", "lead", "ntile", "percent_rank",
        "cume_dist", "first_value", "last_value", "nth_value",
        # query syntax that sqlglot models as functions
        "exists", "columns",
    }
)  # fmt: skip
# Function nodes DuckDB receives as syntax rather than as a call: a AND b, CASE … WHEN,
# [1, 2], {'a': 1}, x[1], CURRENT_DATE, t + INTERVAL '1' DAY, x COLLATE nocase.
_SYNTAX_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.And,
    exp.Or,
    exp.Xor,
    exp.Collate,
    exp.Case,
    exp.If,
    exp.Array,
    exp.Struct,
    exp.CurrentDate,
    exp.CurrentTimestamp,
    exp.CurrentTime,
    exp.DateAdd,
    exp.DateSub,
    exp.Bracket,
)
# Statements and clauses that never belong in a query (some parse only as exp.Command).
_REFUSED = tuple(
    getattr(exp, name)
    for name in (
        "Command", "Pragma", "Set", "SetItem", "Copy", "Insert", "Update", "Delete", "Merge",
        "Create", "Drop", "Alter", "TruncateTable", "Attach", "Detach", "Use", "Transaction",
        "Commit", "Rollback", "Install", "LoadData", "Describe", "Show", "Summarize", "Cache",
        "Uncache", "Refresh", "Analyze", "Grant", "Revoke", "Into", "Export", "Kill",
        "Declare", "Execute", "Comment", "Put", "Get",
    )
    if hasattr(exp, name)
)  # fmt: skip
_QUERY_ROOTS = (exp.Select, exp.SetOperation)
# The table clauses a dataset reference may carry; anything else (AT/CHANGES/…) is refused.
_TABLE_ARGS = {"this", "alias", "joins", "laterals", "pivots", "sample", "when"}
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A name that may be a dataset's title (户籍人口信息): no path or URL characters.
_TITLE_RE = re.compile(r"[^/\\:*?.~<>|\x00-\x1f]{1,120}")
_HEAD_RE = re.compile(r'\s*(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))\s*\(')


@dataclass
class TableRef:
    """A dataset named in the query, with the version or time it is to be read at."""

    node: exp.Table
    name: str  # as written, lower-cased (DuckDB names are case-insensitive)
    version: int | None = None
    as_of: str | None = None


@dataclass
class Checked:
    tree: exp.Expression
    refs: list[TableRef]
    ctes: frozenset[str]

    @property
    def names(self) -> list[str]:
        """Dataset names referenced, first mention first, each once."""
        return list(dict.fromkeys(r.name for r in self.refs))


def refuse(code: str, **params: Any) -> QueryError:
    """The 400 error for a message code of ``errors.MESSAGES`` (or a plain English message)."""
    if code not in MESSAGES:
        return QueryError(code, 400)
    return QueryError.of(code, 400, **params)


def rewrite_as_of(sql: str) -> str:
    """``x AS OF VERSION 3`` / ``AS OF TIMESTAMP '…'`` -> DuckDB's ``x AT (VERSION => 3)``.

    Works on tokens, so the words inside a string literal or a quoted name are left alone.
    """
    try:
        tokens = DuckDB().tokenize(sql)
    except TokenError:
        return sql  # the parser reports it
    out, last = [], 0
    for i in range(len(tokens) - 3):
        as_, of, kind, value = tokens[i : i + 4]
        if (
            as_.token_type == TokenType.ALIAS
            and of.text.upper() == "OF"
            and kind.text.upper() in ("VERSION", "TIMESTAMP")
            and value.token_type in (TokenType.NUMBER, TokenType.STRING)
            and as_.start >= last
        ):
            out.append(sql[last : as_.start])
            out.append(f"AT ({kind.text.upper()} => {sql[value.start : value.end + 1]})")
            last = value.end + 1
    out.append(sql[last:])
    return "".join(out)


def parse(sql: str, max_chars: int = MAX_SQL_CHARS) -> exp.Expression:
    """The one statement of sql, parsed; QueryError when there is not exactly one."""
    if not sql or not sql.strip():
        raise refuse("sql_empty")
    if len(sql) > max_chars:
        raise refuse("sql_too_long", length=f"{len(sql):,}", max=f"{max_chars:,}")
    parsed = rewrite_as_of(sql)
    try:
        statements = [s for s in sqlglot.parse(parsed, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as exc:
        raise diagnose.parse_error(exc, sql, parsed) from None
    except RecursionError:
        raise refuse("sql_too_deep") from None
    if not statements:
        raise refuse("sql_empty")
    if len(statements) > 1:
        raise refuse("one_statement", count=len(statements))
    _parse_as_duckdb(sql, parsed)
    return cast(exp.Expression, statements[0])


class _DuckDBParser:
    """DuckDB's own parser, to read the SQL exactly as DuckDB would, before sqlglot rewrites it.

    sqlglot forgives SQL that DuckDB refuses, and regenerates it as another query: it drops an
    empty item (``SELECT a,, b``), turns ``JOIN v ON`` with no condition into a cross join,
    ``FROM t LEFT JOIN v`` into ``FROM t, v`` and ``FROM t OFFSET`` into an alias. So the SQL as
    written is also parsed by DuckDB: ``extract_statements`` only parses (nothing is bound to a
    table, read or run); when it fails, ``json_serialize_sql`` (which parses too, the SQL being a
    bound parameter) tells the byte position of the error. Both run on one empty in-memory
    database per process, with extension loading and external access off and its configuration
    locked.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.pid = 0

    def error(self, sql: str) -> dict[str, Any] | None:
        """DuckDB's parser error for sql (message, position), or None when it parses."""
        with self.lock:
            con = self._connection()
            try:
                con.extract_statements(sql)  # parses only; the usual, fast answer
                return None
            except duckdb.ParserException:
                pass
        found = self.serialized(sql)
        # "not implemented": a statement other than SELECT, which the policy refuses anyway.
        return found if found.get("error") and found.get("error_type") == "parser" else None

    def serialized(self, sql: str) -> dict[str, Any]:
        """DuckDB's parse tree of sql as JSON (each node with its byte ``query_location``)."""
        with self.lock:
            row = self._connection().execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self.con is None or self.pid != os.getpid():  # forked: not ours to use
            self.con, self.pid = _empty_database(), os.getpid()
        return self.con


def _empty_database() -> duckdb.DuckDBPyConnection:
    forksafety.note_runtime("DuckDB SQL parser")
    con = duckdb.connect(
        ":memory:",
        config={
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "enable_external_access": False,
            "threads": 1,
        },
    )
    con.execute("SET lock_configuration = true")
    return con


_DUCKDB_PARSER = _DuckDBParser()


def _parse_as_duckdb(sql: str, parsed: str) -> None:
    """Refuse what DuckDB's parser refuses, at its line and column in sql as written.

    The version pins are blanked first (the tree checks them, and they never reach DuckDB): the
    hub writes ``people AT (VERSION => 3) AS p``, DuckDB only ``people AS p AT (…)``.
    """
    text = _without_pins(parsed)
    found = _DUCKDB_PARSER.error(text)
    if found is not None:
        raise diagnose.duckdb_parse_error(found, sql, text)
    _same_as_duckdb(sql, text)


def _same_as_duckdb(sql: str, text: str) -> None:
    """Refuse what both parsers read, but differently: sqlglot would run another query.

    ``!a`` is NOT to sqlglot, an unknown function to DuckDB (write NOT); ``(a,)`` is a row of
    one value to DuckDB, plain ``a`` to sqlglot.
    """
    try:
        tokens = DuckDB().tokenize(text)
    except TokenError:
        return
    for token, after in zip(tokens, [*tokens[1:], None], strict=True):
        negates = token.token_type == TokenType.NOT and token.text == "!"
        if negates and (after is None or after.start != token.end + 1 or after.text[:1] != "~"):
            raise diagnose.at_token(
                sql, text, token.start, "syntax_expected", expected=diagnose.show("NOT")
            )
    trailing = [
        t.start
        for t, after in itertools.pairwise(tokens)
        if t.token_type == TokenType.COMMA and after.token_type == TokenType.R_PAREN
    ]
    if not trailing:
        return
    raw = text.encode("utf-8")
    for node in _nodes(_DUCKDB_PARSER.serialized(text)):
        where = node.get("query_location")
        if (
            node.get("function_name") == "row"
            and len(node.get("arguments") or ()) == 1
            and isinstance(where, int)
            and raw[where : where + 1] == b"("
        ):
            start = len(raw[:where].decode("utf-8", "ignore"))
            comma = next((c for c in trailing if c > start), start)
            raise diagnose.at_token(sql, text, comma, "syntax_unexpected")


def _nodes(tree: Any) -> Any:
    """Every JSON object of a DuckDB parse tree."""
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value)


def _without_pins(sql: str) -> str:
    """sql with each ``AT ( … )`` table pin replaced by as many spaces (positions unchanged)."""
    try:
        tokens = DuckDB().tokenize(sql)
    except TokenError:
        return sql
    out, last = [], 0
    for i, token in enumerate(tokens[:-1]):
        if token.text.upper() != "AT" or tokens[i + 1].token_type != TokenType.L_PAREN:
            continue
        if token.start < last:
            continue
        depth = 0
        for close in tokens[i + 1 :]:
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(close.token_type, 0)
            if depth == 0:
                out += [sql[last : token.start], " " * (close.end + 1 - token.start)]
                last = close.end + 1
                break
    out.append(sql[last:])
    return "".join(out)


def check(sql: str) -> Checked:
    """Parse and police user SQL; raise QueryError (status 400) naming what is refused."""
    return check_tree(parse(sql))


def check_tree(tree: exp.Expression, views: frozenset[str] | None = None) -> Checked:
    """Police a parsed statement. With ``views`` (the engine's second pass over the SQL it is
    about to run), every table must be one of those view names or a CTE."""
    root = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, _QUERY_ROOTS):
        kind = _kind(root)
        raise refuse("not_a_query", kind=kind) if kind else refuse("not_a_query_at_all")
    try:
        nodes = list(tree.walk())
    except RecursionError:
        raise refuse("sql_too_deep") from None
    for node in nodes:
        if isinstance(node, _REFUSED):
            raise refuse("statement_refused", kind=_kind(node))
        if isinstance(node, exp.Select) and node.args.get("into"):
            raise refuse("select_into")
    ctes = frozenset(
        cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE) if cte.alias_or_name
    )
    refs = [ref for table in tree.find_all(exp.Table) if (ref := _table(table, ctes, views))]
    for node in nodes:
        if isinstance(node, exp.Func):
            _check_function(node)
    return Checked(tree, refs, ctes)


def render(tree: exp.Expression) -> str:
    """The SQL DuckDB runs: regenerated from the tree, no comments, every identifier quoted."""
    return tree.sql(dialect=DIALECT, comments=False, identify=True)


def function_name(node: exp.Func) -> str:
    """The name DuckDB will be given for this call (or sqlglot's name for syntax nodes)."""
    if type(node) is exp.Anonymous:
        return str(node.name).lower()  # generated as written
    match = _HEAD_RE.match(node.sql(dialect=DIALECT, comments=False, identify=True))
    if match:
        return (match.group(1) or match.group(2)).replace('""', '"').lower()
    return node.sql_name().lower()


def _check_function(node: exp.Func) -> None:
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        raise refuse("method_call", call=f"{parent.this.sql(DIALECT)}.{function_name(node)}")
    if isinstance(node, _SYNTAX_FUNCTIONS):
        return
    name = function_name(node)
    if name not in ALLOWED_FUNCTIONS:
        raise refuse("function_refused", name=name)


def _table(
    table: exp.Table, ctes: frozenset[str], views: frozenset[str] | None = None
) -> TableRef | None:
    """Check one table reference; the dataset it names, or None for a CTE."""
    source = table.this
    if not isinstance(source, exp.Identifier):
        what = function_name(source) if isinstance(source, exp.Func) else _kind(source)
        raise refuse("table_function", name=what or "?")
    name = source.name
    if table.args.get("db") or table.args.get("catalog"):
        raise refuse("qualified_name", name=table.sql(DIALECT))
    extra = sorted(k for k, v in table.args.items() if v and k not in _TABLE_ARGS)
    if extra:
        raise refuse("table_clause", name=name, clauses=", ".join(extra))
    pin = table.args.get("when")
    if name.lower() in ctes and pin is None:
        return None
    if views is not None:
        if pin is not None or name.lower() not in views:
            raise refuse("unsafe_table", name=repr(name))
        return TableRef(table, name.lower())
    if not _KEY_RE.fullmatch(name) and not _TITLE_RE.fullmatch(name.strip()):
        raise refuse("file_path", name=repr(name))
    ref = TableRef(table, name.lower())
    if pin is not None:
        _pin(ref, pin)
    return ref


def _pin(ref: TableRef, pin: exp.Expression) -> None:
    kind = str(pin.args.get("kind") or "").upper()
    value = pin.args.get("expression")
    if (
        not isinstance(pin, exp.HistoricalData)
        or str(pin.this).upper() != "AT"
        or not isinstance(value, exp.Literal)
    ):
        raise refuse("pin_syntax", name=ref.name)
    if kind == "VERSION" and not value.is_string and value.this.isdigit():
        ref.version = int(value.this)
    elif kind == "TIMESTAMP" and value.is_string:
        ref.as_of = value.this
    else:
        raise refuse("pin_value", name=ref.name, kind=kind, value=value.sql(DIALECT))


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, (*_REFUSED, exp.Values, exp.Pivot)):
        return node.key.upper()
    return ""
