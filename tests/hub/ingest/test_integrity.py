"""Ingest integrity (issue 15): a value is stored as what it means, or its row is quarantined
with the reason; never a plausible wrong value, never silently.

Each case is built from a file like the messy ones a street office receives.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from hub.factories import make_dataset, person, quarantine, table_rows
from shequ.core import pii
from shequ.hub.models import Dataset, IngestRun, Source
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import open_table

SUCCEEDED, FAILED = IngestRun.Status.SUCCEEDED, IngestRun.Status.FAILED
WriteCsv = Callable[..., Path]


def people_rows(n: int, start: int = 1, **changes: Any) -> list[dict[str, Any]]:
    return [person(i, **changes) for i in range(start, start + n)]


# --- keys are unique across the whole table ---------------------------------------------------


def test_an_append_repeating_keys_the_table_holds_quarantines_those_rows(
    people: Dataset, write_csv: WriteCsv
) -> None:
    first = ingest_file(people, write_csv("a.csv", people_rows(995)))
    assert first.status == SUCCEEDED, first.error
    # The next delivery: 20 new people, and one already delivered (with another age).
    rows = [*people_rows(20, start=996), person(7, 年龄="55")]

    run = ingest_file(people, write_csv("b.csv", rows), mode="append")

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected) == (20, 1)
    assert quarantine(run) == [
        {"row": "21", "column": "person_id", "reason": "already in the table"}
    ]
    assert "1 rows repeat a key the table already holds" in run.log
    ids = [r["person_id"] for r in table_rows("people")]
    assert len(ids) == len(set(ids)) == 1015
    assert next(r for r in table_rows("people") if r["person_id"] == "P0007")["age"] == 27


def test_an_append_of_rows_the_table_holds_fails_saying_why(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("a.csv", people_rows(995))).status == SUCCEEDED
    # 1,015 rows, 995 of them with keys already loaded (re-exported with other scores).
    rows = people_rows(995, 评分="9.75") + people_rows(20, start=996)

    run = ingest_file(people, write_csv("again.csv", rows), mode="append")

    assert run.status == FAILED
    assert "995 of 1015 rows" in run.error
    assert "995 rows repeat a key the table already holds" in run.error
    assert "upsert" in run.error
    assert len(table_rows("people")) == 995


def test_an_upsert_replaces_the_rows_the_table_holds_and_never_duplicates(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("a.csv", people_rows(995))).status == SUCCEEDED
    rows = people_rows(995, 年龄="40") + people_rows(20, start=996)

    run = ingest_file(people, write_csv("again.csv", rows), mode="upsert")

    assert run.status == SUCCEEDED, run.error
    got = table_rows("people")
    assert len(got) == len({r["person_id"] for r in got}) == 1015
    assert {r["age"] for r in got if r["person_id"] <= "P0995"} == {40}


def test_a_unique_field_may_not_repeat_a_value_held_by_another_row(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    id1 = pii.make_id_number("110101", date(1990, 1, 1), 7)
    id2 = pii.make_id_number("110101", date(1990, 1, 1), 9)
    source = make_source(max_reject_rate=0.5)
    first = ingest_file(
        people,
        write_csv("a.csv", [person(1, 身份证号=id1), person(2, 身份证号=id2)]),
        source=source,
    )
    assert first.status == SUCCEEDED, first.error

    # Append: P0003 carries P0001's ID number.
    run = ingest_file(
        people,
        write_csv("b.csv", [person(3, 身份证号=id1), person(4)]),
        mode="append",
        source=source,
    )
    assert run.status == SUCCEEDED, run.error
    assert quarantine(run) == [
        {"row": "1", "column": "id_number", "reason": "already in the table"}
    ]

    # Upsert: P0001 may keep its own number; P0004 may not take P0002's.
    run = ingest_file(
        people,
        write_csv("c.csv", [person(1, 身份证号=id1, 年龄="60"), person(4, 身份证号=id2)]),
        mode="upsert",
        source=source,
    )
    assert run.status == SUCCEEDED, run.error
    assert quarantine(run) == [
        {"row": "2", "column": "id_number", "reason": "already in the table in another row"}
    ]
    got = {r["person_id"]: (r["id_number"], r["age"]) for r in table_rows("people")}
    assert got["P0001"] == (id1, 60) and got["P0002"][0] == id2 and got["P0004"][0] is None


def test_a_replace_does_not_check_keys_against_the_rows_it_drops(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("a.csv", people_rows(30))).status == SUCCEEDED

    run = ingest_file(people, write_csv("b.csv", people_rows(30, 年龄="33")), mode="replace")

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected) == (30, 0)
    assert {r["age"] for r in table_rows("people")} == {33}


# --- values stored wrong without a word --------------------------------------------------------


def test_two_digit_years_are_refused_as_ambiguous(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    rows = [person(1, 出生日期="85-07-12"), person(2, 登记时间="24-03-05 08:30"), person(3)]

    run = ingest_file(people, write_csv("yy.csv", rows), source=make_source(max_reject_rate=0.9))

    assert run.status == SUCCEEDED, run.error
    assert [(q["row"], q["column"], q["reason"]) for q in quarantine(run)] == [
        (
            "1",
            "born",
            "not a valid date: a two-digit year is ambiguous (the source may declare the "
            "century): 85-07-12",
        ),
        (
            "2",
            "seen_at",
            "not a valid datetime: a two-digit year is ambiguous (the source may declare the "
            "century): 24-03-05 08:30",
        ),
    ]
    assert [r["person_id"] for r in table_rows("people")] == ["P0003"]


def test_a_source_declaring_the_century_reads_two_digit_years_in_it(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    rows = [person(1, 出生日期="85-07-12"), person(2, 登记时间="24-03-05 08:30")]
    source = make_source(config={"two_digit_year_start": 1950})

    run = ingest_file(people, write_csv("yy.csv", rows), source=source)

    assert run.status == SUCCEEDED, run.error
    got = {r["person_id"]: (r["born"], r["seen_at"]) for r in table_rows("people")}
    assert got["P0001"][0] == date(1985, 7, 12)
    assert got["P0002"][1] == datetime(2024, 3, 5, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


def test_a_comma_separates_thousands_only_in_groups_of_three(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    comma = "a comma separates thousands only in groups of three digits before the decimal point"
    rows = [
        person(1, 评分="1.234,50"),
        person(2, 评分="3,5"),
        person(3, 评分="1,2,3"),
        person(4, 年龄="1,2"),
        person(5, 评分="3_5"),
        person(6, 评分="1,234.50", 年龄="1,0"),
        person(7, 评分="12,345,678"),
        person(8, 评分="-1,000"),
    ]

    run = ingest_file(people, write_csv("n.csv", rows), source=make_source(max_reject_rate=0.9))

    assert run.status == SUCCEEDED, run.error
    assert [(q["row"], q["column"], q["reason"]) for q in quarantine(run)] == [
        ("1", "score", f"not a valid number: {comma}: 1.234,50"),
        ("2", "score", f"not a valid number: {comma}: 3,5"),
        ("3", "score", f"not a valid number: {comma}: 1,2,3"),
        ("4", "age", f"not a valid integer: {comma}: 1,2"),
        ("5", "score", "not a valid number: 3_5"),
        ("6", "age", f"not a valid integer: {comma}: 1,0"),
    ]
    assert [r["score"] for r in table_rows("people")] == [12345678.0, -1000.0]


def _xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, value)
    book.close()
    return path


def test_id_numbers_a_spreadsheet_stored_as_numbers_are_quarantined_not_invented(
    people: Dataset, tmp_path: Path, make_source: Callable[..., Source]
) -> None:
    ids = [pii.make_id_number("110101", date(1990, 1, 1), n) for n in range(1, 30)]
    ids = [i for i in ids if i[17] != "X"][:4]
    region = "990102001001"
    rows: list[list[Any]] = [
        ["P0001", "张三", int(ids[0]), "30", region],  # a number cell: a float in the file
        ["P0002", "李四", ids[1], "31", region],
        ["P0003", "王五", float(ids[2]), "32", region],
        ["P0004", "赵六", ids[3], "1.1e+17", region],
    ]
    header = ["人员编号", "姓名", "身份证号", "年龄", "区划代码"]
    path = _xlsx(tmp_path / "ids.xlsx", header, rows)

    run = ingest_file(people, path, source=make_source(max_reject_rate=0.9))

    assert run.status == SUCCEEDED, run.error
    lost = (
        "a spreadsheet number in scientific notation, not an exact value: its last digits are "
        "lost (keep the column as text in the spreadsheet): "
    )
    got = [(q["row"], q["column"], q["reason"]) for q in quarantine(run)]
    assert [(r, c) for r, c, _ in got] == [("2", "id_number"), ("4", "id_number"), ("5", "age")]
    assert all(reason.startswith(lost) for _, _, reason in got)
    assert "1101" not in got[0][2]  # masked
    assert [(r["person_id"], r["id_number"]) for r in table_rows("people")] == [("P0002", ids[1])]


def test_id_numbers_are_checked_by_gb_11643_and_the_old_15_digit_form_explicitly(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    good = pii.make_id_number("330106", date(1985, 7, 12), 123)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        person(1, 身份证号=good),
        person(2, 身份证号=wrong),
        person(3, 身份证号="330106198502301234"),  # 30 February
        person(4, 身份证号="000106198507121234"),  # no province 00
        person(5, 身份证号="33010685071212"),  # 14 digits
        person(6, 身份证号="330106850712123"),  # the 15-digit form, born 1985-07-12
        person(7, 身份证号="330106853012123"),  # 15 digits, month 30
    ]

    run = ingest_file(people, write_csv("id.csv", rows), source=make_source(max_reject_rate=0.9))

    assert run.status == SUCCEEDED, run.error
    reasons = {q["row"]: q["reason"].split(": ")[:2] for q in quarantine(run)}
    assert reasons == {
        "2": ["not an ID number", "wrong check digit (GB 11643)"],
        "3": ["not an ID number", "the birth date in it is not a real date"],
        "4": ["not an ID number", "the address code does not start with a province"],
        "5": [
            "not an ID number (17 digits and a digit or X, or the 15 digits of the form "
            "before 1999)",
            "33***12",
        ],
        "7": ["not an ID number", "the birth date in it is not a real date"],
    }
    assert {r["person_id"]: r["id_number"] for r in table_rows("people")} == {
        "P0001": good,
        "P0006": "330106850712123",
    }
    assert all(good not in q["reason"] and wrong not in q["reason"] for q in quarantine(run))


def _withdrawn_xlsx(path: Path) -> Path:
    """Rows 3 and 5 hidden (withdrawn records), and a formula column never computed."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, ["人员编号", "姓名", "年龄", "评分", "区划代码"])
    for i in range(1, 6):
        sheet.write_row(i, 0, [f"P{i:04d}", "张三", str(20 + i)])
        sheet.write_formula(i, 3, f"=C{i + 1}/10", None, "")  # no saved value
        sheet.write_string(i, 4, "990102001001")
    for hidden in (2, 4):
        sheet.set_row(hidden, None, None, {"hidden": True})
    book.close()
    return path


