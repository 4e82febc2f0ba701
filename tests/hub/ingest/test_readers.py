"""open_input: every supported file format staged as a DuckDB SELECT of text columns."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.hub.ingest.readers import (
    IngestError,
    StagedInput,
    detect_encoding,
    open_input,
    sniff_delimiter,
    transcode,
)

# ---------------------------------------------------------------- helpers


def write(tmp_path: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def stage(path: Path, **options: Any) -> StagedInput:
    workdir = path.parent / f"work-{path.name}"
    workdir.mkdir()
    return open_input(path, workdir=workdir, **options)


def rows(staged: StagedInput) -> list[tuple[Any, ...]]:
    return duckdb.connect().sql(staged.select_sql).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- CSV encodings


def test_utf8_csv_keeps_cjk_header_names_and_values(tmp_path: Path) -> None:
    path = write(tmp_path, "人口.csv", "姓名,身份证号,所属社区\n张三,330102199001011234,锦绣社区\n")
    staged = stage(path)
    assert staged.format == "csv"
    assert staged.encoding == "utf-8"
    assert staged.columns == ["姓名", "身份证号", "所属社区"]
    assert rows(staged) == [("张三", "330102199001011234", "锦绣社区", 1)]
    assert staged.name == "人口.csv"


def test_utf8_bom_is_detected_and_kept_out_of_the_first_header_name(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + "姓名,年龄\n李四,30\n".encode())
    staged = stage(path)
    assert staged.encoding == "utf-8-sig"
    assert staged.columns == ["姓名", "年龄"]
    assert "\ufeff" not in staged.columns[0]
    assert rows(staged) == [("李四", "30", 1)]


def test_a_quoted_first_header_after_a_bom_loses_the_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bomq.csv", b'\xef\xbb\xbf"id","name"\n1,x\n')
    staged = stage(path)
    assert staged.columns == ["id", "name"]
    assert rows(staged) == [("1", "x", 1)]


def test_gbk_csv_is_detected_and_transcoded_into_the_workdir(tmp_path: Path) -> None:
    text = "社区名称,街道,户数\n锦绣社区,望湖街道,1200\n和园社区,望湖街道,980\n"
    path = write(tmp_path, "gbk.csv", text, "gbk")
    staged = stage(path)
    assert staged.encoding == "gb18030"  # a superset of GBK
    assert staged.columns == ["社区名称", "街道", "户数"]
    assert rows(staged) == [("锦绣社区", "望湖街道", "1200", 1), ("和园社区", "望湖街道", "980", 2)]
    assert staged.workdir is not None
    assert (staged.workdir / "input-utf8.txt").read_text("utf-8") == text
    assert any("GB18030" in note for note in staged.notes)


def test_gb18030_characters_outside_gbk_survive(tmp_path: Path) -> None:
    text = "姓名,备注\n王䶮,𠀀字与€符号\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = write(tmp_path, "gb18030.csv", text, "gb18030")
    staged = stage(path)
    assert staged.encoding == "gb18030"
    assert rows(staged) == [("王䶮", "𠀀字与€符号", 1)]


def test_an_explicit_encoding_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "given.csv", "名称\n望湖\n", "gbk")
    staged = stage(path, encoding="GBK")
    assert staged.encoding == "gbk"
    assert rows(staged) == [("望湖", 1)]


def test_an_unknown_encoding_name_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "a\n1\n")
    with pytest.raises(IngestError, match="unknown text encoding 'klingon'"):
        stage(path, encoding="klingon")


def test_bad_bytes_in_a_gb18030_file_report_byte_offset_and_line(tmp_path: Path) -> None:
    lines = ["姓名,地址"] + [f"居民{i},临江区望湖街道{i}号" for i in range(40)]
    good = "\n".join(lines).encode("gb18030") + b"\n"
    before = ("\n".join(lines[:16]) + "\n").encode("gb18030")  # 16 lines, so line 17 is bad
    data = before + b"\xff\xfe" + good[len(before) :]
    path = write(tmp_path, "bad.csv", data)
    with pytest.raises(IngestError) as caught:
        stage(path)
    assert str(caught.value).startswith(f"invalid GB18030 bytes at byte {len(before)} (line 17)")


def test_invalid_utf8_beyond_the_sample_is_reported_where_it_is(tmp_path: Path) -> None:
    body = "编号,名称\n" + "".join(f"{i},望湖街道锦绣社区\n" for i in range(60_000))
    data = body.encode() + b"1,\xff\n"
    assert len(data) > 1024 * 1024
    path = write(tmp_path, "late.csv", data)
    with pytest.raises(
        IngestError, match=rf"invalid UTF-8 bytes at byte {len(body.encode()) + 2} "
    ):
        stage(path)


def test_plain_ascii_start_then_gbk_bytes_is_read_as_gb18030(tmp_path: Path) -> None:
    body = "id,name\n" + "".join(f"{i},resident\n" for i in range(80_000))
    data = body.encode() + "80000,张三\n".encode("gbk")
    assert len(body) > 1024 * 1024
    staged = stage(write(tmp_path, "late-gbk.csv", data))
    assert staged.encoding == "gb18030"
    assert rows(staged)[-1] == ("80000", "张三", 80_001)


def test_utf16_unicode_text_from_excel_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "unicode.txt", "姓名\t电话\r\n赵六\t13900000000\r\n", "utf-16")
    staged = stage(path)
    assert staged.encoding == "utf-16"
    assert staged.columns == ["姓名", "电话"]
    assert rows(staged) == [("赵六", "13900000000", 1)]


def test_detect_encoding_prefers_utf8_then_gb18030() -> None:
    text = "望湖街道,锦绣社区\n"
    assert detect_encoding(text.encode(), complete=True) == "utf-8"
    assert detect_encoding(text.encode("gbk"), complete=True) == "gb18030"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode(), complete=True) == "utf-8-sig"
    # a sample cut in the middle of a character is still UTF-8
    assert detect_encoding(text.encode()[:4], complete=False) == "utf-8"


# ---------------------------------------------------------------- streaming transcoding


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        st.one_of(
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
            st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),  # CJK ext. B
            st.sampled_from("，。、；：“”\n\r,;\t 0123456789abc€䶮"),
        ),
        max_size=400,
    ),
    chunk_size=st.integers(min_value=1, max_value=17),
    encoding=st.sampled_from(["gb18030", "utf-8", "utf-16"]),
)
def test_transcoding_in_small_chunks_equals_decoding_whole(
    text: str, chunk_size: int, encoding: str
) -> None:
    data = text.encode(encoding)
    out = io.BytesIO()
    size, digest = transcode(io.BytesIO(data), out, encoding, chunk_size=chunk_size)
    assert out.getvalue().decode("utf-8") == data.decode(encoding)
    assert size == len(data)
    assert digest == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64])
def test_bad_bytes_are_located_whatever_the_chunk_size(chunk_size: int) -> None:
    before = "一\n二三\n四".encode("gb18030")
    data = before + b"\x81\x20" + "五".encode("gb18030")
    with pytest.raises(
        IngestError, match=rf"^invalid GB18030 bytes at byte {len(before)} \(line 3\)"
    ):
        transcode(io.BytesIO(data), io.BytesIO(), "gb18030", chunk_size=chunk_size)


# ---------------------------------------------------------------- delimiters and headers


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|", "^"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = "\n".join(delimiter.join(row) for row in [["编号", "名称", "备注"], ["1", "甲", "x"]])
    staged = stage(write(tmp_path, "d.csv", text + "\n"))
    assert staged.columns == ["编号", "名称", "备注"]
    assert rows(staged) == [("1", "甲", "x", 1)]


def test_a_semicolon_file_with_decimal_commas_splits_on_semicolons(tmp_path: Path) -> None:
    path = write(tmp_path, "eu.csv", "名称;面积;人口\n锦绣;1,5;1200\n和园;2,25;980\n")
    staged = stage(path)
    assert staged.columns == ["名称", "面积", "人口"]
    assert rows(staged)[1] == ("和园", "2,25", "980", 2)


def test_a_tab_delimited_file_with_commas_in_values(tmp_path: Path) -> None:
    path = write(tmp_path, "t.tsv", "姓名\t地址\n张三\t临江区, 望湖街道\n")
    staged = stage(path)
    assert rows(staged) == [("张三", "临江区, 望湖街道", 1)]
    assert "delimiter '\\t'" in staged.notes


def test_an_explicit_delimiter_wins_over_sniffing(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "a,b|c\n1,2|3\n")
    assert stage(path, delimiter="|").columns == ["a,b", "c"]


def test_sniffing_ignores_delimiters_inside_quotes() -> None:
    assert sniff_delimiter('"a;b";c;d\n"1;2";3;4\n') == ";"
    assert sniff_delimiter('名称,"说明;备注"\n甲,"x;y"\n') == ","
    assert sniff_delimiter("single column\nvalue\n") == ","


def test_header_names_are_trimmed_deduplicated_and_numbered_when_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", ' 名称 ,名称,,_row,ID,id,"联系\n电话"\n1,2,3,4,5,6,7\n')
    staged = stage(path)
    assert staged.columns == ["名称", "名称_2", "column_3", "_row_2", "ID", "id_2", "联系电话"]
    assert rows(staged) == [("1", "2", "3", "4", "5", "6", "7", 1)]


def test_title_lines_above_a_csv_header_are_skipped(tmp_path: Path) -> None:
    text = (
        "临江区2026年10月车辆登记表,,\n制表单位：望湖街道,,\n车牌号,车主,颜色\n浙A12345,张三,白\n"
    )
    staged = stage(write(tmp_path, "title.csv", text))
    assert staged.columns == ["车牌号", "车主", "颜色"]
    assert rows(staged) == [("浙A12345", "张三", "白", 1)]
    assert any("skipped 2 title line(s)" in note for note in staged.notes)


# ---------------------------------------------------------------- CSV structure


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"^the file is empty$"):
        stage(write(tmp_path, "empty.csv", b""))


def test_a_file_of_blank_lines_is_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="the file is empty"):
        stage(write(tmp_path, "blank.csv", b"\xef\xbb\xbf\n\n"))


def test_a_header_only_file_yields_no_rows(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "header.csv", "姓名,年龄\n"))
    assert staged.columns == ["姓名", "年龄"]
    assert rows(staged) == []


def test_a_row_with_more_fields_than_the_header_names_its_line(tmp_path: Path) -> None:
    text = 'a,b,c\n1,2,3\n\n4,"x\ny",6\n7,8,9,10\n'
    with pytest.raises(IngestError) as caught:
        stage(write(tmp_path, "long.csv", text))
    assert str(caught.value).startswith("line 6 (data row 3) has 4 fields but the header has 3")
    assert "7,8,9,10" in str(caught.value)


def test_a_row_with_fewer_fields_than_the_header_is_an_error_too(tmp_path: Path) -> None:
    with pytest.raises(
        IngestError, match=r"^line 3 \(data row 2\) has 2 fields but the header has 3"
    ):
        stage(write(tmp_path, "short.csv", "a,b,c\n1,2,3\n4,5\n"))


def test_an_unterminated_quote_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="unterminated quote"):
        stage(write(tmp_path, "quote.csv", 'a,b\n1,"ab"c\n'))


def test_quoted_delimiters_line_breaks_and_quotes_stay_in_their_field(tmp_path: Path) -> None:
    text = 'a,b\r\n"1,5","第一行\r\n第二行 ""引号"""\r\n,\r\n'
    assert rows(stage(write(tmp_path, "q.csv", text))) == [
        ("1,5", '第一行\r\n第二行 "引号"', 1),
        (None, None, 2),
    ]


