"""`shequ hub query "SQL"`: run hub SQL from the command line.

With ``--user`` the query runs as that user (their grants, masking and regions). Without it,
it runs as a system query over every dataset and row, still masked: personal values come in
clear only with ``--clear``, which the audit log records with ``--purpose``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from typing import Any

FORMATS = ("table", "csv", "json")
MAX_CELL = 40


def add_query_parser(hub_subparsers: Any) -> None:
    """Add ``query`` to the ``shequ hub`` sub-commands."""
    p = hub_subparsers.add_parser(
        "query",
        help="run SQL (DuckDB dialect) over hub datasets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sql", help='one SELECT, e.g. "SELECT count(*) FROM parking_events"')
    p.add_argument("--user", default=None, help="run as this user (default: system, masked)")
    p.add_argument("--version", type=int, default=None, help="Delta version of every dataset")
    p.add_argument("--as-of", default=None, help="read the datasets as they were at this time")
    p.add_argument("--limit", type=int, default=10_000, help="most rows to return")
    p.add_argument("--timeout", type=float, default=None, help="seconds (default 30)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument(
        "--clear", action="store_true", help="system query only: personal values in clear"
    )
    p.add_argument("--purpose", default="", help="why clear values are needed (audited)")
    p.set_defaults(hub_func=query_command)


def query_command(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model

    from shequ.hub.query import QueryError, run_query, run_query_system

    options: dict[str, Any] = {
        "version": args.version,
        "as_of": args.as_of,
        "limit": args.limit,
        "timeout": args.timeout,
    }
    try:
        if args.user:
            if args.clear:
                print(
                    "error: --clear is for system queries; a user's clear columns come from "
                    "their grants",
                    file=sys.stderr,
                )
                return 2
            user = get_user_model().objects.filter(username=args.user).first()
            if user is None:
                print(f"error: no user {args.user!r}", file=sys.stderr)
                return 2
            result = run_query(user, args.sql, **options)
        else:
            result = run_query_system(
                args.sql, clear=args.clear, purpose=args.purpose or "shequ hub query", **options
            )
    except QueryError as exc:
        print(f"error ({exc.status}): {exc.text}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(
            json.dumps(
                {
                    "columns": result.columns,
                    "rows": result.rows_json(),
                    "row_count": result.rows,
                    "truncated": result.truncated,
                    "datasets": result.datasets,
                    "clear_pii": result.clear_pii,
                    "duration_ms": result.duration_ms,
                },
                ensure_ascii=False,
            )
        )
    elif args.format == "csv":
        from shequ.hub.query.export import csv_text

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.table.to_pylist():
            writer.writerow([csv_text(v) for v in row.values()])
    else:
        print_table(result.columns, result.rows_json())
    summary = f"{result.rows} rows in {result.duration_ms} ms"
    if result.truncated:
        summary += f" (cut at the limit of {args.limit}; use --limit)"
    if result.clear_pii:
        summary += f"; in clear: {', '.join(result.clear_pii)}"
    print(summary, file=sys.stderr)
    return 0


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def print_table(columns: list[str], rows: list[list[Any]]) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([_width(c), *(_width(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))

    print(line(columns).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row).rstrip())
