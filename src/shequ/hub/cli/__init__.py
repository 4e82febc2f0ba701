"""`shequ hub …`: ingest files, list runs, show the catalog."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shequ.hub.cli.query import add_query_parser

if TYPE_CHECKING:  # models are imported only after django.setup()
    from shequ.hub.models import IngestRun

MODES = ("append", "replace", "upsert")


def add_parser(sub: Any) -> None:
    hub = sub.add_parser("hub", help="data hub: ingest, runs, catalog")
    hub_sub = hub.add_subparsers(dest="hub_command", required=True)

    p = hub_sub.add_parser("ingest", help="ingest a file into a dataset")
    p.add_argument("path", type=Path)
    p.add_argument("--dataset", required=True, help="dataset key")
    p.add_argument("--mode", choices=MODES, default="append")
    p.add_argument(
        "--create",
        action="store_true",
        help="create the dataset from the file, inferring its schema",
    )
    p.add_argument("--category", default="population_housing", help="category key for --create")
    p.add_argument("--title", default="", help="title for --create")
    p.add_argument("--format", default=None)
    p.add_argument("--sheet", default=None)
    p.add_argument("--delimiter", default=None)
    p.add_argument("--encoding", default=None)
    p.add_argument(
        "--skip-hidden-rows",
        action="store_true",
        help="leave out rows the spreadsheet hides (they are named in the run's notes either way)",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(hub_func=ingest)

    p = hub_sub.add_parser("runs", help="recent ingest runs")
    p.add_argument("--dataset", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(hub_func=runs)

    p = hub_sub.add_parser("catalog", help="categories and their datasets")
    p.add_argument("--json", action="store_true")
    p.add_argument("--load", action="store_true", help="load or refresh the shipped catalog")
    p.set_defaults(hub_func=catalog)

    add_query_parser(hub_sub)


def run_result(run: IngestRun) -> dict[str, Any]:
    return {
        "run_id": run.pk,
        "dataset": run.dataset.key,
        "status": run.status,
        "mode": run.mode,
        "rows_read": run.rows_read,
        "rows_written": run.rows_written,
        "rows_rejected": run.rows_rejected,
        "version": run.version,
        "quarantine": run.quarantine or None,
        "error": run.error or None,
        "notes": [n for n in run.log.splitlines() if n],
    }


def ingest(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_slug

    from shequ.hub.models import Category, Dataset, IngestRun
    from shequ.hub.services.catalog import create_dataset_from_file
    from shequ.hub.services.runs import InputSpec, ingest_file

    spec = InputSpec(args.format, args.sheet, args.delimiter, args.encoding, args.skip_hidden_rows)
    if not args.path.is_file():
        return _usage_error(args, f"no such file: {args.path}")
    dataset = Dataset.objects.filter(key=args.dataset).first()
    if dataset is None and not args.create:
        return _usage_error(
            args, f"no dataset {args.dataset!r}; use --create to make one from the file"
        )
    notes: list[str] = []
    if dataset is None:
        try:
            validate_slug(args.dataset)  # it names the dataset's folder and its API URLs
        except ValidationError:
            return _usage_error(
                args,
                f"a dataset key is letters, digits, _ and - only, not {args.dataset!r}",
            )
        if not Category.objects.filter(key=args.category).exists():
            known = ", ".join(Category.objects.values_list("key", flat=True))
            return _usage_error(
                args,
                f"no category {args.category!r} "
                + (
                    f"(the categories are: {known})"
                    if known
                    else "(load the shipped catalog first: shequ hub catalog --load)"
                ),
            )
        try:
            dataset, notes = create_dataset_from_file(
                args.path,
                key=args.dataset,
                category=args.category,
                title=args.title or args.dataset,
                spec=spec,
            )
        except ValidationError as exc:
            return _usage_error(args, "; ".join(exc.messages))
        except Exception as exc:  # the CLI reports any failure as one line
            return _usage_error(args, f"cannot create the dataset: {exc}")
    run = ingest_file(dataset, args.path, mode=args.mode, spec=spec, notes=notes)
    result = run_result(run)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(
            f"run {run.pk}: {run.status}; read {run.rows_read}, written {run.rows_written}, "
            f"rejected {run.rows_rejected}; version {run.version}"
        )
        for line in [run.error, *result["notes"]]:
            if line:
                print(f"  {line}")
        if run.quarantine:
            print(f"  quarantine: {run.quarantine}")
    return 0 if run.status in (IngestRun.Status.SUCCEEDED, IngestRun.Status.SKIPPED) else 1


def _usage_error(args: argparse.Namespace, message: str) -> int:
    """Refuse before any run starts: one line on stderr (and a JSON object with --json)."""
    print(f"error: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"run_id": None, "status": "error", "error": message}, ensure_ascii=False))
    return 2


def runs(args: argparse.Namespace) -> int:
    from shequ.hub.models import IngestRun

    qs = IngestRun.objects.select_related("dataset")
    if args.dataset:
        qs = qs.filter(dataset__key=args.dataset)
    items = [run_result(r) for r in qs[: args.limit]]
    if args.json:
        print(json.dumps(items, ensure_ascii=False))
        return 0
    for r in items:
        print(
            f"{r['run_id']:>6}  {r['dataset']:<32} {r['status']:<10} "
            f"{r['rows_written']:>10} written {r['rows_rejected']:>8} rejected  v{r['version']}"
        )
    return 0


def catalog(args: argparse.Namespace) -> int:
    from shequ.hub.models import Category
    from shequ.hub.services.catalog import load_catalog

    if args.load:
        cats, items = load_catalog()
        print(f"catalog loaded: {cats} categories, {items} datasets", file=sys.stderr)
    data: list[dict[str, Any]] = [
        {
            "key": c.key,
            "name": c.name,
            "name_en": c.name_en,
            "datasets": [
                {
                    "key": d.key,
                    "title": d.title,
                    "title_en": d.title_en,
                    "rows": d.row_count,
                    "version": d.version,
                }
                for d in c.datasets.all()
            ],
        }
        for c in Category.objects.prefetch_related("datasets")
    ]
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for c in data:
        print(f"{c['name']} ({c['name_en']}): {len(c['datasets'])} datasets")
        for d in c["datasets"]:
            print(f"  {d['key']:<34} {d['title']}  rows={d['rows']}")
    return 0


def main(args: argparse.Namespace) -> int:
    return int(args.hub_func(args))
