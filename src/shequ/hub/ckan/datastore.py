"""``datastore_search``: a dataset's rows through the governed query engine.

Every call becomes one policed SELECT built as a sqlglot tree (identifiers quoted, user values
only ever literals) and run by ``run_query`` for the caller, so the SQL console's rules apply
unchanged: only granted columns, personal ones masked unless granted in clear, only the rows of
the caller's regions, the engine's limits, and an audit event per query (refusals too).

``q`` searches text columns the caller reads in clear: never a masked personal column, so a
search for a full phone number cannot find the rows whose masked phone hides it. ``filters``
compare with the values the caller sees (a masked column compares masked values).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from sqlglot import exp

from shequ.hub.access import Access, access_for
from shequ.hub.ckan.errors import ActionError, NotAuthorized, NotFound, invalid
from shequ.hub.ckan.packages import catalog, english
from shequ.hub.ckan.params import Call
from shequ.hub.models import Dataset, Sharing
from shequ.hub.query import engine
from shequ.hub.query.audit import refuse
from shequ.hub.query.errors import QueryError
from shequ.hub.query.result import QueryResult
from shequ.hub.tableschema import TableSchema

# sqlglot's base of every node (conditions and functions are not all ``exp.Expression``).
Sql = exp.Expr

CKAN_TYPES = {
    "string": "text",
    "integer": "int",
    "number": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "time": "time",
}
DEFAULT_LIMIT = 100
ROWS_MAX = 32_000  # CKAN's ckan.datastore.search.rows_max: a larger limit is reduced to it
RECORD_FORMATS = ("objects", "lists", "csv", "tsv")
# Accepted and ignored: full-text options of PostgreSQL's search, JSONP and cache busters.
IGNORED = ("plain", "language", "full_text", "total_estimation_threshold", "callback", "_")
TOTAL = "_total"  # schema field names start with a letter: no clash
_SORT_PART = re.compile(r'\s*("?)([A-Za-z_][A-Za-z0-9_]*)\1(?:\s+(asc|desc))?\s*', re.IGNORECASE)


@dataclass
class Resource:
    """A dataset as one caller may read it."""

    dataset: Dataset
    schema: TableSchema
    access: Access

    @property
    def readable(self) -> tuple[str, ...]:
        return self.access.columns

    @property
    def masked(self) -> frozenset[str]:
        pii = self.schema.pii_fields()
        return frozenset(c for c in self.readable if c in pii and c not in self.access.clear)

    def kind(self, column: str) -> str:
        """The column's Table Schema type as the caller sees it (masked values are text)."""
        return "string" if column in self.masked else self.schema.field(column).type

    def column(self, name: Any, param: str) -> str:
        if not isinstance(name, str) or name not in self.readable:
            raise invalid(
                param,
                _("%(column)s is not a column of this resource that you may read.")
                % {"column": name},
            )
        return name

    def field_dict(self, column: str) -> dict[str, Any]:
        f = self.schema.field(column)
        label = f.title_en if english() and f.title_en else f.title
        return {
            "id": column,
            "type": CKAN_TYPES[self.kind(column)],
            "info": {"label": label, "notes": f.description},
        }


def datastore_search(call: Call) -> dict[str, Any]:
    """Rows of a dataset (``resource_id`` = its key): ``filters``, ``q``, ``fields``, ``sort``,
    ``distinct``, ``limit``, ``offset``, ``include_total``, ``records_format``."""
    resource = open_resource(call)
    fields = [resource.column(c, "fields") for c in call.names("fields") or resource.readable]
    fields = list(dict.fromkeys(fields))
    conditions = filter_conditions(resource, call.json("filters"))
    conditions += q_conditions(resource, call.json("q"))
    distinct = call.boolean("distinct", False)
    order = sort_order(resource, call.text("sort"), fields if distinct else None)
    limit = min(call.integer("limit", DEFAULT_LIMIT), ROWS_MAX)
    offset = call.integer("offset", 0)
    include_total = call.boolean("include_total", True)
    records_format = call.text("records_format", "objects")
    if records_format not in RECORD_FORMATS:
        raise invalid(
            "records_format",
            _("Must be one of: %(choices)s.") % {"choices": ", ".join(RECORD_FORMATS)},
        )
    call.refuse_unknown(IGNORED)

    source, where = _source(resource, fields, conditions, distinct)
    order += [c for c in _tiebreak(resource, fields, distinct) if c not in {o[0] for o in order}]
    rows: list[list[Any]] = []
    total: int | None = None
    if limit or include_total:
        rows, total = _page(call, source, where, fields, order, limit, offset, include_total)
    result: dict[str, Any] = {
        "resource_id": resource.dataset.key,
        "fields": [resource.field_dict(c) for c in fields],
        "records_format": records_format,
        "records": _records(records_format, fields, rows),
        "limit": limit,
        "offset": offset,
        "include_total": include_total,
        "total_estimation_threshold": None,
        "_links": _links(call, offset, limit),
        "masked_fields": [c for c in fields if c in resource.masked],
    }
    if include_total:
        result["total"] = total
        result["total_was_estimated"] = False
    for echoed in ("q", "filters", "sort", "distinct"):
        if call.params.get(echoed) not in (None, ""):
            result[echoed] = call.json(echoed)
    return result