def test_blank_lines_are_skipped_and_empty_fields_are_null(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "b.csv", 'a,b\n\n1,""\n\n,2\n'))
    assert rows(staged) == [("1", None, 1), (None, "2", 2)]


def test_a_ten_megabyte_field_is_read(tmp_path: Path) -> None:
    big = "长" * 3_500_000  # 10.5 MB in UTF-8
    staged = stage(write(tmp_path, "big.csv", f'id,text\n1,"{big}"\n2,short\n'))
    result = duckdb.connect().sql(f"SELECT id, length(text), _row FROM ({staged.select_sql})")
    assert result.fetchall() == [("1", 3_500_000, 1), ("2", 5, 2)]


def test_row_numbers_follow_the_file_order_over_100k_rows(tmp_path: Path) -> None:
    text = "n,名称\n" + "".join(f'{i},"社区{i}"\n' for i in range(1, 100_001))
    staged = stage(write(tmp_path, "order.csv", text))
    check = (
        f"SELECT count(*), count(*) FILTER (CAST(n AS BIGINT) <> _row) FROM ({staged.select_sql})"
    )
    assert duckdb.connect().sql(check).fetchall() == [(100_000, 0)]


def test_sha256_and_bytes_read_are_of_the_raw_input(tmp_path: Path) -> None:
    path = write(tmp_path, "raw.csv", "名称\n望湖\n", "gbk")
    staged = stage(path)
    assert staged.bytes_read == path.stat().st_size
    assert staged.sha256 == sha256(path)


