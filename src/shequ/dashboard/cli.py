"""``shequ dashboard refresh``: compute the indicators now (the worker does it on schedule)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    dashboard = sub.add_parser("dashboard", help="dashboards: compute the indicators")
    dashboard_sub = dashboard.add_subparsers(dest="dashboard_command", required=True)
    p = dashboard_sub.add_parser("refresh", help="compute the indicators that are due, or all")
    p.add_argument("--all", action="store_true", help="every indicator, due or not")
    p.add_argument("keys", nargs="*", help="indicator keys (default: every indicator)")
    p.set_defaults(dashboard_func=refresh)


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