def test_hidden_rows_and_formulas_without_values_are_said_and_hidden_rows_can_be_skipped(
    people: Dataset, tmp_path: Path, make_source: Callable[..., Source]
) -> None:
    path = _withdrawn_xlsx(tmp_path / "withdrawn.xlsx")

    run = ingest_file(people, path)

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 5
    assert (
        "2 hidden row(s) loaded like the others: 3, 5 "
        "(the source option skip_hidden_rows leaves them out)" in run.log
    )
    assert "column D (评分): 5 formula cell(s) without a saved value, read as empty" in run.log

    source = make_source(config={"skip_hidden_rows": True}, dataset=people)
    run = ingest_file(people, path, mode="replace", source=source)

    assert run.status == SUCCEEDED, run.error
    assert "left out 2 hidden row(s): 3, 5" in run.log
    assert [r["person_id"] for r in table_rows("people")] == ["P0001", "P0003", "P0005"]


# --- Chinese cleaning before typing ------------------------------------------------------------

RESIDENTS_SCHEMA: dict[str, Any] = {
    "primaryKey": ["code"],
    "fields": [
        {"name": "code", "title": "编号"},
        {"name": "name", "title": "姓名", "pii": "name"},
        {
            "name": "id_number",
            "title": "公民身份号码",
            "pii": "id_card",
            "constraints": {"pattern": "^\\d{17}[\\dX]$"},
        },
        {
            "name": "phone",
            "title": "联系电话",
            "pii": "phone",
            "constraints": {"pattern": "^(1\\d{10}|0\\d{2,3}-?\\d{7,8})$"},
        },
        {"name": "plate", "title": "号牌号码", "pii": "plate"},
        {"name": "count", "type": "integer", "title": "人数"},
        {"name": "amount", "type": "number", "title": "金额"},
        {"name": "day", "type": "date", "title": "登记日期"},
        {"name": "at", "type": "datetime", "title": "核查时间"},
        {"name": "region_code", "title": "区划代码", "constraints": {"pattern": "^\\d{12}$"}},
    ],
}
RESIDENTS_HEADER = ["编号", "姓名", "公民身份号码", "联系电话", "号牌号码", "人数", "金额"]
RESIDENTS_HEADER += ["登记日期", "核查时间", "区划代码"]