def test_paths_with_quotes_and_spaces_are_quoted_safely(tmp_path: Path) -> None:
    folder = tmp_path / "it's a 目录"
    folder.mkdir()
    staged = stage(write(folder, "o'brien's data.csv", "a\n1\n"))
    assert rows(staged) == [("1", 1)]


def test_cleanup_removes_the_workdir(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "c.csv", "名称\n望湖\n", "gbk"))
    assert staged.workdir is not None and staged.workdir.exists()
    staged.cleanup()
    assert not staged.workdir.exists()


# ---------------------------------------------------------------- spreadsheets


def write_vehicle_sheet(book: Any, name: str, people: list[tuple[Any, ...]]) -> None:
    """A sheet as a sub-district exports it: title rows, a merged two-row header, data with
    a blank row in between, a totals row and formatted but empty cells below and right."""
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.merge_range("A1:F1", "临江区2026年10月车辆登记表", bold)
    sheet.write("A2", "制表单位：望湖街道")
    sheet.write("E2", "填表日期：2026-11-01")
    for col, title in [(0, "序号"), (1, "车牌号"), (2, "车主"), (5, "登记时间")]:
        sheet.merge_range(3, col, 4, col, title, bold)
    sheet.merge_range("D4:E4", "联系方式", bold)
    sheet.write("D5", "电话", bold)
    sheet.write("E5", "地址", bold)
    row = 5
    for number, plate, owner, phone, address, when in people:
        sheet.write_number(row, 0, number)
        sheet.write_string(row, 1, plate)
        sheet.write_string(row, 2, owner)
        sheet.write_number(row, 3, phone)
        sheet.write_string(row, 4, address)
        sheet.write_datetime(row, 5, when, stamp if isinstance(when, dt.datetime) else date)
        row += 2 if number == 1 else 1  # a blank row after the first person
    sheet.write(row, 0, "合  计")
    sheet.write_number(row, 2, len(people))
    sheet.write_blank(row + 5, 8, None, bold)  # formatted, empty: not data


