"""Skipping data files a query cannot need, from the per-file bounds in the Delta log.

A view reads the Parquet files of its version. Before DuckDB opens them, the files whose
min/max of the dataset's region or time column (``hub.layout.skipping_columns``) cannot
hold a row the query keeps are left out:

- the user's row scope (region prefixes) holds for every row of the view;
- for each place the query reads the view (``FROM v``, an inner join, a CTE, a subquery),
  the conjuncts of that SELECT's WHERE that compare a skipping column of the view with
  constants: ``=``, ``<``, ``<=``, ``>``, ``>=``, ``BETWEEN``, ``IN (…)``,
  ``starts_with(col, '…')``, ``col LIKE '…%'``.

A file is read when some place may need it (the union over the places) and it may hold rows
of the scope. Anything else (an OR, a function of the column, an outer join, a column of
unknown origin, a constant that is not plain, a file without bounds) keeps the files:
skipping is only ever an optimisation; the query's own conditions still filter the rows.
A file whose column is all NULL has no bounds and is kept. At least one file is kept so
that the view keeps its columns and types.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from django.conf import settings
from sqlglot import exp

from shequ.hub.layout import skipping_columns
from shequ.hub.storage import open_table, table_path

# A closed interval of values (None: unbounded); a column's constraint is a union of them.
Interval = tuple[Any, Any]
# Longer text bounds may have been cut by a writer: not used.
MAX_TEXT_BOUND = 64
# A local time is placed by the time zone's rules; this margin covers a clock change's
# repeated or skipped hour, which DuckDB and Python might resolve differently.
LOCAL_MARGIN = timedelta(hours=2)


@dataclass(frozen=True)
class Constraint:
    column: str
    intervals: tuple[Interval, ...]


def enabled() -> bool:
    return bool(settings.HUB_FILE_PRUNING)


# ---------------------------------------------------------------------------------------------
# Which files
# ---------------------------------------------------------------------------------------------


def prune_views(tree: exp.Expression, views: Iterable[Any]) -> None:
    """Set each view's ``scan_files`` (the files it reads) from the bound query *tree*."""
    if not enabled():
        return
    for view in views:
        if len(view.files) < 2 or view.version is None:
            continue
        columns = skipping_columns(view.schema)
        columns = {c: t for c, t in columns.items() if c in view.access.columns}
        if not columns:
            continue
        scope: list[Constraint] = []
        region = view.schema.region_field
        if region in columns and view.access.row_prefixes is not None:
            scope.append(Constraint(region, prefix_intervals(view.access.row_prefixes)))
        places = [
            place_constraints(table, view.name, columns)
            for table in tree.find_all(exp.Table)
            if table.name == view.name
        ]
        if not scope and not any(places):
            continue
        bounds = file_bounds(view.dataset.key, view.version, tuple(sorted(columns)))
        kept = [
            uri
            for uri in view.files
            if _may_hold(bounds.get(_name(uri)), scope, columns)
            and (not places or any(_may_hold(bounds.get(_name(uri)), p, columns) for p in places))
        ]
        view.scan_files = kept or view.files[:1]


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _may_hold(
    bounds: dict[str, Interval] | None, constraints: list[Constraint], types: dict[str, str]
) -> bool:
    if not constraints:
        return True
    if bounds is None:
        return True  # a file the log has no bounds for
    for c in constraints:
        low, high = bounds.get(c.column, (None, None))
        if low is None or high is None:
            continue  # no bounds (no statistics, or only NULLs): it may hold anything
        if not any(_overlaps(low, high, iv) for iv in c.intervals):
            return False
    return True


def _overlaps(low: Any, high: Any, interval: Interval) -> bool:
    a, b = interval
    try:
        return (a is None or high >= a) and (b is None or low <= b)
    except TypeError:  # values of another type than expected: do not skip
        return True


def prefix_intervals(prefixes: Iterable[str]) -> tuple[Interval, ...]:
    """The region-code range of each prefix (p <= code <= p followed by the largest char)."""
    out: list[Interval] = []
    for p in prefixes:
        if p == "":
            return ((None, None),)
        out.append((p, p + "\U0010ffff"))
    return tuple(out)


_BOUNDS_LOCK = threading.Lock()
BOUNDS: OrderedDict[tuple[Any, ...], dict[str, dict[str, Interval]]] = OrderedDict()


def file_bounds(key: str, version: int, columns: tuple[str, ...]) -> dict[str, dict[str, Interval]]:
    """File name -> column -> (min, max) of a Delta version, from its log (cached per commit)."""
    commit = table_path(key) / "_delta_log" / f"{version:020d}.json"
    try:
        cache_key: tuple[Any, ...] | None = (str(commit), commit.stat().st_mtime_ns, columns)
    except OSError:
        cache_key = None
    if cache_key is not None:
        with _BOUNDS_LOCK:
            hit = BOUNDS.get(cache_key)
        if hit is not None:
            return hit
    table = open_table(key, version)
    found: dict[str, dict[str, Interval]] = {}
    if table is not None:
        actions = pa.table(table.get_add_actions(flatten=True))  # from arro3
        names = actions.column("path").to_pylist()
        per_column = {}
        for col in columns:
            lows = _column(actions, f"min.{col}", len(names))
            highs = _column(actions, f"max.{col}", len(names))
            per_column[col] = (lows, highs)
        for i, path in enumerate(names):
            entry: dict[str, Interval] = {}
            for col, (lows, highs) in per_column.items():
                low, high = lows[i], highs[i]
                if isinstance(high, str) and len(high) >= MAX_TEXT_BOUND:
                    low = high = None
                entry[col] = (low, high)
            found[_name(path)] = entry
    if cache_key is not None:
        with _BOUNDS_LOCK:
            BOUNDS[cache_key] = found
            while len(BOUNDS) > 256:
                BOUNDS.popitem(last=False)
    return found


