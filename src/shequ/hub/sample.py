"""What a user may see of a dataset's rows: a few masked rows of a version, for a user with a
grant, limited to the columns and rows of the grant; statistics without other regions' values;
a run's first rejected rows.
"""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.core.types import User
from shequ.hub.access import access_for
from shequ.hub.ingest.cells import ident, literal
from shequ.hub.models import Dataset, DatasetVersion, IngestRun
from shequ.hub.query.sandbox import row_scope_sql
from shequ.hub.storage import open_table
from shequ.hub.tableschema import TableSchema


def row_filter(user: User, schema: TableSchema) -> str:
    """SQL condition keeping rows of the user's regions (TRUE when unrestricted)."""
    if not schema.region_field or has_global(user, Perm.HUB):
        return "TRUE"
    prefixes = prefixes_for(user, Perm.HUB)
    if not prefixes:
        return "FALSE"
    col = ident(schema.region_field)
    return "(" + " OR ".join(f"starts_with({col}, {literal(p)})" for p in prefixes) + ")"


def sees_all_rows(user: User, dataset: Dataset) -> bool:
    """True when ``row_filter`` keeps every row of the dataset for this user."""
    schema = TableSchema.from_dict(dataset.schema)
    if not schema.region_field or has_global(user, Perm.HUB):
        return True
    if dataset.region is None:
        return False
    return any(dataset.region.code.startswith(p) for p in prefixes_for(user, Perm.HUB))


def visible_stats(user: User, dataset: Dataset, stats: dict[str, Any]) -> dict[str, Any]:
    """A version's statistics; without per-column min and max (values of rows the user may
    not see) unless the user sees every row."""
    if sees_all_rows(user, dataset):
        return stats
    columns = {
        name: {**col, "min": None, "max": None} for name, col in stats.get("columns", {}).items()
    }
    return {**stats, "columns": columns}


def quarantine_head(run: IngestRun, limit: int = 50) -> list[dict[str, str]]:
    """The first rejected rows of a run (row, column, reason; personal values come masked)."""
    path = Path(run.quarantine) if run.quarantine else None
    if path is None or not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(islice(csv.DictReader(fh), limit))


class NoGrant(PermissionDenied):
    """Sample rows were asked for without a grant on the dataset."""


def sample_rows(
    user: User, dataset: Dataset, *, limit: int = 20, version: int | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Up to ``limit`` rows, every PII column masked. Never returns clear personal data.

    A sample is a query: it needs the grant a query needs (``access_for``), and shows only the
    columns and rows that grant covers. Without one it raises ``NoGrant`` (seeing a dataset in
    the catalogue is not a grant: a not-shared dataset is listed but never read).
    """
    access = access_for(user, dataset)
    if access is None:
        raise NoGrant(
            _("You have no grant for dataset %(key)s: request access to see its rows.")
            % {"key": dataset.key}
        )
    schema = TableSchema.from_dict(dataset.schema)
    names = list(access.columns)
    if version is not None and not dataset.versions.filter(version=version).exists():
        raise DatasetVersion.DoesNotExist(f"{dataset.key} has no version {version}.")
    table = open_table(dataset.key, version)
    if table is None or not names:
        return names, []
    files = table.file_uris()
    if not files:
        return names, []
    present = {f.name for f in table.schema().fields}
    file_list = "[" + ", ".join(literal(f) for f in files) + "]"
    cols = ", ".join(ident(n) if n in present else f"NULL AS {ident(n)}" for n in names)
    scope = "TRUE"
    if schema.region_field:
        scope = row_scope_sql(schema.region_field, access.row_prefixes)
    con = duckdb.connect()
    try:
        result = con.execute(
            f"SELECT {cols} FROM read_parquet({file_list}, union_by_name = true) WHERE {scope} "
            f"LIMIT {int(limit)}"
        )
        rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    finally:
        con.close()
    kinds = {n: k for n, k in schema.pii_fields().items() if n in names}
    for row in rows:
        for name, kind in kinds.items():
            value = row.get(name)
            row[name] = pii.mask(kind, str(value)) if value is not None else None
    return names, rows
