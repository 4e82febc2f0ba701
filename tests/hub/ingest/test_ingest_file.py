"""Ingesting a file into a dataset: bad input, quarantine, reject limits, column mapping, types.

Every case goes through ``services.runs.ingest_file`` and checks the run (status, error
text, counts), the quarantine file, and whether a Delta version was committed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from hub.factories import HEADER, PEOPLE_SCHEMA, make_dataset, person, quarantine, table_rows
from shequ.core import pii
from shequ.hub.ingest import readers_text
from shequ.hub.ingest.cells import fixed_offset_since
from shequ.hub.ingest.readers import open_input
from shequ.hub.ingest.validate import plan_columns
from shequ.hub.models import Category, Dataset, DatasetVersion, IngestRun, Source
from shequ.hub.services.runs import InputSpec, ingest_file
from shequ.hub.storage import open_table, staging_dir
from shequ.hub.tableschema import TableSchema

SUCCEEDED, FAILED = IngestRun.Status.SUCCEEDED, IngestRun.Status.FAILED
WriteCsv = Callable[..., Path]


def people_rows(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [person(i) for i in range(start, start + n)]


def assert_nothing_committed(dataset: Dataset, run: IngestRun) -> None:
    dataset.refresh_from_db()
    assert run.version is None
    assert open_table(dataset.key) is None
    assert dataset.version is None and dataset.row_count == 0
    assert not DatasetVersion.objects.filter(dataset=dataset).exists()


# --- a good file ---------------------------------------------------------------------------


def test_a_good_file_becomes_version_0_with_every_value_typed(
    people: Dataset, write_csv: WriteCsv
) -> None:
    born = date(1990, 3, 7)
    id_number = pii.make_id_number("110101", born, 12)
    path = write_csv("people.csv", [person(1, 身份证号=id_number, 出生日期="1990-03-07")])

    run = ingest_file(people, path)

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_read, run.rows_written, run.rows_rejected, run.version) == (1, 1, 0, 0)
    assert run.error == "" and run.quarantine == ""
    assert run.encoding == "utf-8" and len(run.file_hash) == 64
    assert table_rows("people") == [
        {
            "person_id": "P0001",
            "name": "张三",
            "id_number": id_number,
            "age": 21,
            "score": 1.5,
            "sex": "男",
            "born": born,
            "seen_at": datetime(2026, 10, 31, 0, 0, tzinfo=UTC),
            "active": True,
            "region_code": "990102001001",
        }
    ]
    people.refresh_from_db()
    assert (people.version, people.row_count) == (0, 1)
    phases = r"input opened|read, checked and written|keys checked|committed"
    timing = rf"time: (({phases}) [0-9]+\.[0-9]{{2}} s(; )?){{4}}"
    assert re.fullmatch(timing, run.log.splitlines()[-1]), run.log


# --- bad input: the whole file is refused ---------------------------------------------------


def test_an_empty_file_fails_saying_so_and_commits_nothing(people: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    run = ingest_file(people, path)

    assert run.status == FAILED
    assert run.error == "the file is empty"
    assert run.finished is not None
    assert_nothing_committed(people, run)


def test_a_file_with_only_a_header_fails_and_commits_nothing(
    people: Dataset, write_csv: WriteCsv
) -> None:
    run = ingest_file(people, write_csv("header.csv", []))

    assert run.status == FAILED
    assert "no data rows" in run.error and "nothing was committed" in run.error
    assert run.rows_read == 0
    assert_nothing_committed(people, run)


def test_undecodable_bytes_fail_naming_the_byte_offset_and_line(
    people: Dataset, write_csv: WriteCsv, tmp_path: Path
) -> None:
    good = write_csv("good.csv", people_rows(500)).read_bytes()
    path = tmp_path / "damaged.csv"
    path.write_bytes(good + b"P0999,\xff\xfe\xfa,,30,,,,,,990102001001\n")

    run = ingest_file(people, path)

    assert run.status == FAILED
    assert run.error.startswith(f"invalid UTF-8 bytes at byte {len(good) + 6} (line 502)")
    assert "ff" in run.error and "damaged or not UTF-8" in run.error
    assert_nothing_committed(people, run)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "人员编号,姓名\n".encode() + b"P0001,\xff\xfe\xfa\n",
            "invalid GB18030 bytes at byte 26 (line 2): ff (illegal multibyte sequence)",
        ),
        (
            (",".join(HEADER) + "\n" + ",".join(person(1).values()) + "\n").encode()
            + b"P0002,\xff\xfe\xfa,,1,,,,,,990102001001\n",
            "cannot tell the text encoding of the file (not UTF-8 or GB18030); "
            "pass the encoding explicitly",
        ),
    ],
)
def test_a_short_file_in_no_known_encoding_fails_saying_where_or_asking_for_it(
    people: Dataset, tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(data)

    run = ingest_file(people, path)

    assert run.status == FAILED
    assert run.error.startswith(message)
    assert_nothing_committed(people, run)


def test_a_gb18030_file_is_transcoded_and_noted(people: Dataset, write_csv: WriteCsv) -> None:
    run = ingest_file(people, write_csv("gbk.csv", people_rows(3), encoding="gb18030"))

    assert run.status == SUCCEEDED, run.error
    assert run.encoding == "gb18030"
    assert "transcoded from GB18030 to UTF-8" in run.log
    assert [r["name"] for r in table_rows("people")] == ["张三"] * 3


def test_a_semicolon_separated_file_is_sniffed_and_the_delimiter_noted(
    people: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "semicolon.csv"
    lines = [";".join(HEADER)] + [";".join(person(i).values()) for i in (1, 2)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = ingest_file(people, path)

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 2
    assert "delimiter ';'" in run.log


def test_a_wrong_delimiter_fails_naming_the_missing_columns_and_the_one_it_found(
    people: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "semicolon.csv"
    lines = [";".join(HEADER)] + [";".join(person(i).values()) for i in (1, 2)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = ingest_file(people, path, spec=InputSpec(delimiter=","))

    assert run.status == FAILED
    assert run.error.startswith("required column(s) missing: person_id (人员编号), name (姓名)")
    assert f"The input has: {';'.join(HEADER)}." in run.error
    assert "Check the delimiter" in run.error
    assert_nothing_committed(people, run)


def test_a_missing_required_column_fails_naming_it_and_listing_the_inputs_columns(
    people: Dataset, write_csv: WriteCsv
) -> None:
    header = [h for h in HEADER if h != "区划代码"]
    run = ingest_file(people, write_csv("no-region.csv", people_rows(3), header=header))

    assert run.status == FAILED
    assert run.error.startswith("required column(s) missing: region_code (区划代码).")
    assert "The input has: 人员编号, 姓名, 身份证号, 年龄" in run.error
    assert_nothing_committed(people, run)


def test_a_missing_optional_column_is_left_empty_with_a_note(
    people: Dataset, write_csv: WriteCsv
) -> None:
    header = [h for h in HEADER if h not in ("评分", "是否在册")]
    run = ingest_file(people, write_csv("fewer.csv", people_rows(2), header=header))

    assert run.status == SUCCEEDED, run.error
    assert "columns not in the input, left empty: score, active" in run.log
    assert {(r["score"], r["active"]) for r in table_rows("people")} == {(None, None)}


def test_extra_columns_are_ignored_with_a_note(people: Dataset, write_csv: WriteCsv) -> None:
    rows = [{**person(i), "备用字段": "x", "upstream_id": str(i)} for i in (1, 2)]
    run = ingest_file(people, write_csv("extra.csv", rows))

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 2
    assert "ignored columns not in the schema: 备用字段, upstream_id" in run.log
    assert set(table_rows("people")[0]) == {f["name"] for f in PEOPLE_SCHEMA["fields"]}


def test_a_row_with_too_few_fields_fails_naming_its_line(
    people: Dataset, write_csv: WriteCsv, tmp_path: Path
) -> None:
    text = write_csv("good.csv", people_rows(20)).read_text(encoding="utf-8")
    path = tmp_path / "ragged.csv"
    path.write_text(text + "P0099,张三,,30\n", encoding="utf-8")

    run = ingest_file(people, path)

    assert run.status == FAILED
    assert run.error.startswith("line 22 (data row 21) has 4 fields but the header has 10")
    assert_nothing_committed(people, run)


def test_a_truncated_xlsx_fails_as_damaged_and_commits_nothing(
    people: Dataset, tmp_path: Path
) -> None:
    whole = tmp_path / "people.xlsx"
    book = xlsxwriter.Workbook(str(whole))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for i in range(1, 500):
        sheet.write_row(i, 0, list(person(i).values()))
    book.close()
    data = whole.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) * 2 // 3])

    run = ingest_file(people, path)

    assert run.status == FAILED
    assert run.error.startswith("the XLSX file is damaged or truncated")
    assert_nothing_committed(people, run)


def test_an_xlsx_with_title_rows_ingests_with_spreadsheet_row_numbers(
    people: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "people.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("人员")
    sheet.write_row(0, 0, ["临江区望湖街道人员登记表"])
    sheet.write_row(2, 0, HEADER)
    for i in range(1, 101):
        sheet.write_row(2 + i, 0, list(person(i, 年龄="200" if i == 50 else str(i)).values()))
    book.close()

    run = ingest_file(people, path)

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_read, run.rows_written, run.rows_rejected) == (100, 99, 1)
    # Data row 50 sits on spreadsheet row 53 (title, blank line, header above it).
    assert quarantine(run) == [
        {"row": "53", "column": "age", "reason": "above the maximum 120: 200"}
    ]


# --- bad rows: quarantined, counted against the source's limit ------------------------------


def test_one_percent_bad_rows_commit_the_rest_and_quarantine_each_bad_row(
    people: Dataset, write_csv: WriteCsv
) -> None:
    rows = people_rows(200)
    rows[9]["年龄"] = "abc"
    rows[149]["性别"] = "未知"
    run = ingest_file(people, write_csv("one-percent.csv", rows))

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_read, run.rows_written, run.rows_rejected) == (200, 198, 2)
    assert run.version == 0
    assert quarantine(run) == [
        {"row": "10", "column": "age", "reason": "not a valid integer: abc"},
        {"row": "150", "column": "sex", "reason": "not one of the allowed values: 未知"},
    ]
    people.refresh_from_db()
    assert people.row_count == 198
    assert {r["person_id"] for r in table_rows("people")}.isdisjoint({"P0010", "P0150"})


def test_half_bad_rows_fail_commit_nothing_and_keep_the_quarantine_for_download(
    people: Dataset, write_csv: WriteCsv
) -> None:
    rows = [person(i, 年龄="-1" if i % 2 else str(i)) for i in range(1, 101)]
    run = ingest_file(people, write_csv("half.csv", rows))

    assert run.status == FAILED
    assert run.error.startswith("50 of 100 rows (50.0%) were rejected, above the limit of 5.0%")
    assert "nothing was committed" in run.error
    assert (run.rows_read, run.rows_written, run.rows_rejected) == (100, 0, 50)
    assert_nothing_committed(people, run)
    bad = quarantine(run)
    assert len(bad) == 50
    assert bad[:2] == [
        {"row": "1", "column": "age", "reason": "below the minimum 0: -1"},
        {"row": "3", "column": "age", "reason": "below the minimum 0: -1"},
    ]
    assert Path(run.quarantine).is_file()


def test_a_failed_run_leaves_the_previous_version_exactly_as_it_was(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("v0.csv", people_rows(10))).version == 0
    before = table_rows("people")

    rows = [person(i, 年龄="x" if i % 2 else "1") for i in range(11, 31)]
    run = ingest_file(people, write_csv("bad.csv", rows), mode="replace")

    assert run.status == FAILED
    assert open_table("people").version() == 0  # type: ignore[union-attr]
    assert table_rows("people") == before
    people.refresh_from_db()
    assert (people.version, people.row_count) == (0, 10)
    assert DatasetVersion.objects.filter(dataset=people).count() == 1


@pytest.mark.parametrize(
    ("source_limit", "setting", "bad", "status"),
    [
        (None, 0.05, 5, SUCCEEDED),  # 5 of 100 is at the default limit, not above it
        (None, 0.05, 6, FAILED),
        (None, 0.20, 15, SUCCEEDED),  # settings.HUB_MAX_REJECT_RATE without a source
        (0.0, 0.50, 1, FAILED),  # a source's own limit wins over the setting
        (0.5, 0.0, 40, SUCCEEDED),
    ],
)
def test_the_reject_limit_comes_from_the_source_or_the_setting(
    people: Dataset,
    write_csv: WriteCsv,
    make_source: Callable[..., Source],
    settings: Any,
    source_limit: float | None,
    setting: float,
    bad: int,
    status: str,
) -> None:
    settings.HUB_MAX_REJECT_RATE = setting
    source = None if source_limit is None else make_source(max_reject_rate=source_limit)
    rows = [person(i, 性别="?" if i <= bad else "男") for i in range(1, 101)]

    run = ingest_file(people, write_csv("rows.csv", rows), source=source)

    assert run.status == status, run.error
    assert run.rows_rejected == bad and len(quarantine(run)) == bad
    assert (open_table("people") is not None) == (status == SUCCEEDED)


def test_a_10_mb_field_is_quarantined_as_too_long(people: Dataset, write_csv: WriteCsv) -> None:
    rows = people_rows(100)
    rows[41]["评分"] = "9" * 10_000_000  # no maxLength: the platform's 64 KiB cell limit
    rows[42]["姓名"] = "张" * 10_000_000  # maxLength 20
    path = write_csv("huge-field.csv", rows)
    assert path.stat().st_size > 30_000_000

    run = ingest_file(people, path, source=None)

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected) == (98, 2)
    assert quarantine(run) == [
        {"row": "42", "column": "score", "reason": "longer than 65536 characters (10000000)"},
        {"row": "43", "column": "name", "reason": "longer than 20 characters (10000000)"},
    ]


def test_duplicate_primary_keys_keep_the_first_good_row_and_quarantine_the_rest(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    rows = [
        person(1, 姓名="第一"),
        person(2),
        person(1, 姓名="第二"),
        person(3, 年龄="999"),  # bad itself: not the "first good row" for P0003
        person(3, 姓名="第四"),
        person(3, 姓名="第五"),
        person(1, 姓名="第六"),
    ]
    source = make_source(max_reject_rate=0.9)

    run = ingest_file(people, write_csv("dupes.csv", rows), source=source)

    assert run.status == SUCCEEDED, run.error
    assert [(r["person_id"], r["name"]) for r in table_rows("people")] == [
        ("P0001", "第一"),
        ("P0002", "张三"),
        ("P0003", "第四"),
    ]
    assert quarantine(run) == [
        {"row": "3", "column": "person_id", "reason": "duplicate of row 1"},
        {"row": "4", "column": "age", "reason": "above the maximum 120: 999"},
        {"row": "6", "column": "person_id", "reason": "duplicate of row 5"},
        {"row": "7", "column": "person_id", "reason": "duplicate of row 1"},
    ]


def test_unique_values_are_checked_but_empty_ones_are_not_duplicates(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    id_number = pii.make_id_number("110101", date(1990, 1, 1), 7)
    rows = [person(1, 身份证号=id_number), person(2), person(3), person(4, 身份证号=id_number)]

    run = ingest_file(
        people, write_csv("unique.csv", rows), source=make_source(max_reject_rate=0.5)
    )

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 3
    assert quarantine(run) == [{"row": "4", "column": "id_number", "reason": "duplicate of row 1"}]


ORDERS_SCHEMA = {
    "primaryKey": ["order_no"],
    "fields": [
        {"name": "order_no", "type": "integer", "title": "单号"},
        {"name": "ticket", "type": "integer", "title": "票号", "constraints": {"unique": True}},
    ],
}


@pytest.mark.parametrize("sorted_check", [True, False], ids=["sorted-in-memory", "hash-aggregate"])
def test_repeated_integer_keys_are_found_whether_sorted_in_memory_or_aggregated(
    category: Category,
    write_csv: WriteCsv,
    make_source: Callable[..., Source],
    monkeypatch: pytest.MonkeyPatch,
    sorted_check: bool,
) -> None:
    from shequ.hub.ingest import commit as engine

    monkeypatch.setattr(engine, "SORT_CHECK_ROWS", 1_000_000 if sorted_check else 0)
    orders = make_dataset(category, "orders", ORDERS_SCHEMA)
    source = make_source(max_reject_rate=0.9)
    unique = [{"单号": n, "票号": -n} for n in (5, 3, 9, 1)]
    run = ingest_file(orders, write_csv("unique.csv", unique), source=source)
    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.quarantine) == (4, "")

    # Row 3 repeats row 1's key with another ticket (an exact repeat would be skipped).
    repeated = [{"单号": 7, "票号": ""}, {"单号": 8, "票号": 2}, {"单号": 7, "票号": 99}]
    repeated += [{"单号": 4, "票号": 2}, {"单号": 6, "票号": ""}]
    run = ingest_file(orders, write_csv("repeated.csv", repeated), source=source)

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 3
    assert quarantine(run) == [
        {"row": "3", "column": "order_no", "reason": "duplicate of row 1"},
        {"row": "4", "column": "ticket", "reason": "duplicate of row 2"},
    ]


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"人员编号": ""}, "person_id", "required value is empty"),
        ({"人员编号": "X12"}, "person_id", "does not match the pattern: X12"),
        ({"姓名": ""}, "name", "required value is empty"),
        ({"姓名": "名" * 21}, "name", "longer than 20 characters (21)"),
        ({"年龄": "1.5"}, "age", "not a valid integer: 1.5"),
        ({"年龄": "0x1F"}, "age", "not a valid integer: 0x1F"),
        ({"年龄": "121"}, "age", "above the maximum 120: 121"),
        ({"年龄": "-3"}, "age", "below the minimum 0: -3"),
        ({"评分": "高"}, "score", "not a valid number: 高"),
        ({"评分": "NaN"}, "score", "not a valid number: NaN"),
        ({"性别": "M"}, "sex", "not one of the allowed values: M"),
        ({"出生日期": "2026-02-30"}, "born", "not a valid date: 2026-02-30"),
        ({"登记时间": "昨天"}, "seen_at", "not a valid datetime: 昨天"),
        ({"是否在册": "也许"}, "active", "not a valid boolean: 也许"),
        ({"区划代码": ""}, "region_code", "required value is empty"),
        ({"区划代码": "9901"}, "region_code", "does not match the pattern: 9901"),
    ],
)
def test_each_check_quarantines_the_row_with_its_column_and_reason(
    people: Dataset,
    write_csv: WriteCsv,
    make_source: Callable[..., Source],
    change: dict[str, str],
    column: str,
    reason: str,
) -> None:
    rows = [person(1), person(2, **change), person(3)]

    run = ingest_file(people, write_csv("rows.csv", rows), source=make_source(max_reject_rate=0.5))

    assert run.status == SUCCEEDED, run.error
    assert quarantine(run) == [{"row": "2", "column": column, "reason": reason}]
    assert [r["person_id"] for r in table_rows("people")] == ["P0001", "P0003"]


# --- personal data ---------------------------------------------------------------------------


def test_quarantine_reasons_never_show_a_personal_value_in_clear(
    category: Category, write_csv: WriteCsv
) -> None:
    schema = {
        "primaryKey": ["code"],
        "fields": [
            {"name": "code"},
            {"name": "name", "title": "姓名", "pii": "name", "constraints": {"pattern": "[A-Z]+"}},
            {
                "name": "phone",
                "title": "手机号",
                "pii": "phone",
                "constraints": {"pattern": "1[3-9][0-9]{9}"},
            },
            {
                "name": "id_number",
                "title": "身份证号",
                "pii": "id_card",
                "constraints": {"enum": ["none allowed"]},
            },
        ],
    }
    dataset = make_dataset(category, "contacts", schema)
    id_number = pii.make_id_number("110101", date(1985, 6, 1), 3)
    rows = [
        {"code": "1", "姓名": "张三", "手机号": "13800138000", "身份证号": ""},
        {"code": "2", "姓名": "ABC", "手机号": "12345678901", "身份证号": ""},
        {"code": "3", "姓名": "ABC", "手机号": "13800138000", "身份证号": id_number},
    ]
    path = write_csv("contacts.csv", rows)
    source = Source.objects.create(
        dataset=dataset, name="s", tier="street", connector="file", max_reject_rate=1.0
    )

    run = ingest_file(dataset, path, source=source)

    reasons = {q["column"]: q["reason"] for q in quarantine(run)}
    assert reasons == {
        "name": "does not match the pattern: ***",
        "phone": "does not match the pattern: 12***01",
        "id_number": f"not one of the allowed values: {id_number[:2]}***{id_number[-2:]}",
    }
    text = Path(run.quarantine).read_text(encoding="utf-8")
    for clear in ("张三", "12345678901", id_number):
        assert clear not in text


# --- column mapping ----------------------------------------------------------------------------


def test_a_sources_saved_mapping_maps_a_renamed_upstream_column(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    rows = [{("户籍区划" if k == "区划代码" else k): v for k, v in person(1).items()}]
    path = write_csv("renamed.csv", rows)
    without = ingest_file(people, path)
    assert without.status == FAILED
    assert "region_code (区划代码)" in without.error and "户籍区划" in without.error

    source = make_source(column_map={"户籍区划": "region_code"})
    run = ingest_file(people, path, source=source)

    assert run.status == SUCCEEDED, run.error
    assert table_rows("people")[0]["region_code"] == "990102001001"


def test_columns_match_by_field_name_chinese_title_or_english_title_in_any_case(
    people: Dataset, write_csv: WriteCsv
) -> None:
    names = {"人员编号": "PERSON ID", "姓名": "name", "区划代码": " Region_Code "}
    rows = [{names.get(k, k): v for k, v in person(i).items()} for i in (1, 2)]
    staged_header = list(rows[0])

    run = ingest_file(people, write_csv("mixed.csv", rows))

    assert run.status == SUCCEEDED, run.error
    assert "ignored" not in run.log
    assert [r["person_id"] for r in table_rows("people")] == ["P0001", "P0002"]
    assert staged_header[0] == "PERSON ID"


def test_plan_columns_prefers_the_saved_mapping_over_a_title_match(
    write_csv: WriteCsv, tmp_path: Path
) -> None:
    rows = [{**person(1), "新区划": "990102001002"}]
    staged = open_input(write_csv("both.csv", rows), workdir=tmp_path / "w")
    schema = TableSchema.from_dict(PEOPLE_SCHEMA)

    plan = plan_columns(staged, schema, {"新区划": "region_code"})

    assert plan.sources["region_code"] == "新区划"
    assert plan.sources["person_id"] == "人员编号"
    assert plan.ignored == ["区划代码"]


# --- values --------------------------------------------------------------------------------------


def test_naive_times_are_read_as_shanghai_time_and_stored_in_utc(
    people: Dataset, write_csv: WriteCsv
) -> None:
    times = {
        1: "2026-10-31 08:00:00",
        2: "2026/10/31 08:00",
        3: "20261031080000",
        4: "2026-10-31T08:00:00+08:00",
        5: "2026-10-31T00:00:00Z",
        6: "2026-10-31",  # midnight in Shanghai
        7: "2026-10-31 23:30:00",  # already 1 November? no: 15:30 UTC on 31 October
    }
    rows = [person(i, 登记时间=t) for i, t in times.items()]

    run = ingest_file(people, write_csv("times.csv", rows))

    assert run.status == SUCCEEDED, run.error
    got = {r["person_id"]: r["seen_at"] for r in table_rows("people")}
    eight_utc = datetime(2026, 10, 31, 0, 0, tzinfo=UTC)
    assert [got[f"P000{i}"] for i in range(1, 6)] == [eight_utc] * 5
    assert got["P0006"] == datetime(2026, 10, 30, 16, 0, tzinfo=UTC)
    assert got["P0007"] == datetime(2026, 10, 31, 15, 30, tzinfo=UTC)


def test_appends_are_told_apart_by_hash_even_when_the_files_have_the_same_size(
    people: Dataset, write_csv: WriteCsv
) -> None:
    # The hash is computed beside the read and waited for early only when an earlier
    # run read as many bytes: then it decides whether the file is a repeat.
    first = write_csv("a.csv", people_rows(30))
    second = write_csv("b.csv", [person(i, 年龄="33") for i in range(31, 61)])
    assert first.stat().st_size == second.stat().st_size

    runs = [ingest_file(people, path, mode="append") for path in (first, second, first)]

    assert [r.status for r in runs] == [SUCCEEDED, SUCCEEDED, IngestRun.Status.SKIPPED]
    sha = [hashlib.sha256(path.read_bytes()).hexdigest() for path in (first, second, first)]
    assert [r.file_hash for r in runs] == sha
    assert f"was already ingested by run {runs[0].pk}" in runs[2].error
    assert len(table_rows("people")) == 60


def test_values_read_the_quick_way_are_read_as_the_full_reading_reads_them(
    people: Dataset, write_csv: WriteCsv
) -> None:
    # The common forms are read by cheap expressions, the rest by the full reading: the
    # two must agree, and the quick one must step aside where it would differ.
    forms = {
        1: ("1988-07-01 12:00:00", "7", "1e3"),  # Shanghai kept summer time then (UTC+9)
        2: ("1991-09-20 08:00:00", "007", " 2.5 "),  # after the last change: UTC+8
        3: ("2026-10-31 08:00:00", " 13 ", "-0"),
        4: (" 2026-10-31 08:00:00 ", "+14", "1,000.5"),
        5: ("2026-10-31 08:00:00.250", "   ", "   "),  # only spaces: empty
        6: ("2026-10-31 08:00:00", "12", "nan"),  # not a number: rejected
        7: ("2026-10-31 08:00:00", "1.5", "1"),  # not whole: rejected
    }
    rows = [person(i, 登记时间=t, 年龄=a, 评分=s) for i, (t, a, s) in forms.items()]
    rows += [person(i) for i in range(8, 48)]  # 2 rejects of 47 rows: under the 5 % limit

    run = ingest_file(people, write_csv("quick.csv", rows))

    assert run.status == SUCCEEDED, run.error
    got = {
        r["person_id"]: (r["seen_at"], r["age"], r["score"])
        for r in table_rows("people")
        if r["person_id"] <= "P0007"
    }
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    assert got == {
        "P0001": (at(1988, 7, 1, 3, 0), 7, 1000.0),
        "P0002": (at(1991, 9, 20, 0, 0), 7, 2.5),
        "P0003": (at(2026, 10, 31, 0, 0), 13, -0.0),
        "P0004": (at(2026, 10, 31, 0, 0), 14, 1000.5),
        "P0005": (at(2026, 10, 31, 0, 0, 0, 250000), None, None),
    }
    assert [(q["row"], q["column"], q["reason"]) for q in quarantine(run)] == [
        ("6", "score", "not a valid number: nan"),
        ("7", "age", "not a valid integer: 1.5"),
    ]


def test_a_zone_keeps_a_fixed_offset_only_after_its_last_change() -> None:
    assert fixed_offset_since("Asia/Shanghai") == (datetime(1991, 9, 17), 8 * 3600)
    assert fixed_offset_since("UTC") == (datetime(1900, 1, 1), 0)
    assert fixed_offset_since("Europe/Berlin") is None  # summer time every year


def test_local_times_in_a_zone_with_summer_time_follow_its_rules(
    people: Dataset, write_csv: WriteCsv, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    times = {1: "2026-07-01 12:00:00", 2: "2026-12-01 12:00:00"}
    rows = [person(i, 登记时间=t) for i, t in times.items()]

    run = ingest_file(people, write_csv("berlin.csv", rows))

    assert run.status == SUCCEEDED, run.error
    got = {r["person_id"]: r["seen_at"] for r in table_rows("people")}
    assert got == {
        "P0001": datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
        "P0002": datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
    }


def test_dates_booleans_and_numbers_in_the_forms_upstream_files_use(
    people: Dataset, write_csv: WriteCsv
) -> None:
    forms = [
        ("2026/10/31", "是", "1,000", "12"),
        ("2026年10月31日", "否", "2.5", "12.0"),
        ("20261031", "true", "-0.25", " 13 "),
        ("2026-10-31", "FALSE", "3", "+14"),
        ("2026.10.31", "1", "1e3", "0"),
        ("2026-10-31", "0", "", ""),
    ]
    rows = [
        person(i, 出生日期=d, 是否在册=b, 评分=s, 年龄=a)
        for i, (d, b, s, a) in enumerate(forms, start=1)
    ]

    run = ingest_file(people, write_csv("forms.csv", rows))

    assert run.status == SUCCEEDED, run.error
    got = [(r["born"], r["active"], r["score"], r["age"]) for r in table_rows("people")]
    day = date(2026, 10, 31)
    assert got == [
        (day, True, 1000.0, 12),
        (day, False, 2.5, 12),
        (day, True, -0.25, 13),
        (day, False, 3.0, 14),
        (day, True, 1000.0, 0),
        (day, False, None, None),
    ]


# --- large inputs: decoded as they are read -------------------------------------------------


def big_rows(n: int = 6000) -> list[dict[str, Any]]:
    """About 2 MB of rows: beyond the first megabyte that encodings are detected from."""
    return [{**person(i), "备用字段": "备注" * 100} for i in range(1, n + 1)]


def test_a_large_gb18030_file_is_transcoded_by_a_process_while_duckdb_reads_it(
    people: Dataset, write_csv: WriteCsv
) -> None:
    path = write_csv("big-gb.csv", big_rows(), encoding="gb18030")
    assert path.stat().st_size > 1.5 * 2**20

    run = ingest_file(people, path)

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_read, run.rows_written, run.encoding) == (6000, 6000, "gb18030")
    assert "transcoded from GB18030 to UTF-8" in run.log
    rows = table_rows("people")
    assert {r["name"] for r in rows} == {"张三"} and rows[-1]["person_id"] == "P6000"
    assert not list(staging_dir("people").glob("*/*")), "the run's staging folder is left"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_bad_bytes_late_in_a_large_file_fail_naming_the_byte_and_line(
    people: Dataset, write_csv: WriteCsv, tmp_path: Path, encoding: str
) -> None:
    good = write_csv("good.csv", big_rows(), encoding=encoding).read_bytes()
    path = tmp_path / "damaged.csv"
    path.write_bytes(good + b"P6001,\xff\xfe\xfa,,30,,,,,,990102001001,x\n")

    run = ingest_file(people, path)

    label = {"utf-8": "UTF-8", "gb18030": "GB18030"}[encoding]
    assert run.status == FAILED
    assert run.error.startswith(f"invalid {label} bytes at byte {len(good) + 6} (line 6002)")
    assert f"damaged or not {label}" in run.error
    assert_nothing_committed(people, run)
    assert not list(staging_dir("people").glob("*/*"))


def test_invalid_utf8_in_a_column_the_schema_ignores_still_fails(
    people: Dataset, write_csv: WriteCsv, tmp_path: Path
) -> None:
    good = write_csv("good.csv", big_rows()).read_bytes()
    path = tmp_path / "damaged.csv"
    line = ",".join(person(6001).values()).encode() + b",\xff\xfe\n"
    path.write_bytes(good + line)

    run = ingest_file(people, path)

    assert run.status == FAILED
    at = len(good) + len(line) - 3
    assert run.error.startswith(f"invalid UTF-8 bytes at byte {at} (line 6002)"), run.error
    assert_nothing_committed(people, run)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_read_in_parallel_parts_keeps_row_numbers_of_the_whole_file(
    people: Dataset,
    write_csv: WriteCsv,
    make_source: Callable[..., Source],
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    monkeypatch.setattr(readers_text, "SPLIT_MIN_BYTES", 100_000)  # split even this file
    rows = big_rows(2000)
    rows[1499]["年龄"] = "abc"  # in the second part
    rows[1799]["人员编号"] = "P0010"  # a duplicate, across parts, of row 10
    rows[1899]["备用字段"] = '多行\n"引号"'  # a quoted line break (split points avoid it)
    path = write_csv("parts.csv", rows, encoding=encoding)
    splits = readers_text.split_points(path, encoding, path.stat().st_size)
    assert len(splits) == 3 and splits[1] < len(path.read_bytes()) // 2 + 2000

    run = ingest_file(people, path, source=make_source(max_reject_rate=0.5))

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_read, run.rows_written, run.rows_rejected) == (2000, 1998, 2)
    assert quarantine(run) == [
        {"row": "1500", "column": "age", "reason": "not a valid integer: abc"},
        {"row": "1800", "column": "person_id", "reason": "duplicate of row 10"},
    ]
    assert len(table_rows("people")) == 1998


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_long_rows_at_the_ends_of_parts_are_all_read(
    people: Dataset,
    write_csv: WriteCsv,
    make_source: Callable[..., Source],
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    """Regression guard: DuckDB once dropped a long last row of a piped part without a word."""
    monkeypatch.setattr(readers_text, "SPLIT_MIN_BYTES", 100_000)
    rows = big_rows(600)
    for n in range(99, 600, 100):  # six rows of about 4 MB, some near the part boundaries
        rows[n]["备用字段"] = "长" * 2_000_000
    rows[-1]["备用字段"] = "尾" * 2_000_000  # and the very last row
    path = write_csv("long-rows.csv", rows, encoding=encoding)
    assert len(readers_text.split_points(path, encoding, path.stat().st_size)) >= 3

    run = ingest_file(people, path, source=make_source(max_reject_rate=0.5))

    assert run.status == SUCCEEDED, run.error
    assert run.rows_read == 600
    assert len(table_rows("people")) + run.rows_rejected == 600
