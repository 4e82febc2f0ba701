"""Schema inference: the header below title rows, column types, names and PII suggestions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from hub.factories import make_dataset
from shequ.core import pii
from shequ.hub.inference import field_name, infer_schema, suggest_pii
from shequ.hub.ingest.readers import open_input
from shequ.hub.models import Category, IngestRun
from shequ.hub.services.runs import ingest_file
from shequ.hub.tableschema import TableSchema


def infer_csv(tmp_path: Path, header: list[str], rows: list[list[Any]]) -> TableSchema:
    path = tmp_path / "input.csv"
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return infer_schema(open_input(path, workdir=tmp_path / "work"))


def column(tmp_path: Path, values: list[str], header: str = "值") -> tuple[str, str, str]:
    """(type, pii, grade) inferred for one column of values."""
    f = infer_csv(tmp_path, ["序号", header], [[i, v] for i, v in enumerate(values)]).fields[1]
    return f.type, f.pii, f.grade


def id_numbers(n: int) -> list[str]:
    return [
        pii.make_id_number("110101", date(1980 + i % 30, 1 + i % 12, 1 + i % 28), i)
        for i in range(n)
    ]


def test_the_header_is_found_below_title_rows_in_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "登记表.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("十月")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["临江区望湖街道2026年10月出租房屋登记表"])
    sheet.write_row(1, 0, ["填报单位：锦绣社区", "", "", "填报日期：2026-10-31"])
    sheet.write_row(3, 0, ["房屋编号", "地址", "面积", "登记日期", "是否出租"])
    for i in range(1, 31):
        sheet.write_row(3 + i, 0, [f"{i:05d}", f"锦绣路{i}号", 60 + i / 2])
        sheet.write_datetime(3 + i, 3, date(2026, 10, i), day)
        sheet.write(3 + i, 4, "是")
    book.close()

    staged = open_input(path, workdir=tmp_path / "work")
    schema = infer_schema(staged)

    assert "header in row 4; skipped 2 title row(s) above it" in staged.notes
    assert [(f.name, f.title, f.type, f.pii) for f in schema.fields] == [
        ("house_id", "房屋编号", "string", "none"),  # 00001: a code, not a number
        ("address", "地址", "string", "address"),
        ("area", "面积", "number", "none"),
        ("registered_on", "登记日期", "date", "none"),
        ("is_rental", "是否出租", "boolean", "none"),
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "22", "-3", "1,234"], "integer"),
        (["1", "2.5", "1,234.75", "-0.5"], "number"),
        (["88.5", "88.5", "90.25"], "number"),  # not integers, whatever DuckDB rounds
        (["0012", "0345", "1200"], "string"),  # leading zeros: codes
        (["6222021234567890123", "6222021234567890124"], "string"),  # account numbers
        (["2026-10-31", "2026/11/01", "2026年12月1日", "20261202"], "date"),
        (["2026-10-31 08:00:00", "2026/10/31 08:30", "2026-10-31T09:00:00+08:00"], "datetime"),
        (["是", "否", "是"], "boolean"),
        (["true", "FALSE"], "boolean"),
        (["1", "x", "3"], "string"),
        (["", "", ""], "string"),
        (["2026-10-31", "明天"], "string"),
    ],
)
def test_column_types_are_the_narrowest_every_value_fits(
    tmp_path: Path, values: list[str], expected: str
) -> None:
    values = [f'"{v}"' if "," in v else v for v in values]
    assert column(tmp_path, values)[0] == expected


@pytest.mark.parametrize(
    "header", ["区划代码", "统一社会信用代码", "车辆编号", "门牌号码", "zip code"]
)
def test_columns_named_as_codes_stay_text_even_when_all_digits(tmp_path: Path, header: str) -> None:
    assert column(tmp_path, ["990102001001", "990102001002"], header)[0] == "string"


def test_personal_data_is_recognised_from_values_whatever_the_header(tmp_path: Path) -> None:
    n = 20
    schema = infer_csv(
        tmp_path,
        ["字段一", "字段二", "字段三", "字段四"],
        [
            [idn, f"1391234{i:04d}", plate, f"X{i}"]
            for i, (idn, plate) in enumerate(
                zip(id_numbers(n), [f"浙A{i:05d}" for i in range(n)], strict=True)
            )
        ],
    )

    assert [(f.pii, f.grade, f.type) for f in schema.fields] == [
        ("id_card", "core", "string"),
        ("phone", "important", "string"),
        ("plate", "important", "string"),
        ("none", "general", "string"),
    ]


def test_numbers_that_only_look_like_id_numbers_are_not_taken_for_them(tmp_path: Path) -> None:
    fake = [n[:-1] + ("0" if n[-1] != "0" else "1") for n in id_numbers(10)]  # bad check digit

    assert column(tmp_path, fake, "流水号")[1] == "none"


def test_most_but_not_all_values_valid_is_still_personal_data(tmp_path: Path) -> None:
    values = [*id_numbers(9), "不详"]

    assert column(tmp_path, values, "字段")[1] == "id_card"


@pytest.mark.parametrize(
    ("header", "kind", "grade"),
    [
        ("姓名", "name", "important"),
        ("户主", "name", "important"),
        ("车主", "name", "important"),
        ("现住址", "address", "important"),
        ("户籍地", "address", "important"),
        ("联系电话", "phone", "important"),
        ("紧急联系人手机", "phone", "important"),
        ("公民身份号码", "id_card", "core"),
        ("号牌号码", "plate", "important"),
        ("人脸照片", "face", "core"),
        ("健康码状态", "health", "core"),
        ("Mobile", "phone", "important"),
        ("备注", "none", "general"),
        ("社区", "none", "general"),
    ],
)
def test_personal_data_is_suggested_from_chinese_and_english_headers(
    tmp_path: Path, header: str, kind: str, grade: str
) -> None:
    assert column(tmp_path, ["", "", ""], header)[1:] == (kind, grade)


def test_suggestions_from_values_win_over_the_header() -> None:
    assert suggest_pii("联系电话", id_numbers(5)) == "id_card"
    assert suggest_pii("车牌", ["无", "", "不详"]) == "plate"


def test_field_names_are_ascii_unique_and_keep_the_header_as_title(tmp_path: Path) -> None:
    schema = infer_csv(
        tmp_path,
        ["姓名", "Phone Number", "姓名 ", "2nd", "缴费金额", "Amount (元)"],
        [["张三", "13800138000", "李四", "x", "1", "2"]],
    )

    assert [(f.name, f.title) for f in schema.fields] == [
        ("name", "姓名"),
        ("phone_number", "Phone Number"),
        ("name_2", "姓名_2"),  # the reader renamed the repeated header
        ("col_2nd", "2nd"),
        ("jiaofei_amount", "缴费金额"),  # pinyin for what the dictionary does not hold
        ("amount", "Amount (元)"),
    ]
    taken = {"code"}
    assert field_name("编号", 0, taken) == "code_2"
    assert field_name("", 7, taken) == "col_8"


def test_a_region_code_column_becomes_the_region_field(tmp_path: Path) -> None:
    schema = infer_csv(tmp_path, ["社区", "区划代码"], [["锦绣社区", "990102001001"]])

    assert schema.region_field == "region_code"
    assert schema.field("region_code").type == "string"
    assert infer_csv(tmp_path, ["社区"], [["锦绣社区"]]).region_field == ""


def test_an_inferred_schema_accepts_the_file_it_came_from(
    tmp_path: Path, category: Category
) -> None:
    header = ["编号", "姓名", "身份证号", "手机号", "车牌号", "面积", "入住日期", "是否党员"]
    ids = id_numbers(50)
    rows = [
        [
            f"{i:06d}",
            "张三",
            ids[i],
            f"1380013{i:04d}",
            f"粤B{i:05d}",
            50 + i * 1.5,
            "2026/10/31",
            "是",
        ]
        for i in range(50)
    ]
    path = tmp_path / "input.csv"
    path.write_text(
        "\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n",
        encoding="utf-8",
    )
    schema = infer_schema(open_input(path, workdir=tmp_path / "work"))
    dataset = make_dataset(category, "inferred", schema.to_dict())

    run = ingest_file(dataset, path)

    assert run.status == IngestRun.Status.SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected) == (50, 0)
    assert TableSchema.from_dict(dataset.schema).pii_fields() == {
        "name": "name",
        "id_number": "id_card",
        "phone": "phone",
        "plate": "plate",
    }
