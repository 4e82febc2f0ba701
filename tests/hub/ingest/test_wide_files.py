"""Wide files (hundreds of columns) take the paths built for width and give the same results."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from hub.factories import compute_statistics, make_dataset
from shequ.hub.ingest import summary, validate
from shequ.hub.models import Category, DatasetVersion
from shequ.hub.services.catalog import infer_file_schema
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import open_table

COLUMNS = 80  # past validate.WIDE_FIELDS and summary.UNION_COLUMNS
KINDS = ("integer", "number", "date", "string")


def wide_file(path: Path) -> Path:
    """Messy cells among clean ones: spaces, full-width digits, 无, thousands separators."""
    header = [f"指标{c}" for c in range(COLUMNS)]
    rows = []
    for r in range(12):
        row = []
        for c in range(COLUMNS):
            kind = KINDS[c % 4]
            value = {
                "integer": str(r * c),
                "number": f"{r * c / 7:.2f}",
                "date": f"2024-03-{r % 28 + 1:02d}",
                "string": f"类别{(r + c) % 5}",
            }[kind]
            if r == 3 and kind == "integer":
                value = f" {r * c} "  # spaces around
            if r == 4 and kind != "string":
                value = "无"  # an empty mark
            if r == 5 and kind == "integer":
                value = "１２"  # full-width digits
            if r == 6 and kind == "number":
                value = "1,234.50"
            row.append(value)
        rows.append(row)
    rows[9][0] = "abc"  # so column 0 is text
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ingest_both_ways(
    category: Category, path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[list[dict[str, Any]], Any, dict[str, Any]]]:
    """The same file ingested by the wide paths, then by the narrow ones."""
    schema = infer_file_schema(path)
    assert [f.type for f in schema.fields[:4]] == ["string", "number", "date", "string"]
    assert [f.type for f in schema.fields[4:8]] == ["integer", "number", "date", "string"]
    name = schema.fields[4].name
    out = []
    for key, narrow in (("wide", False), ("narrow", True)):
        if narrow:  # the paths narrow tables take, for the same table
            monkeypatch.setattr(validate, "WIDE_FIELDS", 10_000)
            monkeypatch.setattr(summary, "UNION_COLUMNS", 10_000)
        dataset = make_dataset(category, key, schema.to_dict())
        run = ingest_file(dataset, path)
        compute_statistics()
        table = open_table(key)
        assert table is not None
        rows = sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: str(r[name]))
        stats = DatasetVersion.objects.get(dataset=dataset).stats
        out.append((rows, (run.status, run.rows_written, run.rows_rejected), stats))
    return out


def test_a_wide_file_is_typed_checked_and_summarised_as_a_narrow_one_would_be(
    category: Category, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = wide_file(tmp_path / "wide.csv")
    (wide_rows, wide_run, wide_stats), (rows, run, stats) = ingest_both_ways(
        category, path, monkeypatch
    )
    name = infer_file_schema(path).fields[4].name
    assert wide_run == run
    assert wide_rows == rows and wide_stats == stats
    assert stats["rows"] == 12 and len(stats["columns"]) == COLUMNS
    # Column 4 (指标4, an integer) read " 12 " and "１２" and "无" as 12, 20 and empty.
    values = sorted(r[name] for r in rows if r[name] is not None)
    assert values == sorted([r * 4 for r in range(12) if r not in (4, 5)] + [12])
