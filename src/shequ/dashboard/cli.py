"""``shequ dashboard refresh`` (compute the indicators now) and ``shequ dashboard report``."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    dashboard = sub.add_parser("dashboard", help="dashboards: indicators and weekly reports")
    dashboard_sub = dashboard.add_subparsers(dest="dashboard_command", required=True)
    p = dashboard_sub.add_parser("refresh", help="compute the indicators that are due, or all")
    p.add_argument("--all", action="store_true", help="every indicator, due or not")
    p.add_argument("keys", nargs="*", help="indicator keys (default: every indicator)")
    p.set_defaults(dashboard_func=refresh)
    r = dashboard_sub.add_parser(
        "report", help="generate weekly reports (XLSX and PDF) as the Monday job does"
    )
    r.add_argument("--region", help="a street or community code (default: every one)")
    r.add_argument("--week", help="ISO week such as 2026-W49 (default: last week)")
    r.add_argument("--language", help="zh-hans or en (default: both)")
    r.add_argument("--notify", action="store_true", help="tell the regions' staff, as on Monday")
    r.set_defaults(dashboard_func=report)


def main(args: argparse.Namespace) -> int:
    return int(args.dashboard_func(args))


def refresh(args: argparse.Namespace) -> int:
    from shequ.dashboard.indicators import REGISTRY
    from shequ.dashboard.services import refresh as run

    unknown = [k for k in args.keys if k not in REGISTRY]
    if unknown:
        print(f"unknown indicators: {', '.join(unknown)}")
        return 2
    rows = run.run(args.keys or None, force=args.all)
    print(f"{rows} indicator values computed")
    return 0


def report(args: argparse.Namespace) -> int:
    from shequ.core.errors import ServiceError
    from shequ.core.models import Region
    from shequ.dashboard.services.access import SHOWN_LEVELS
    from shequ.dashboard.services.report import store, weekly, weeks

    try:
        week = weeks.parse(args.week) if args.week else weeks.last_complete()
        only = None
        if args.region:
            only = list(Region.objects.filter(code=args.region, level__in=SHOWN_LEVELS))
            if not only:
                print(f"region: no street or community {args.region}")
                return 2
        outcome = weekly.run(week, only=only, languages=[args.language] if args.language else None,
                             tell=args.notify)  # fmt: skip
    except ServiceError as exc:
        print(exc.message)
        return 2
    for made in outcome.made:
        print(f"{made.region.code} {made.week} {made.language}: {store.root() / made.pdf_name} "
              f"{store.root() / made.xlsx_name}")  # fmt: skip
    print(f"{outcome.week}: {outcome.reports} reports, {outcome.notified} regions notified")
    for code in outcome.failed:
        print(f"failed: {code} (see the log)")
    return 1 if outcome.failed else 0