def _write_lines(path: Path, lines: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(lines)
    return path


def test_chinese_values_are_cleaned_before_typing_and_totals_and_footers_dropped(
    category: Any, tmp_path: Path
) -> None:
    residents = make_dataset(category, "residents", RESIDENTS_SCHEMA)
    id_x = "33010619850712005x"  # lower-case x
    lines = [
        RESIDENTS_HEADER,
        ["R1", "张三", id_x, "+86 138-1234-5678", "浙a·88302", "１２", "１,２３４.５",
         "20210305", "2024年3月5日 8时30分", "９９０１０２００１００１"],
        ["R2", "李四", "", "86 13812345679", "浙Ａ８８３０２", "-", "无",
         "45356", "2024-03-05 下午3:30", "990102001001"],
        ["R3", "王五", "", "138 1234 5680", "", "/", "—",
         "—", "2024/3/5 上午12:10", "990102001001"],
        ["R4", "赵六", "", "", "", "", "",
         "2024年3月5日", "45356.5", "990102001001"],
        ["合  计", "", "", "", "", "16", "1234.5", "", "", ""],
        ["制表人：王五", "", "", "", "", "", "", "", "", ""],
        ["", "填报单位：某街道", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    path = _write_lines(tmp_path / "residents.csv", lines)

    run = ingest_file(residents, path)

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected, run.quarantine) == (4, 0, "")
    assert "dropped totals row 5" in run.log.splitlines()
    assert "dropped footer row 6" in run.log.splitlines()
    assert "dropped footer row 7" in run.log.splitlines()
    table = open_table("residents")
    assert table is not None
    got = {r["code"]: r for r in table.to_pyarrow_table().to_pylist()}
    assert got["R1"]["id_number"] == "33010619850712005X"
    assert [got[c]["phone"] for c in ("R1", "R2", "R3", "R4")] == [
        "13812345678",
        "13812345679",
        "13812345680",
        None,
    ]
    assert [got[c]["plate"] for c in ("R1", "R2", "R3")] == ["浙A88302", "浙A88302", None]
    assert [(got[c]["count"], got[c]["amount"]) for c in ("R1", "R2", "R3")] == [
        (12, 1234.5),
        (None, None),
        (None, None),
    ]
    assert [got[c]["day"] for c in ("R1", "R2", "R3", "R4")] == [
        date(2021, 3, 5),
        date(2024, 3, 5),
        None,
        date(2024, 3, 5),
    ]
    assert [got[c]["at"] for c in ("R1", "R2", "R3", "R4")] == [
        datetime(2024, 3, 5, 0, 30, tzinfo=UTC),  # 08:30 in Shanghai
        datetime(2024, 3, 5, 7, 30, tzinfo=UTC),  # 下午3:30
        datetime(2024, 3, 4, 16, 10, tzinfo=UTC),  # 上午12:10 is ten past midnight
        datetime(2024, 3, 5, 4, 0, tzinfo=UTC),  # Excel serial 45356.5: noon
    ]
    assert got["R1"]["region_code"] == "990102001001"


def test_what_cleaning_cannot_make_right_is_still_quarantined(
    category: Any, tmp_path: Path
) -> None:
    residents = make_dataset(category, "residents", RESIDENTS_SCHEMA)
    base = ["张三", "", "", "", "", "", "", "", "990102001001"]
    rows = [
        ["R1", *base],
        ["R2", "张三", "", "+86 138-1234-567", *base[3:]],  # a digit short
        ["R3", "张三", "", "", "", "", "", "2024", *base[7:]],  # a year is not a serial
        ["R4", "张三", "", "", "", "", "", "", "2024-03-05 下午13:30", "990102001001"],
        ["R5", *base],
    ]
    path = _write_lines(tmp_path / "bad.csv", [RESIDENTS_HEADER, *rows])
    source = Source.objects.create(
        dataset=residents, name="x", tier="district", connector="file", max_reject_rate=0.9
    )

    run = ingest_file(residents, path, source=source)

    assert run.status == SUCCEEDED, run.error
    assert [(q["row"], q["column"]) for q in quarantine(run)] == [
        ("2", "phone"),
        ("3", "day"),
        ("4", "at"),
    ]
    assert "does not match the pattern" in quarantine(run)[0]["reason"]
    assert "5678" not in quarantine(run)[0]["reason"] and "567" not in quarantine(run)[0]["reason"]


# --- repeats ---------------------------------------------------------------------------------


def test_exact_repeats_of_a_keyed_row_are_skipped_and_counted_not_quarantined(
    people: Dataset, write_csv: WriteCsv
) -> None:
    # A gate export delivered again in part: 40 re-deliveries of rows already sent.
    first = people_rows(60)
    run = ingest_file(people, write_csv("a.csv", first))
    assert run.status == SUCCEEDED, run.error
    again = [*people_rows(20, start=61), *first[:40], person(61)]  # P0061 twice in the file

    run = ingest_file(people, write_csv("b.csv", again), mode="append")

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected, run.quarantine) == (20, 0, "")
    notes = run.log.splitlines()
    assert "skipped 1 exact repeat(s) of earlier rows (same key, same values): rows 61" in notes
    assert (
        "skipped 40 row(s) the table already holds with the same values: "
        "rows 21, 22, 23, 24, 25, 26, 27, 28, 29, 30 and 30 more" in notes
    )
    assert len(table_rows("people")) == 80


def test_a_dash_or_wu_in_a_numeric_column_is_an_empty_cell_not_a_reason_for_text(
    tmp_path: Path,
) -> None:
    from shequ.hub.inference import infer_schema
    from shequ.hub.ingest.readers import open_input

    path = _write_lines(
        tmp_path / "counts.csv",
        [["社区", "人数", "金额"], ["A", "12", "3.5"], ["B", "-", "无"], ["C", "7", "—"]],
    )

    schema = infer_schema(open_input(path, workdir=tmp_path / "work"))

    assert [f.type for f in schema.fields] == ["string", "integer", "number"]
