"""A few masked rows of a dataset version, limited to the rows of the user's regions."""

from __future__ import annotations

from typing import Any

import duckdb

from shequ.core import pii
from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.hub.ingest.validate import ident, literal
from shequ.hub.models import Dataset
from shequ.hub.storage import open_table
from shequ.hub.tableschema import TableSchema


def row_filter(user: Any, schema: TableSchema) -> str:
    """SQL condition keeping rows of the user's regions (TRUE when unrestricted)."""
    if not schema.region_field or has_global(user, Perm.HUB):
        return "TRUE"
    prefixes = prefixes_for(user, Perm.HUB)
    if not prefixes:
        return "FALSE"
    col = ident(schema.region_field)
    return "(" + " OR ".join(f"starts_with({col}, {literal(p)})" for p in prefixes) + ")"


def sample_rows(
    user: Any, dataset: Dataset, *, limit: int = 20, version: int | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Up to ``limit`` rows, every PII column masked. Never returns clear personal data."""
    schema = TableSchema.from_dict(dataset.schema)
    table = open_table(dataset.key, version)
    if table is None:
        return schema.names, []
    files = table.file_uris()
    if not files:
        return schema.names, []
    file_list = "[" + ", ".join(literal(f) for f in files) + "]"
    cols = ", ".join(ident(n) for n in schema.names)
    con = duckdb.connect()
    try:
        result = con.execute(
            f"SELECT {cols} FROM read_parquet({file_list}) WHERE {row_filter(user, schema)} "
            f"LIMIT {int(limit)}"
        )
        names = [d[0] for d in result.description]
        rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    finally:
        con.close()
    kinds = schema.pii_fields()
    for row in rows:
        for name, kind in kinds.items():
            value = row.get(name)
            row[name] = pii.mask(kind, str(value)) if value is not None else None
    return names, rows