PEOPLE = [
    (1.0, "浙A12345", "张三", 13800000000.0, "锦绣社区1幢", dt.date(2026, 10, 31)),
    (2.0, "浙A67890", "李四", 13900000000.0, "和园社区2幢", dt.datetime(2026, 10, 31, 8, 30)),
]
COLUMNS = ["序号", "车牌号", "车主", "联系方式/电话", "联系方式/地址", "登记时间"]


def make_workbook(path: Path, sheets: dict[str, list[tuple[Any, ...]] | None]) -> Path:
    book = xlsxwriter.Workbook(path)
    for name, people in sheets.items():
        if people is None:
            book.add_worksheet(name)
        else:
            write_vehicle_sheet(book, name, people)
    book.close()
    return path


def test_an_xlsx_export_with_title_rows_merged_header_and_totals(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "车辆.xlsx", {"十月": PEOPLE})
    staged = stage(path)
    assert staged.format == "xlsx"
    assert staged.encoding == ""
    assert staged.columns == COLUMNS
    assert rows(staged) == [
        ("1", "浙A12345", "张三", "13800000000", "锦绣社区1幢", "2026-10-31", 6),
        ("2", "浙A67890", "李四", "13900000000", "和园社区2幢", "2026-10-31 08:30:00", 8),
    ]
    assert "dropped totals row 9" in staged.notes
    assert any("header in row 4 and 5" in note for note in staged.notes)
    assert staged.sha256 == sha256(path)
    assert staged.bytes_read == path.stat().st_size


