"""Row counts and content checksums of database tables, through any DB-API cursor.

A table's checksum is the SHA-256 of its rows in primary-key order, each written as JSON: the
same rows give the same checksum on the same engine (a backup and its restore), whatever the
physical order of the rows. A table without a primary key is hashed row by row, sorted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

BATCH = 5000


def _value(value: Any) -> Any:
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).hex()
    return value


def _line(row: Sequence[Any]) -> bytes:
    values = [_value(v) for v in row]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str).encode() + b"\n"


def table_digest(cursor: Any, select: str, ordered: bool) -> dict[str, Any]:
    """{"rows", "checksum"} of the rows *select* returns (in key order when *ordered*)."""
    cursor.execute(select)
    digest = hashlib.sha256()
    rows = 0
    unordered: list[bytes] = []
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            line = _line(row)
            if ordered:
                digest.update(line)
            else:
                unordered.append(hashlib.sha256(line).digest())
            rows += 1
    for item in sorted(unordered):
        digest.update(item)
    return {"rows": rows, "checksum": digest.hexdigest()}


def digests(
    cursor: Any,
    tables: list[str],
    keys: Callable[[str], list[str]],
    quote: Callable[[str], str],
) -> dict[str, dict[str, Any]]:
    found = {}
    for table in sorted(tables):
        key = keys(table)
        order = f" ORDER BY {', '.join(quote(k) for k in key)}" if key else ""
        found[table] = table_digest(cursor, f"SELECT * FROM {quote(table)}{order}", bool(key))
    return found


def sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in cursor.fetchall()]


def sqlite_digests(cursor: Any) -> dict[str, dict[str, Any]]:
    def keys(table: str) -> list[str]:
        cursor.execute(f"PRAGMA table_info({sqlite_quote(table)})")
        info = [(row[5], row[1]) for row in cursor.fetchall() if row[5]]
        return [name for _pk, name in sorted(info)]

    return digests(cursor, sqlite_tables(cursor), keys, sqlite_quote)


def postgres_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return [row[0] for row in cursor.fetchall()]


def postgres_digests(cursor: Any) -> dict[str, dict[str, Any]]:
    def keys(table: str) -> list[str]:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = %s::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [postgres_quote(table)],
        )
        return [row[0] for row in cursor.fetchall()]

    return digests(cursor, postgres_tables(cursor), keys, postgres_quote)


def postgres_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dataset_versions(cursor: Any) -> dict[str, int]:
    """Each hub dataset's committed Delta version, as the database records it."""
    cursor.execute("SELECT key, version FROM hub_dataset WHERE version IS NOT NULL")
    return {str(key): int(version) for key, version in cursor.fetchall()}
