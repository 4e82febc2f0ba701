"""Wide files (hundreds of columns) take the paths built for width and give the same results."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hub.factories import compute_statistics, make_dataset
from shequ.hub.ingest import summary, validate
from shequ.hub.ingest.readers import open_input
from shequ.hub.models import Category, DatasetVersion
from shequ.hub.services.catalog import infer_file_schema
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import open_table
from shequ.hub.tableschema import TableSchema

COLUMNS = 80  # past validate.WIDE_FIELDS and summary.UNION_COLUMNS
PART_FIELDS = 30  # the wide path checks fields 0-29, 30-59 and 60-79 in parts
KINDS = ("integer", "number", "date", "string")
CLEAN_FROM = 40  # columns 40-79 hold only values in their plain form


def wide_file(path: Path) -> Path:
    """Messy cells among clean ones: spaces, full-width digits, 无, thousands separators.

    The columns from ``CLEAN_FROM`` on have none, so the pre-pass types them cheaply.
    """
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
            if c >= CLEAN_FROM:
                pass
            elif r == 3 and kind == "integer":
                value = f" {r * c} "  # spaces around
            elif r == 4 and kind != "string":
                value = "无"  # an empty mark
            elif r == 5 and kind == "integer":
                value = "１２"  # full-width digits
            elif r == 6 and kind == "number":
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
    monkeypatch.setattr(validate, "CLEAN_PASS_CELLS", 0)  # every field read in full
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
    prepare = validate.prepare_parts(staged, schema, plan, zone="Asia/Shanghai")
    assert prepare is not None
    with duckdb.connect() as con:
        prepare(con)
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        con.execute(f"CREATE TEMP TABLE src AS {staged.select_sql}")
        clean = validate.clean_fields(con, schema, plan, zone="Asia/Shanghai", year_start=None)
    # Three parts; the input's table is dropped.
    assert sorted(name for (name,) in tables) == ["p0", "p1", "p2"]
    # The plain columns, and the text ones among the messy (whose text is never messy);
    # not 49 and 77, whole numbers written "7.00": integers, which "7.00" is not plainly.
    assert [schema.fields[c].type for c in (49, 77)] == ["integer", "integer"]
    assert clean == {c for c in range(COLUMNS) if c >= CLEAN_FROM or c % 4 == 3} - {49, 77}
    monkeypatch.setattr(validate, "PART_FIELDS", COLUMNS)
    assert validate.prepare_parts(staged, schema, plan, zone="Asia/Shanghai") is None


def test_only_fields_whose_every_value_reads_as_it_came_skip_the_full_reading(
    tmp_path: Path,
) -> None:
    """The pre-pass of a wide input: one value that needs trimming or a check is enough."""
    columns = {
        "plain_int": ["1", "22", "", "333"],
        "spaced_int": ["1", " 22", "3", "4"],
        "marked_int": ["1", "无", "3", "4"],
        "grouped_int": ["1", "1,234", "3", "4"],
        "plain_number": ["1.5", "2", "", "-3.25"],
        "plain_date": ["2024-01-02", "2024-12-31", "", "2025-02-28"],
        "two_digit_year": ["2024-01-02", "24-12-31", "2024-01-03", "2024-01-04"],
        "plain_text": ["甲", "乙", "", "丙"],
        "spaced_text": ["甲", "乙 ", "丙", "丁"],
        "marked_text": ["甲", "--", "丙", "丁"],
        "phone": ["13800138000", "13900139000", "13700137000", "13600136000"],
    }
    kinds = ["integer"] * 4 + ["number", "date", "date"] + ["string"] * 4
    path = tmp_path / "mixed.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(zip(*columns.values(), strict=True))
    fields = [
        {"name": name, "type": kind} | ({"pii": "phone"} if name == "phone" else {})
        for name, kind in zip(columns, kinds, strict=True)
    ]
    schema = TableSchema.from_dict({"fields": fields})
    staged = open_input(path, workdir=tmp_path / "work", check=False)
    plan = validate.plan_columns(staged, schema, {})
    with duckdb.connect() as con:
        con.execute(f"CREATE TEMP TABLE src AS {staged.select_sql}")
        clean = validate.clean_fields(con, schema, plan, zone="Asia/Shanghai", year_start=None)
    assert sorted(schema.fields[i].name for i in clean) == [
        "plain_date",
        "plain_int",
        "plain_number",
        "plain_text",
    ]