def open_resource(call: Call) -> Resource:
    """The dataset and the caller's access to it: 404 when they may not know it, 403 otherwise.

    A refusal to a known user is audited like a refused query.
    """
    key = call.required("resource_id", "id")
    dataset = Dataset.objects.filter(key=key).first()
    user = call.user
    not_found = NotFound(_('Resource "%(id)s" was not found.') % {"id": key})
    if dataset is None:
        raise not_found
    if user is None:
        if dataset.sharing == Sharing.NOT_SHARED:
            raise not_found
        raise NotAuthorized(
            _("reading rows needs the API token of a user with a grant for this dataset.")
        )
    access = access_for(user, dataset)
    if access is None:
        if not catalog(user).filter(pk=dataset.pk).exists():
            raise not_found
        message = _("you have no grant for dataset %(key)s; request it in the hub.") % {"key": key}
        refuse(user, f"datastore_search resource_id={key}", message, 403)
        raise NotAuthorized(message)
    if dataset.version is None:
        raise NotFound(_('Resource "%(id)s" has no data yet.') % {"id": key})
    return Resource(dataset, TableSchema.from_dict(dataset.schema), access)


# ---------------------------------------------------------------------------------------------
# filters, q, sort
# ---------------------------------------------------------------------------------------------


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def filter_conditions(resource: Resource, filters: Any) -> list[Sql]:
    """``{"column": value or [values]}``: equal to the value, or to one of the values."""
    if filters is None or filters == "":
        return []
    if not isinstance(filters, dict):
        raise invalid("filters", _("Must be a JSON object of column names and values."))
    conditions: list[Sql] = []
    for name, wanted in filters.items():
        column = resource.column(name, "filters")
        values = wanted if isinstance(wanted, list) else [wanted]
        literals = [literal(resource, column, v) for v in values if v is not None]
        parts: list[Sql] = []
        if len(literals) == 1:
            parts.append(exp.EQ(this=_col(column), expression=literals[0]))
        elif literals:
            parts.append(exp.In(this=_col(column), expressions=literals))
        if any(v is None for v in values):
            parts.append(exp.Is(this=_col(column), expression=exp.Null()))
        conditions.append(exp.or_(*parts) if parts else exp.false())
    return conditions


def literal(resource: Resource, column: str, value: Any) -> Sql:
    """value as an SQL literal of the column's type; a Validation Error when it is not one."""
    kind = resource.kind(column)
    try:
        if isinstance(value, dict | list):
            raise ValueError(value)
        if kind == "string":
            return exp.Literal.string(value if isinstance(value, str) else json.dumps(value))
        if kind == "integer":
            return exp.Literal.number(_integer(value))
        if kind == "number":
            number = float(value) if not isinstance(value, bool) else math.nan
            if not math.isfinite(number):
                raise ValueError(value)
            return exp.Literal.number(repr(number))
        if kind == "boolean":
            return exp.Boolean(this=_boolean(value))
        text = str(value).strip()
        if kind == "date":
            typed, sql_type = date.fromisoformat(text).isoformat(), "DATE"
        elif kind == "datetime":
            typed, sql_type = _datetime(text).isoformat(), "TIMESTAMPTZ"
        else:
            typed, sql_type = time.fromisoformat(text).isoformat(), "TIME"
        return exp.Cast(this=exp.Literal.string(typed), to=exp.DataType.build(sql_type))
    except (ValueError, TypeError, OverflowError):
        raise invalid(
            "filters",
            _("%(value)s is not a valid %(type)s value for column %(column)s.")
            % {
                "value": json.dumps(value, ensure_ascii=False),
                "type": CKAN_TYPES[kind],
                "column": column,
            },
        ) from None


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d{1,19}", text):
        raise ValueError(value)
    return int(text)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "t", "yes"):
        return True
    if text in ("false", "0", "f", "no"):
        return False
    raise ValueError(value)


