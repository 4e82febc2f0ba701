"""The SQL console and its export: a paged table of masked values, what was read, errors."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequ.core.types import User
from shequ.hub.access import queryable, require_hub
from shequ.hub.forms.requests import QueryForm

PAGE_SIZE = 50
CONSOLE_MAX_ROWS = 10_000


EXPORT_FORMATS = ("csv", "xlsx", "parquet")


@login_required
@require_http_methods(["GET", "POST"])
def query_console(request: HttpRequest) -> HttpResponse:
    """SQL over granted datasets: a paged table of masked values, what was read, errors.

    Only a POST (with its CSRF token) runs a query: a link from anywhere (``?sql=…``) just fills
    the SQL in, so that no other site can make a logged-in user run a query in their name.
    """
    user = require_hub(request)
    if request.method == "POST":
        form = QueryForm(request.POST)
    else:
        form = QueryForm(initial={"sql": request.GET.get("sql", "")})
    context: dict[str, Any] = {"form": form, "datasets": queryable(user)}
    if form.is_bound and form.is_valid():
        context.update(run_page(user, form.cleaned_data["sql"], form.cleaned_data["page"] or 1))
    return render(request, "hub/console.html", context)


def run_page(user: User, sql: str, page: int) -> dict[str, Any]:
    """Run the SQL for one page of the console; the page's rows or the error."""
    from shequ.hub.query import QueryError, run_query

    limit = min(page * PAGE_SIZE, CONSOLE_MAX_ROWS)
    offset = (page - 1) * PAGE_SIZE
    try:
        result = run_query(user, sql, limit=max(limit, 1))
    except QueryError as exc:
        request_key = exc.dataset if exc.status == 403 else None
        return {
            "error": exc.text,
            "status": exc.status,
            "request_key": request_key,
            "error_at": error_at(sql, exc.where),
        }
    clear = {c.split(".", 1)[-1] for c in result.clear_pii}
    rows = result.rows_json(offset, PAGE_SIZE) if offset < result.rows else []
    more = result.truncated and limit < CONSOLE_MAX_ROWS
    return {
        "sql": sql,
        "result": result,
        "headers": [{"name": c, "clear": c in clear} for c in result.columns],
        "rows": rows,
        "first": offset + 1 if rows else 0,
        "last": offset + len(rows),
        "page": page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if more else None,
        "capped": result.truncated and limit >= CONSOLE_MAX_ROWS,
        "exports": EXPORT_FORMATS,
    }


def error_at(sql: str, where: tuple[int, int] | None) -> dict[str, Any] | None:
    """The line of sql where an error is, split around the token there, for the console."""
    lines = sql.splitlines()
    if where is None or not 1 <= where[0] <= len(lines):
        return None
    line, col = lines[where[0] - 1], where[1] - 1
    token = re.match(r'"[^"]*"?|\w+|\S', line[col:]) if col < len(line) else None
    end = col + (len(token[0]) if token else 0)
    return {"number": where[0], "before": line[:col], "token": line[col:end], "after": line[end:]}


@login_required
@require_POST
def query_export(request: HttpRequest) -> HttpResponseBase:
    """The whole result (up to the console's row limit) as CSV, XLSX or Parquet (a POST)."""
    from shequ.hub.query import QueryError, run_query
    from shequ.hub.query.export import FORMATS, export_file

    user = require_hub(request)
    form = QueryForm(request.POST)
    fmt = request.POST.get("format", "csv")
    if not form.is_valid() or fmt not in FORMATS:
        messages.error(request, _("Nothing to export: run a query first."))
        return redirect("hub:query")
    sql = form.cleaned_data["sql"]
    try:
        handle = export_file(run_query(user, sql, limit=CONSOLE_MAX_ROWS), fmt)
    except QueryError as exc:
        messages.error(request, exc.text)
        return redirect(reverse("hub:query") + "?" + urlencode({"sql": sql}))  # filled in, not run
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return FileResponse(
        handle, as_attachment=True, filename=f"query-{stamp}.{fmt}", content_type=FORMATS[fmt]
    )
