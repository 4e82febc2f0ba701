"""Hub query endpoints: run SQL over granted datasets, page through it, export it.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.

- ``POST /query``: ``{sql, version?, as_of?, limit?, page?, page_size?}`` -> one page of rows
  (JSON-safe: times in ISO 8601, decimals as text) with the row count, whether the row limit
  cut the result, the datasets and versions read and the personal columns returned in clear;
- ``POST /query/export?format=csv|xlsx|parquet``: the same body -> the whole result as a file;
- ``GET /query/functions``: the functions hub SQL may call.

Errors use the API's one shape with the status that fits: 400 refused or failed SQL, 403 no
grant (or no hub permission), 404 unknown dataset or version, 408 cancelled at the time limit.
"""

from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from shequ.core.inputs import INT_MAX, LocalDatetime, NonNegativeInt
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.api.common import file_answer
from shequ.hub.query import ALLOWED_FUNCTIONS, QueryResult, run_query
from shequ.hub.query.engine import DEFAULT_LIMIT
from shequ.hub.query.export import FORMATS, export_file

router = Router(tags=["hub query"])

MAX_PAGE_SIZE = 10_000


class QueryIn(Schema):
    sql: str = Field(..., description="One SELECT (or WITH … SELECT) in DuckDB's dialect.")
    version: NonNegativeInt | dict[str, NonNegativeInt] | None = Field(
        None, description="Delta version to read: one for every dataset, or per dataset key."
    )
    as_of: LocalDatetime | None = Field(
        None, description="Read each dataset as it was at this time (its newest version then)."
    )
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=INT_MAX, description="Most rows the query may return."
    )
    timeout: float | None = Field(
        None,
        gt=0,
        le=600,
        description="Seconds before the query is cancelled: at most, and by default, the hub's "
        "limit (SHEQU_HUB_QUERY_TIMEOUT, 30 s unless configured); a longer time is cut to it.",
    )


class QueryPageIn(QueryIn):
    page: int = Field(1, ge=1, le=INT_MAX)
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)


class QueryOut(Schema):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    page: int
    page_size: int
    pages: int
    datasets: dict[str, int | None]
    clear_pii: list[str]
    duration_ms: int


def _run(request: HttpRequest, body: QueryIn) -> QueryResult:
    # The engine refuses (and audits) a user the hub is not open to.
    return run_query(
        user_of(request),
        body.sql,
        version=body.version,
        as_of=body.as_of,
        limit=body.limit,
        timeout=body.timeout,
    )


@router.post(
    "/query",
    response={200: QueryOut, **errors(WRITE, 408, 429)},
    summary="Run SQL over the datasets you are granted",
)
def query(request: HttpRequest, body: QueryPageIn) -> dict[str, Any]:
    result = _run(request, body)
    pages = max(1, -(-result.rows // body.page_size))
    return {
        "columns": result.columns,
        "rows": result.rows_json((body.page - 1) * body.page_size, body.page_size),
        "row_count": result.rows,
        "truncated": result.truncated,
        "page": body.page,
        "page_size": body.page_size,
        "pages": pages,
        "datasets": result.datasets,
        "clear_pii": result.clear_pii,
        "duration_ms": result.duration_ms,
    }


EXPORTED = file_answer(
    "The whole result as a file of the format asked for.",
    list(FORMATS.values()),
    headers={
        "X-Row-Count": "rows in the file",
        "X-Truncated": "true when the row limit cut the result",
    },
)


@router.post(
    "/query/export",
    openapi_extra=EXPORTED,
    summary="Run SQL and download the result as a file",
    response=errors(WRITE, 408, 429),
)
def export(
    request: HttpRequest, body: QueryIn, format: Literal["csv", "xlsx", "parquet"] = "csv"
) -> FileResponse:
    result = _run(request, body)
    handle = export_file(result, format)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = FileResponse(
        handle, as_attachment=True, filename=f"query-{stamp}.{format}", content_type=FORMATS[format]
    )
    response["X-Row-Count"] = str(result.rows)
    response["X-Truncated"] = "true" if result.truncated else "false"
    return response


@router.get(
    "/query/functions",
    response={200: list[str], **errors(READ)},
    summary="Functions hub SQL may call",
)
def functions(request: HttpRequest) -> list[str]:
    require_hub(request)
    return sorted(ALLOWED_FUNCTIONS)