def test_spreadsheet_values_are_rendered_as_people_write_them(tmp_path: Path) -> None:
    path = tmp_path / "values.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["整数", "小数", "布尔", "日期", "时间", "文本数字", "空"])
    sheet.write_row(1, 0, [3.0, 0.1 + 0.2, True])
    sheet.write_datetime(
        1, 3, dt.datetime(2026, 10, 31), book.add_format({"num_format": "yyyy/m/d"})
    )
    sheet.write_datetime(
        1, 4, dt.datetime(1899, 12, 31, 8, 30), book.add_format({"num_format": "hh:mm"})
    )
    sheet.write_string(1, 5, "007")
    sheet.write_string(1, 6, "   ")
    book.close()
    staged = stage(path)
    assert staged.columns == ["整数", "小数", "布尔", "日期", "时间", "文本数字", "空"]
    assert rows(staged) == [("3", "0.3", "true", "2026-10-31", "08:30:00", "007", None, 2)]


def test_a_vertically_merged_single_row_header_keeps_its_names(tmp_path: Path) -> None:
    path = tmp_path / "v.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.merge_range("A1:A2", "姓名")
    sheet.merge_range("B1:B2", "年龄")
    sheet.write_row(2, 0, ["王五", 41])
    book.close()
    staged = stage(path)
    assert staged.columns == ["姓名", "年龄"]
    assert rows(staged) == [("王五", "41", 3)]


def test_footer_rows_below_the_totals_row_are_dropped_with_it(tmp_path: Path) -> None:
    path = tmp_path / "footer.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["社区", "户数", "人口"])
    sheet.write_row(1, 0, ["锦绣社区", 1200, 3400])
    sheet.write_row(2, 0, ["小计", 1200, 3400])  # a subtotal in the middle stays
    sheet.write_row(3, 0, ["和园社区", 980, 2500])
    sheet.write_row(4, 0, ["总计", 2180, 5900])
    sheet.write_row(6, 0, ["制表人：王五", "", "审核人：赵六"])
    book.close()
    staged = stage(path)
    assert [r[0] for r in rows(staged)] == ["锦绣社区", "小计", "和园社区"]
    assert staged.notes[-2:] == ["dropped footer row 7", "dropped totals row 5"]


def test_cells_merged_down_over_data_rows_fill_every_row(tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["社区", "姓名"])
    sheet.merge_range("A2:A4", "锦绣社区")
    sheet.write_column(1, 1, ["张三", "李四", "王五"])
    sheet.write_row(4, 0, ["和园社区", "赵六"])
    book.close()
    assert rows(stage(path)) == [
        ("锦绣社区", "张三", 2),
        ("锦绣社区", "李四", 3),
        ("锦绣社区", "王五", 4),
        ("和园社区", "赵六", 5),
    ]


def test_the_first_non_empty_sheet_is_read_by_default(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "cover.xlsx", {"封面": None, "十月": PEOPLE})
    staged = stage(path)
    assert staged.columns == COLUMNS
    assert "read sheet '十月'" in staged.notes


def test_a_sheet_can_be_chosen_by_name(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "two.xlsx", {"九月": PEOPLE[:1], "十月": PEOPLE[1:]})
    assert [r[1] for r in rows(stage(path, sheet="十月"))] == ["浙A67890"]


def test_an_unknown_sheet_name_lists_the_sheets(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "two.xlsx", {"九月": PEOPLE, "十月": PEOPLE})
    with pytest.raises(
        IngestError, match="there is no sheet “十一月”; the sheets are: “九月”, “十月”"
    ):
        stage(path, sheet="十一月")