def _datetime(text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None:
        moment = datetime.combine(date.fromisoformat(text), time())
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def q_conditions(resource: Resource, q: Any) -> list[Sql]:
    """``q`` as text: every word in some searchable column; as ``{column: text}``: per column.

    Searchable: text columns the caller reads in clear (never a masked personal column).
    """
    if q is None or q == "":
        return []
    if isinstance(q, str):
        searchable = [
            c for c in resource.readable
            if c not in resource.masked and resource.schema.field(c).type == "string"
        ]  # fmt: skip
        return [
            exp.or_(*[_contains(_col(c), word) for c in searchable]) if searchable else exp.false()
            for word in q.split()
        ]
    if not isinstance(q, dict):
        raise invalid("q", _("Must be text, or a JSON object of column names and text."))
    conditions: list[Sql] = []
    for name, text in q.items():
        column = resource.column(name, "q")
        if column in resource.masked:
            raise invalid(
                "q",
                _("%(column)s is masked for you and cannot be searched.") % {"column": column},
            )
        if not isinstance(text, str | int | float) or isinstance(text, bool):
            raise invalid("q", _("Must be text, or a JSON object of column names and text."))
        value: Sql = _col(column)
        if resource.schema.field(column).type != "string":
            value = exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
        conditions += [_contains(value, word) for word in str(text).split()]
    return conditions


def _contains(value: Sql, word: str) -> Sql:
    needle = exp.Lower(this=exp.Literal.string(word))
    return exp.func("contains", exp.Lower(this=value), needle, dialect="duckdb")


def sort_order(resource: Resource, sort: str, returned: list[str] | None) -> list[tuple[str, bool]]:
    """``"col desc, col2"`` -> [(column, descending)]; with ``distinct``, returned columns only."""
    order: list[tuple[str, bool]] = []
    if not sort.strip():
        return order
    for part in sort.split(","):
        m = _SORT_PART.fullmatch(part)
        if m is None:
            raise invalid(
                "sort",
                _(
                    "Write the sort as column names, each optionally followed by asc or desc: "
                    "%(sort)s"
                )
                % {"sort": part.strip()},
            )
        column = resource.column(m.group(2), "sort")
        if returned is not None and column not in returned:
            raise invalid(
                "sort",
                _("%(column)s is not among the fields returned.") % {"column": column},
            )
        order.append((column, (m.group(3) or "").lower() == "desc"))
    return order


def _tiebreak(resource: Resource, fields: list[str], distinct: bool) -> list[tuple[str, bool]]:
    """Columns that make the order total, so that pages neither repeat nor skip a row.

    The primary key when the caller reads it unmasked (masked keys may collide), else every
    column they read: rows equal in all of those are equal in whatever is returned.
    """
    if distinct:
        return [(c, False) for c in fields]
    key = resource.schema.primary_key
    if key and all(c in resource.readable and c not in resource.masked for c in key):
        return [(c, False) for c in key]
    return [(c, False) for c in resource.readable]


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def _source(
    resource: Resource, fields: list[str], conditions: list[Sql], distinct: bool
) -> tuple[Sql, Sql | None]:
    """What to select from (the dataset, or its distinct rows) and the WHERE left to apply."""
    table = exp.Table(this=exp.to_identifier(resource.dataset.key, quoted=True))
    where = exp.and_(*conditions) if conditions else None
    if not distinct:
        return table, where
    inner = exp.select(*[_col(c) for c in fields]).distinct().from_(table)
    if where is not None:
        inner = inner.where(where)
    alias = exp.TableAlias(this=exp.to_identifier("_r", quoted=True))
    return exp.Subquery(this=inner, alias=alias), None


def _page(
    call: Call,
    source: Sql,
    where: Sql | None,
    fields: list[str],
    order: list[tuple[str, bool]],
    limit: int,
    offset: int,
    include_total: bool,
) -> tuple[list[list[Any]], int | None]:
    """The page of rows and the total: one query, with the total as a window over all rows."""
    outputs: list[Sql] = [_col(c) for c in fields]
    if include_total:
        outputs.append(exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), TOTAL, quoted=True))
    query = exp.select(*outputs).from_(source)
    if where is not None:
        query = query.where(where)
    query = query.order_by(*[exp.Ordered(this=_col(c), desc=d) for c, d in order])
    query = query.limit(limit).offset(offset)
    rows = _run(call, query, max(limit, 1)).rows_json()
    if not include_total:
        return rows, None
    if rows:
        return [r[:-1] for r in rows], int(rows[0][-1])
    if limit and not offset:
        return [], 0
    # A page past the end (or limit 0) has no row to carry the total: count separately.
    count = exp.select(exp.alias_(exp.Count(this=exp.Star()), TOTAL, quoted=True)).from_(source)
    if where is not None:
        count = count.where(where)
    return [], int(_run(call, count, 1).rows_json()[0][0])


def _run(call: Call, query: exp.Select, limit: int) -> QueryResult:
    try:
        assert call.user is not None  # resolving the resource refused anonymous callers
        return engine.run_query(call.user, query.sql(dialect="duckdb"), limit=limit)
    except QueryError as exc:
        if exc.status == 404:
            raise NotFound(exc.message) from None
        if exc.status == 403:
            raise NotAuthorized(exc.message) from None
        if exc.status >= 500:
            raise ActionError(exc.message) from None
        raise invalid("query", exc.message) from None


def _records(records_format: str, fields: list[str], rows: list[list[Any]]) -> Any:
    if records_format == "objects":
        return [dict(zip(fields, row, strict=True)) for row in rows]
    if records_format == "lists":
        return rows
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if records_format == "tsv" else ",")
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _links(call: Call, offset: int, limit: int) -> dict[str, str]:
    """CKAN's ``_links``: this search from its start, and its next page."""
    params: dict[str, str] = {}
    for name, value in call.params.items():
        if name == "offset" or value is None:
            continue
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, dict | list):
            params[name] = json.dumps(value, ensure_ascii=False)
        else:
            params[name] = str(value)
    start = f"{call.path}?{urlencode(params)}"
    following = f"{call.path}?{urlencode({**params, 'offset': offset + limit})}"
    return {"start": start, "next": following}
