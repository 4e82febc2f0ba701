"""`shequ timebank …`: check the hours ledger."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    timebank = sub.add_parser("timebank", help="time bank: check the hours ledger")
    tb_sub = timebank.add_subparsers(dest="timebank_command", required=True)
    p = tb_sub.add_parser(
        "check",
        help="verify the ledger: balances sum to zero, each is the sum of its movements",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(timebank_func=check)


def check(args: argparse.Namespace) -> int:
    from shequ.timebank.services.ledger import check as check_ledger

    report = check_ledger()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "accounts": report.accounts,
                    "transfers": report.transfers,
                    "total_balance": report.total_balance,
                    "problems": report.problems,
                }
            )
        )
    else:
        for problem in report.problems:
            print(f"problem: {problem}")
        state = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        print(f"{report.accounts} accounts, {report.transfers} transfers: {state}")
    return 0 if report.ok else 1


def main(args: argparse.Namespace) -> int:
    return int(args.timebank_func(args))