def test_all_sheets_with_the_same_header_are_concatenated(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "all.xlsx", {"九月": PEOPLE[:1], "空": None, "十月": PEOPLE})
    staged = stage(path, sheet="*")
    assert staged.columns == COLUMNS
    assert [(r[1], r[-1]) for r in rows(staged)] == [
        ("浙A12345", 6),
        ("浙A12345", 6),
        ("浙A67890", 8),
    ]
    assert "sheet '九月': 1 data rows (rows 6–6)" in staged.notes
    assert "sheet '十月': dropped totals row 9" in staged.notes


def test_a_sheet_with_a_different_header_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xlsx"
    book = xlsxwriter.Workbook(path)
    write_vehicle_sheet(book, "十月", PEOPLE)
    book.add_worksheet("字段").write_row(0, 0, ["字段", "含义"])
    book.close()
    staged = stage(path, sheet="*")
    assert staged.columns == COLUMNS
    skipped = "skipped sheet '字段': its header ['字段', '含义'] differs from the one 1 sheet(s)"
    assert f"{skipped} share, {COLUMNS}" in staged.notes


def test_a_header_only_sheet_yields_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet().write_row(0, 0, ["姓名", "年龄"])
    book.close()
    staged = stage(path)
    assert staged.columns == ["姓名", "年龄"]
    assert rows(staged) == []


def test_a_workbook_without_data_is_an_error(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "none.xlsx", {"Sheet1": None})
    with pytest.raises(IngestError, match="no data on any visible sheet"):
        stage(path)


def test_a_truncated_xlsx_is_reported_as_damaged(tmp_path: Path) -> None:
    whole = make_workbook(tmp_path / "whole.xlsx", {"十月": PEOPLE * 50}).read_bytes()
    path = write(tmp_path, "half.xlsx", whole[: len(whole) // 2])
    with pytest.raises(IngestError, match=r"^the XLSX file is damaged or truncated: "):
        stage(path)


def test_an_xls_name_holding_xlsx_bytes_is_read_as_xlsx(tmp_path: Path) -> None:
    path = write(
        tmp_path, "export.xls", make_workbook(tmp_path / "r.xlsx", {"s": PEOPLE}).read_bytes()
    )
    staged = stage(path)
    assert staged.format == "xlsx"
    assert staged.columns == COLUMNS
    assert any("named .xls but holds XLSX" in note for note in staged.notes)


def test_an_xls_name_holding_tab_separated_gbk_text_is_read_as_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "export.xls", "姓名\t电话\n钱七\t13700000000\n", "gbk")
    staged = stage(path)
    assert staged.format == "csv"
    assert rows(staged) == [("钱七", "13700000000", 1)]


def test_an_html_page_saved_as_xls_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, "web.xls", "<html><body><table><tr><td>姓名</td></tr></table></body></html>"
    )
    with pytest.raises(IngestError, match="HTML or XML page"):
        stage(path)


# ---------------------------------------------------------------- JSON and Parquet


def test_a_json_array_gives_text_columns_with_nested_values_as_json(tmp_path: Path) -> None:
    data = [
        {"姓名": "张三", "年龄": 30, "标签": ["党员", "志愿者"], "住址": {"幢": 1}, "在册": True},
        {"姓名": "李四", "年龄": 41.5, "备注": None, "在册": False},
    ]
    staged = stage(write(tmp_path, "people.json", json.dumps(data, ensure_ascii=False)))
    assert staged.format == "json"
    assert staged.columns == ["姓名", "年龄", "标签", "住址", "在册", "备注"]
    assert rows(staged) == [
        ("张三", "30", '["党员","志愿者"]', '{"幢":1}', "true", None, 1),
        ("李四", "41.5", None, None, "false", None, 2),
    ]


def test_json_lines_number_their_objects_and_skip_blank_lines(tmp_path: Path) -> None:
    text = '{"id": 1, "name": "甲"}\n\n{"id": 2, "name": "乙", "Name": "x"}\n'
    staged = stage(write(tmp_path, "p.jsonl", text))
    assert staged.format == "jsonl"
    assert staged.columns == ["id", "name", "Name_2"]
    assert rows(staged) == [("1", "甲", None, 1), ("2", "乙", "x", 2)]


