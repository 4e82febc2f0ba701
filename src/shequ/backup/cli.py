"""`shequ backup` and `shequ restore` (docs/operations.md, "Backup and restore")."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

KEYS_WARNING = """\
WARNING: --include-keys writes this installation's secrets (SHEQU_FERNET_KEYS,
SHEQU_PII_HMAC_KEY, SHEQU_SECRET_KEY and the signing secrets) into {path}.
Anyone holding this backup can read every personal value in it. Keep it encrypted and
apart from backups without keys, or keep the keys elsewhere and leave this option out."""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("backup", help="write a consistent backup of the database and the hub")
    p.add_argument("path", type=Path, help="a new folder (with --keep: the folder of backups)")
    p.add_argument(
        "--keep", type=int, default=0,
        help="write PATH/shequ-<UTC time> and remove all but the newest N backups in PATH",
    )  # fmt: skip
    p.add_argument("--include-keys", action="store_true", help="also the secrets (see docs)")
    p.add_argument("--verify", action="store_true", help="only verify the backup in PATH")
    p = sub.add_parser("restore", help="restore a backup into an empty installation")
    p.add_argument("path", type=Path)
    p.add_argument("--check", action="store_true", help="only verify the backup, write nothing")
    p.add_argument(
        "--ignore-keys", action="store_true",
        help="restore although this installation's keys cannot read the personal data",
    )  # fmt: skip


def _summary(found: dict[str, Any]) -> str:
    db = found["database"]
    db_rows = sum(t["rows"] for t in db["tables"].values())
    hub_rows = sum(t["rows"] for t in found["hub"].values())
    hub_bytes = sum(f["size"] for t in found["hub"].values() for f in t["files"])
    other = sum(f["size"] for f in found["files"])
    return (
        f"database ({db['engine']}): {len(db['tables'])} tables, {db_rows:,} rows, "
        f"{db['file']['size'] / 1e6:,.1f} MB; hub: {len(found['hub'])} tables, {hub_rows:,} rows, "
        f"{hub_bytes / 1e6:,.1f} MB; other files: {len(found['files'])}, {other / 1e6:,.1f} MB; "
        f"made {found['created_at']}"
    )


def backup(args: argparse.Namespace) -> int:
    from shequ.backup import BackupError, make_backup, rotate, verify

    started = time.monotonic()
    try:
        if args.verify:
            print(f"backup {args.path} verified: {_summary(verify(args.path))}")
            return 0
        if args.include_keys:
            print(KEYS_WARNING.format(path=args.path), file=sys.stderr)
        options = {"include_keys": args.include_keys}
        if args.keep:
            target, found, removed = rotate(args.path, args.keep, **options)
            for path in removed:
                print(f"removed the older backup {path}")
        else:
            target, found = args.path, make_backup(args.path, **options)
    except BackupError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"backup written to {target} in {time.monotonic() - started:.1f} s: {_summary(found)}")
    if not args.include_keys:
        print("the keys are not in the backup: keep SHEQU_FERNET_KEYS and SHEQU_PII_HMAC_KEY safe")
    return 0


def restore(args: argparse.Namespace) -> int:
    from shequ.backup import BackupError, restore, verify

    started = time.monotonic()
    try:
        if args.check:
            print(f"backup {args.path} verified: {_summary(verify(args.path))}")
            return 0
        found = restore(args.path, ignore_keys=args.ignore_keys)
    except BackupError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"restored {args.path} in {time.monotonic() - started:.1f} s: {_summary(found)}")
    return 0
