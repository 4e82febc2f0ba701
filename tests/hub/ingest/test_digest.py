"""A dataset without a key: the same rows in other bytes are recognised by their content."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from hub.factories import make_dataset
from shequ.hub.models import Category, Dataset, DatasetVersion, IngestRun
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import open_table

SKIPPED, SUCCEEDED = IngestRun.Status.SKIPPED, IngestRun.Status.SUCCEEDED
# Gate records: no primary key, no unique field (the same car passes many times).
GATE_SCHEMA = {
    "fields": [
        {"name": "plate", "title": "号牌号码", "pii": "plate", "grade": "important"},
        {"name": "passed_at", "type": "datetime", "title": "通过时间"},
        {"name": "gate", "title": "道闸"},
        {"name": "fee", "type": "number", "title": "收费金额"},
        {"name": "day", "type": "date", "title": "日期"},
    ]
}
HEADER = ["号牌号码", "通过时间", "道闸", "收费金额", "日期"]
ROWS = [
    ["浙A88302", "2026-10-31 08:00:00", "东门岗亭", "5", "2026-10-31"],
    ["浙B12345", "2026-10-31 08:05:00", "东门岗亭", "0", "2026-10-31"],
    ["浙A88302", "2026-10-31 18:30:00", "西门，\n临时通道", "12.5", "2026-10-31"],
    ["浙C00001", "2026-10-31 19:00:00", "西门", "", "2026-10-31"],
]


@pytest.fixture
def gates(db: None) -> Dataset:
    category = Category.objects.create(key="test", name="测试", name_en="Test")
    return make_dataset(category, "gates", GATE_SCHEMA)


def write(path: Path, rows: list[list[str]], *, encoding: str, **dialect: object) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, **dialect)  # type: ignore[arg-type]
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def test_the_same_table_in_gb18030_after_utf8_is_recognised_by_content_and_skipped(
    gates: Dataset, tmp_path: Path
) -> None:
    utf8 = write(tmp_path / "gates.csv", ROWS, encoding="utf-8", lineterminator="\n")
    # Saved again by another program: GB18030, every cell quoted, CRLF, the rows reversed,
    # and the fee written 5.00 rather than 5 (the same stored number).
    again_rows = [list(r) for r in reversed(ROWS)]
    again_rows[-1][3] = "5.00"
    gb = write(
        tmp_path / "gates (GBK).csv",
        again_rows,
        encoding="gb18030",
        lineterminator="\r\n",
        quoting=csv.QUOTE_ALL,
    )
    assert utf8.read_bytes() != gb.read_bytes()

    first = ingest_file(gates, utf8)
    second = ingest_file(gates, gb)

    assert first.status == SUCCEEDED and first.rows_written == 4
    assert first.content_digest and second.content_digest == first.content_digest
    assert second.status == SKIPPED, second.error
    assert second.encoding == "gb18030" and second.file_hash != first.file_hash
    assert "recognised by content" in second.error
    assert f"already ingested by run {first.pk} into version 0" in second.error
    assert second.version is None and second.rows_read == 4
    assert open_table("gates").version() == 0  # type: ignore[union-attr]
    assert open_table("gates").to_pyarrow_table().num_rows == 4  # type: ignore[union-attr]
    assert DatasetVersion.objects.filter(dataset=gates).count() == 1


def test_other_content_is_appended_and_a_replace_forgets_earlier_content(
    gates: Dataset, tmp_path: Path
) -> None:
    base = write(tmp_path / "a.csv", ROWS, encoding="utf-8")
    changed = [list(r) for r in ROWS]
    changed[1][3] = "1"  # one fee differs
    other = write(tmp_path / "b.csv", changed, encoding="gb18030")
    twice = write(tmp_path / "c.csv", ROWS + ROWS, encoding="gb18030")  # the rows twice

    assert ingest_file(gates, base).status == SUCCEEDED
    assert ingest_file(gates, other).status == SUCCEEDED
    assert ingest_file(gates, twice).status == SUCCEEDED
    assert (
        ingest_file(gates, write(tmp_path / "d.csv", changed, encoding="utf-8")).status == SKIPPED
    )
    # After a replace the table no longer holds a's rows: appending them again is right.
    assert ingest_file(gates, other, mode="replace").status == SUCCEEDED
    assert ingest_file(gates, write(tmp_path / "e.csv", ROWS, encoding="gb18030")).status == (
        SUCCEEDED
    )