def _column(actions: Any, name: str, rows: int) -> list[Any]:
    if name not in actions.column_names:
        return [None] * rows
    return list(actions.column(name).to_pylist())


# ---------------------------------------------------------------------------------------------
# Which rows a place of the query keeps
# ---------------------------------------------------------------------------------------------


def place_constraints(table: exp.Table, view: str, columns: dict[str, str]) -> list[Constraint]:
    """The constraints on the view's skipping columns that every row read here must meet."""
    select = _reading_select(table)
    if select is None:
        return []
    where = select.args.get("where")
    if where is None:
        return []
    alias = table.alias_or_name
    single = not select.args.get("joins")
    out = []
    for conjunct in _conjuncts(where.this):
        found = _constraint(conjunct, alias, single, columns)
        if found is not None:
            out.append(found)
    return out


def _reading_select(table: exp.Table) -> exp.Select | None:
    """The SELECT whose FROM or inner join reads *table* directly, or None."""
    parent = table.parent
    if isinstance(parent, exp.From):
        select = parent.parent
    elif isinstance(parent, exp.Join):
        if parent.side or parent.kind.upper() not in ("", "INNER", "CROSS"):
            return None
        select = parent.parent
    else:
        return None
    if not isinstance(select, exp.Select):
        return None
    for join in select.args.get("joins") or []:
        if join.side or join.kind.upper() not in ("", "INNER", "CROSS"):
            return None  # an outer join may keep rows the WHERE would not
    return select


def _conjuncts(node: Any) -> list[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


_FLIP: dict[type[exp.Binary], type[exp.Binary]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
    exp.EQ: exp.EQ,
}


def _constraint(
    node: exp.Expression, alias: str, single: bool, columns: dict[str, str]
) -> Constraint | None:
    found = _raw_constraint(node, alias, single, columns)
    return widen(found) if found is not None else None


def _raw_constraint(
    node: exp.Expression, alias: str, single: bool, columns: dict[str, str]
) -> Constraint | None:
    def column_of(e: Any) -> str | None:
        while isinstance(e, exp.Paren):
            e = e.this
        if not isinstance(e, exp.Column) or isinstance(e.this, exp.Star):
            return None
        qualifier = e.table
        if qualifier:
            if qualifier.lower() != alias.lower() or e.args.get("db"):
                return None
        elif not single:
            return None  # another source of the SELECT might have a column of that name
        name = e.name.lower()  # DuckDB's names are case-insensitive, quoted or not
        return name if name in columns else None

    if isinstance(node, tuple(_FLIP)):
        assert isinstance(node, exp.Binary)
        left, right = node.left, node.right
        kind: type[exp.Binary] = type(node)
        col = column_of(left)
        if col is None:
            col, left, right, kind = column_of(right), right, left, _FLIP[kind]
        if col is None:
            return None
        value = constant(right, columns[col])
        if value is None:
            return None
        if kind is exp.EQ:
            return Constraint(col, ((value, value),))
        if kind in (exp.GT, exp.GTE):
            return Constraint(col, ((value, None),))
        return Constraint(col, ((None, value),))
    if isinstance(node, exp.Between):
        col = column_of(node.this)
        if col is None:
            return None
        low, high = (constant(node.args.get(k), columns[col]) for k in ("low", "high"))
        if low is None or high is None:
            return None
        return Constraint(col, ((low, high),))
    if isinstance(node, exp.In):
        col = column_of(node.this)
        if col is None or node.args.get("query") or not node.expressions:
            return None
        values = [constant(e, columns[col]) for e in node.expressions]
        if any(v is None for v in values):
            return None
        return Constraint(col, tuple((v, v) for v in values))
    if isinstance(node, exp.StartsWith | exp.Like) and not isinstance(node, exp.ILike):
        col = column_of(node.this)
        if col is None or columns[col] != "string":
            return None
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            return None
        text = pattern.this
        if isinstance(node, exp.Like):
            if node.args.get("escape") is not None or not text.endswith("%"):
                return None
            text = text[:-1]
            if "%" in text or "_" in text:
                return None
        if text == "":
            return None
        return Constraint(col, prefix_intervals([text]))
    return None


def constant(node: Any, kind: str) -> Any:
    """A plain constant of the column's kind (its value as the column compares it), or None."""
    if node is None:
        return None
    while isinstance(node, exp.Paren):
        node = node.this
    cast_to = ""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        cast_to = node.to.this.name if node.to.this else ""
        node = node.this
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    text = str(node.this)
    if kind == "string":
        return text if not cast_to or cast_to in ("VARCHAR", "TEXT") else None
    if kind == "datetime":
        if cast_to not in ("", "TIMESTAMP", "TIMESTAMPNTZ", "TIMESTAMPTZ", "DATE", "DATETIME"):
            return None
        return _moment(text)
    if kind == "date":
        if cast_to not in ("", "DATE"):
            return None
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class LocalMoment:
    """A time without an offset: an interval of UTC instants (see LOCAL_MARGIN)."""

    low: datetime
    high: datetime


def _moment(text: str) -> Any:
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    local = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)
    return LocalMoment(local - LOCAL_MARGIN, local + LOCAL_MARGIN)


def widen(constraint: Constraint) -> Constraint:
    """Local times as intervals: lower ends at their earliest instant, upper at their latest."""
    out = []
    for a, b in constraint.intervals:
        out.append(
            (
                a.low if isinstance(a, LocalMoment) else a,
                b.high if isinstance(b, LocalMoment) else b,
            )
        )
    return Constraint(constraint.column, tuple(out))
