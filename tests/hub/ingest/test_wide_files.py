"""Wide files (hundreds of columns) take the paths built for width and give the same results."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from hub.factories import compute_statistics, make_dataset
from shequ.hub.ingest import summary, validate
from shequ.hub.ingest.readers import open_input
from shequ.hub.models import Category, DatasetVersion
from shequ.hub.services.catalog import infer_file_schema
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import open_table

COLUMNS = 80  # past validate.WIDE_FIELDS and summary.UNION_COLUMNS
PART_FIELDS = 30  # the wide path checks fields 0-29, 30-59 and 60-79 in parts
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
    category: Category,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    inferred_from: Path | None = None,
) -> list[tuple[list[dict[str, Any]], Any, dict[str, Any]]]:
    """The same file ingested by the wide paths, then by the narrow ones.

    Each gives its rows, (status, rows written, rows rejected, quarantine lines) and
    statistics; the schema is inferred from *inferred_from* (default: the file).
    """
    schema = infer_file_schema(inferred_from or path)
    assert [f.type for f in schema.fields[:4]] == ["string", "number", "date", "string"]
    assert [f.type for f in schema.fields[4:8]] == ["integer", "number", "date", "string"]
    name = schema.fields[4].name
    out = []
    monkeypatch.setattr(validate, "PART_FIELDS", PART_FIELDS)
    for key, narrow in (("wide", False), ("narrow", True)):
        if narrow:  # the paths narrow tables take, for the same table
            monkeypatch.setattr(validate, "WIDE_FIELDS", 10_000)
            monkeypatch.setattr(validate, "PART_FIELDS", 10_000)
            monkeypatch.setattr(summary, "UNION_COLUMNS", 10_000)
        dataset = make_dataset(category, key, schema.to_dict())
        run = ingest_file(dataset, path)
        compute_statistics()
        table = open_table(key)
        assert table is not None
        rows = sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: str(r[name]))
        stats = DatasetVersion.objects.get(dataset=dataset).stats
        quarantined = Path(run.quarantine).read_text("utf-8") if run.quarantine else ""
        counts = (run.status, run.rows_written, run.rows_rejected, quarantined)
        out.append((rows, counts, stats))
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


def test_rows_rejected_in_any_part_of_a_wide_file_give_the_narrow_reasons(
    category: Category, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Bad cells on both sides of a part's edge and in the last part: the same rejects."""
    settings.HUB_MAX_REJECT_RATE = 0.5
    clean = wide_file(tmp_path / "clean.csv")
    with clean.open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    # Data row n is lines[n]. Columns 29 (number) and 30 (date) sit on either side of the
    # first part's edge: row 2 fails both, and the first failed check (column 29) is its
    # reason; row 7 fails only 30, the first field of the second part; row 8 fails column
    # 72 (an integer, in the last part); row 10 fails 61 and 79, in the last part.
    bad = {(2, 29): "1,2,3", (2, 30): "2024-13-45", (7, 30): "不是日期", (8, 72): "7.5"}
    bad |= {(10, 61): "x1", (10, 79): "2024-02-30"}
    for (row, column), value in bad.items():
        lines[row][column] = value
    path = tmp_path / "rejects.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    (wide_rows, wide_run, wide_stats), (rows, run, stats) = ingest_both_ways(
        category, path, monkeypatch, inferred_from=clean
    )
    assert wide_run == run and wide_rows == rows and wide_stats == stats
    assert run[:3] == ("succeeded", 8, 4)
    reasons = [line.split(",", 2) for line in run[3].splitlines()[1:]]
    assert [(row, column) for row, column, _ in reasons] == [
        ('"2"', '"zhibiao_29"'),
        ('"7"', '"zhibiao_30"'),
        ('"8"', '"zhibiao_72"'),
        ('"10"', '"zhibiao_61"'),
    ]
    assert "a comma separates thousands only in groups of three" in reasons[0][2]


def test_a_wide_file_is_checked_in_parts(
    category: Category, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past PART_FIELDS fields the input is read once, then typed and checked in parts."""
    path = wide_file(tmp_path / "wide.csv")
    schema = infer_file_schema(path)
    monkeypatch.setattr(validate, "PART_FIELDS", PART_FIELDS)
    staged = open_input(path, workdir=tmp_path / "work", check=False)
    plan = validate.plan_columns(staged, schema, {})
    statements = validate.parts_sql(staged, schema, plan, zone="Asia/Shanghai")
    # The input read into a table, three parts, the input's table dropped.
    assert len(statements) == 5 and statements[0].startswith("CREATE OR REPLACE TEMP TABLE src")
    monkeypatch.setattr(validate, "PART_FIELDS", COLUMNS)
    assert validate.parts_sql(staged, schema, plan, zone="Asia/Shanghai") == []