def test_json_lines_are_recognised_in_a_json_named_file(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "lines.json", '{"a": 1}\n{"a": 2}\n'))
    assert staged.format == "jsonl"
    assert rows(staged) == [("1", 1), ("2", 2)]


def test_a_json_array_is_recognised_by_its_first_byte(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "download", ' \n [{"a": "x"}]'))
    assert staged.format == "json"
    assert rows(staged) == [("x", 1)]


def test_an_empty_json_array_yields_no_rows(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "empty.json", "[ ]"))
    assert staged.columns == []
    assert rows(staged) == []


def test_a_top_level_json_object_is_an_error_that_points_at_the_rows(tmp_path: Path) -> None:
    text = json.dumps({"code": 0, "msg": "ok", "data": [{"a": 1}]}, indent=2)
    with pytest.raises(IngestError, match=r"single object.*the rows may be the array under 'data'"):
        stage(write(tmp_path, "api.json", text))


def test_a_json_array_of_non_objects_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="element 2 of the array is a number, not a JSON object"):
        stage(write(tmp_path, "n.json", '[{"a": 1}, 2]'))


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="malformed JSON at line 3"):
        stage(write(tmp_path, "bad.json", '[\n{"a": 1},\n{"a": }\n]'))
    with pytest.raises(IngestError, match="malformed JSON on line 2"):
        stage(write(tmp_path, "bad.jsonl", '{"a": 1}\n{"a": \n{"a": 3}\n'))


def test_gbk_json_lines_are_transcoded(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "g.jsonl", '{"社区": "锦绣"}\n{"社区": "和园"}\n', "gbk"))
    assert staged.encoding == "gb18030"
    assert rows(staged) == [("锦绣", 1), ("和园", 2)]


def test_parquet_columns_become_text_with_iso_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    table = pa.table(
        {
            "名称": ["甲", None],
            "数量": pa.array([1, 2], pa.int64()),
            "比例": [0.5, 1.0],
            "日期": [dt.date(2026, 10, 31), None],
            "时间": [dt.datetime(2026, 10, 31, 8, 30), dt.datetime(2026, 1, 1, 0, 0, 0, 500)],
            "带时区": pa.array(
                [dt.datetime(2026, 10, 31, 0, 30, tzinfo=dt.UTC), None], pa.timestamp("us", "UTC")
            ),
            "标签": [["a", "b"], []],
        }
    )
    pq.write_table(table, path)
    staged = stage(path)
    assert staged.format == "parquet"
    assert staged.columns == ["名称", "数量", "比例", "日期", "时间", "带时区", "标签"]
    assert rows(staged) == [
        ("甲", "1", "0.5", "2026-10-31", "2026-10-31 08:30:00", "2026-10-31 00:30:00+00:00",
         '["a","b"]', 1),
        (None, "2", "1.0", None, "2026-01-01 00:00:00.0005", None, "[]", 2),
    ]  # fmt: skip
    assert staged.sha256 == sha256(path)


def test_a_truncated_parquet_file_is_an_error(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"a": list(range(1000))}), whole)
    path = write(tmp_path, "half.parquet", whole.read_bytes()[:300])
    with pytest.raises(IngestError, match="the Parquet file is damaged or truncated"):
        stage(path)


# ---------------------------------------------------------------- formats


def test_an_unknown_format_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="unknown format 'pdf'"):
        stage(write(tmp_path, "x.csv", "a\n1\n"), format="pdf")


def test_a_format_can_be_forced(tmp_path: Path) -> None:
    staged = stage(write(tmp_path, "data.dat", "a|b\n1|2\n"), format="tsv")
    assert staged.format == "csv"
    assert rows(staged) == [("1", "2", 1)]


def test_a_zip_archive_that_is_not_a_spreadsheet_is_an_error(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "a\n1\n")
    with pytest.raises(IngestError, match="ZIP archive"):
        stage(path)
