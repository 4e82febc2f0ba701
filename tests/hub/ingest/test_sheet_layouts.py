"""Spreadsheet layouts (issue 15): a title over a two-level merged header, a 填表说明 sheet
before the table, one sheet per community read as one.

Each workbook is built with openpyxl the way a street office's exports look.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hub.factories import make_dataset
from shequ.core.models import Role
from shequ.hub.ingest.readers import IngestError, StagedInput, open_input
from shequ.hub.models import Category, Dataset, IngestRun, Source
from shequ.hub.services.catalog import infer_file_schema, load_catalog
from shequ.hub.services.runs import InputSpec, ingest_file, run_source
from shequ.hub.storage import open_table

SUCCEEDED, FAILED = IngestRun.Status.SUCCEEDED, IngestRun.Status.FAILED

# Two groups of four leaves between two cells merged down: the group row holds 4 cells for
# a table 10 columns wide, so it looked like a title and the leaf row like the header.
GROUPS: list[tuple[str, list[str]]] = [
    ("序号", []),
    ("车辆信息", ["号牌号码", "号牌种类", "车辆品牌", "车身颜色"]),
    ("人员信息", ["姓名", "公民身份号码", "联系电话", "现住址"]),
    ("区划代码", []),
]
COLUMNS = [
    "序号",
    "车辆信息/号牌号码",
    "车辆信息/号牌种类",
    "车辆信息/车辆品牌",
    "车辆信息/车身颜色",
    "人员信息/姓名",
    "人员信息/公民身份号码",
    "人员信息/联系电话",
    "人员信息/现住址",
    "区划代码",
]


def car(i: int, community: int = 1) -> list[Any]:
    """One data row; the region code is a number cell, as Excel keeps typed digits."""
    return [
        i,
        f"浙A{88300 + i}",
        "小型汽车",
        "大众",
        "白",
        "张三",
        "330102199001011234",
        "13812345678",
        "锦绣社区1幢",
        330102001000 + community,
    ]


def write_register(sheet: Worksheet, cars: list[list[Any]], title: str = "") -> None:
    """Row 1 a title merged over all columns; rows 2-3 the two-level header; then data."""
    width = sum(max(len(leaves), 1) for _, leaves in GROUPS)
    sheet["A1"] = title or "望湖街道2026年10月车辆人员登记表"
    sheet.merge_cells(f"A1:{get_column_letter(width)}1")
    col = 1
    for group, leaves in GROUPS:
        letter = get_column_letter(col)
        sheet[f"{letter}2"] = group
        if not leaves:
            sheet.merge_cells(f"{letter}2:{letter}3")  # a leaf merged down over both rows
            col += 1
            continue
        sheet.merge_cells(f"{letter}2:{get_column_letter(col + len(leaves) - 1)}2")
        for leaf in leaves:
            sheet.cell(row=3, column=col, value=leaf)
            col += 1
    for row in cars:
        sheet.append(row)


def write_notes(sheet: Worksheet) -> None:
    """A 填表说明 sheet: a heading and paragraphs merged across, no table."""
    sheet["A1"] = "填表说明"
    paragraphs = [
        "一、本表由各社区网格员填写，每月5日前报送街道综治中心。",
        "二、号牌号码填写完整号牌，如浙A88302；号牌种类按公安交管部门分类填写。",
        "三、区划代码填写12位统计用区划代码，不得省略末尾的零。",
        "四、隐藏行为已注销的记录，请勿删除。",
    ]
    for i, text in enumerate(paragraphs, start=3):
        sheet.cell(row=i, column=1, value=text)
        sheet.merge_cells(f"A{i}:H{i}")


def workbook(path: Path, sheets: dict[str, Callable[[Worksheet], None]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, fill in sheets.items():
        fill(book.create_sheet(name))
    book.save(path)
    return path


def stage(path: Path, **options: Any) -> StagedInput:
    workdir = path.parent / f"work-{path.stem}-{len(list(path.parent.iterdir()))}"
    return open_input(path, workdir=workdir, **options)


def rows(staged: StagedInput) -> list[tuple[Any, ...]]:
    return duckdb.connect().sql(staged.select_sql).fetchall()


def stored(key: str) -> list[dict[str, Any]]:
    table = open_table(key)
    assert table is not None
    return sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: r["plate"])


# A catalog schema whose fields carry the leaf titles, not the groups.
VEHICLES: dict[str, Any] = {
    "primaryKey": ["plate"],
    "regionField": "region_code",
    "fields": [
        {"name": "plate", "title": "号牌号码", "pii": "plate"},
        {"name": "plate_kind", "title": "号牌种类"},
        {"name": "owner", "title": "姓名", "pii": "name"},
        {"name": "phone", "title": "联系电话", "pii": "phone"},
        {"name": "region_code", "title": "区划代码", "constraints": {"pattern": "[0-9]{12}"}},
    ],
}


@pytest.fixture
def vehicles(category: Category) -> Dataset:
    return make_dataset(category, "vehicles", VEHICLES)


# --- a title over a two-level merged header ----------------------------------------------------


def test_a_two_level_header_under_a_title_is_named_by_group_and_leaf(tmp_path: Path) -> None:
    path = workbook(tmp_path / "车辆.xlsx", {"登记表": lambda s: write_register(s, [car(1)])})

    staged = stage(path)

    assert staged.columns == COLUMNS
    assert not any(c.startswith("column_") for c in staged.columns)
    assert staged.leaves["车辆信息/号牌号码"] == "号牌号码"
    assert "序号" not in staged.leaves and "区划代码" not in staged.leaves
    assert "header in row 2 and 3; skipped 1 title row(s) above it" in staged.notes
    # The region code, a number cell, is read as its 12 digits.
    assert rows(staged) == [(*[str(v) for v in car(1)], 4)]


def test_a_title_over_a_one_row_header_is_not_taken_for_a_group_row(tmp_path: Path) -> None:
    def sheet(s: Worksheet) -> None:
        s["A1"] = "望湖街道车辆登记表"
        s.merge_cells("A1:C1")
        s.append(["号牌号码", "姓名", "区划代码"])
        s.append(["浙A88302", "张三", "330102001001"])

    staged = stage(workbook(tmp_path / "t.xlsx", {"表": sheet}))

    assert staged.columns == ["号牌号码", "姓名", "区划代码"]
    assert "header in row 2; skipped 1 title row(s) above it" in staged.notes


def test_catalog_titles_match_the_leaf_of_a_grouped_header(
    vehicles: Dataset, tmp_path: Path
) -> None:
    cars = [car(1), car(2), car(3, community=2)]
    path = workbook(tmp_path / "车辆.xlsx", {"登记表": lambda s: write_register(s, cars)})

    run = ingest_file(vehicles, path)

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 3
    got = stored("vehicles")
    assert [(r["plate"], r["plate_kind"], r["region_code"]) for r in got] == [
        ("浙A88301", "小型汽车", "330102001001"),
        ("浙A88302", "小型汽车", "330102001001"),
        ("浙A88303", "小型汽车", "330102001002"),
    ]


def test_a_leaf_under_two_groups_is_not_guessed(category: Category, tmp_path: Path) -> None:
    def sheet(s: Worksheet) -> None:
        s.append(["号牌号码", "车主信息", None, "联系人信息", None])
        s.merge_cells("A1:A2")
        s.merge_cells("B1:C1")
        s.merge_cells("D1:E1")
        s.append([None, "姓名", "联系电话", "姓名", "联系电话"])
        s.append(["浙A88302", "张三", "13812345678", "李四", "13912345678"])

    dataset = make_dataset(
        category,
        "owners",
        {"fields": [{"name": "plate", "title": "号牌号码"}, {"name": "owner", "title": "姓名"}]},
    )
    path = workbook(tmp_path / "o.xlsx", {"表": sheet})

    run = ingest_file(dataset, path)

    assert run.status == SUCCEEDED, run.error
    assert "columns not in the input, left empty: owner" in run.log
    assert "车主信息/姓名" in run.log and "联系人信息/姓名" in run.log  # ignored, named


def test_an_inferred_schema_names_fields_by_leaf_titles_them_by_both_and_keeps_codes_text(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "车辆.xlsx", {"登记表": lambda s: write_register(s, [car(1)])})

    schema = infer_file_schema(path)

    by_title = {f.title: f for f in schema.fields}
    assert list(by_title) == COLUMNS
    plate = by_title["车辆信息/号牌号码"]
    assert (plate.name, plate.pii) == ("plate", "plate")
    region = by_title["区划代码"]
    assert (region.name, region.type) == ("region_code", "string")
    assert schema.region_field == "region_code"
    assert not any(f.name.startswith("column_") for f in schema.fields)


def test_twelve_digit_codes_are_never_inferred_as_integers(tmp_path: Path) -> None:
    path = tmp_path / "grid.csv"
    path.write_text("所属网格,人数\n330102001001,12\n330102001002,8\n", encoding="utf-8")

    schema = infer_file_schema(path)

    assert [(f.title, f.type) for f in schema.fields] == [
        ("所属网格", "string"),
        ("人数", "integer"),
    ]


# --- which sheet ---------------------------------------------------------------------------------


def notes_then_register(tmp_path: Path, notes_name: str = "填表说明") -> Path:
    return workbook(
        tmp_path / "报表.xlsx",
        {notes_name: write_notes, "登记表": lambda s: write_register(s, [car(1), car(2)])},
    )


@pytest.mark.parametrize("notes_name", ["填表说明", "Sheet1"])
def test_a_notes_sheet_before_the_table_is_passed_over_with_a_note(
    tmp_path: Path, notes_name: str
) -> None:
    staged = stage(notes_then_register(tmp_path, notes_name))

    assert staged.columns == COLUMNS
    assert len(rows(staged)) == 2
    assert "read sheet '登记表'" in staged.notes
    skipped = [n for n in staged.notes if n.startswith(f"skipped sheet {notes_name!r}")]
    assert skipped and "notes, not a table" in skipped[0]


def test_a_sheet_named_explicitly_is_read_even_if_it_holds_notes(tmp_path: Path) -> None:
    path = notes_then_register(tmp_path)

    assert stage(path, sheet="登记表").columns == COLUMNS
    notes = stage(path, sheet="填表说明")
    assert notes.columns == ["填表说明"]
    assert "read sheet '填表说明' (chosen by name)" in notes.notes


def test_an_unknown_sheet_is_an_error_naming_the_sheets(tmp_path: Path) -> None:
    with pytest.raises(
        IngestError, match="there is no sheet “车辆”; the sheets are: “填表说明”, “登记表”"
    ):
        stage(notes_then_register(tmp_path), sheet="车辆")


def test_the_run_says_which_sheet_it_read(vehicles: Dataset, tmp_path: Path) -> None:
    path = notes_then_register(tmp_path)

    run = ingest_file(vehicles, path)

    assert run.status == SUCCEEDED, run.error
    assert "read sheet '登记表'" in run.log.splitlines()
    failed = ingest_file(vehicles, path, spec=InputSpec(sheet="十月"))
    assert failed.status == FAILED
    assert "there is no sheet “十月”; the sheets are: “填表说明”, “登记表”" in failed.error


# --- all sheets with one header ------------------------------------------------------------------


def communities(tmp_path: Path) -> Path:
    def summary(s: Worksheet) -> None:
        s.append(["社区", "车辆数"])
        s.append(["一社区", 2])

    sheets: dict[str, Callable[[Worksheet], None]] = {"填表说明": write_notes}
    for n, name in enumerate(["一社区", "二社区", "三社区"], start=1):
        cars = [car(10 * n + i, community=n) for i in range(1, 3)]
        sheets[name] = lambda s, cars=cars: write_register(s, cars)
    sheets["汇总"] = summary
    return workbook(tmp_path / "各社区.xlsx", sheets)


def test_all_sheets_with_the_same_header_are_read_skipping_notes_and_others(
    tmp_path: Path,
) -> None:
    staged = stage(communities(tmp_path), sheet="*")

    assert staged.columns == COLUMNS  # the sheet's name is not one of the columns
    assert staged.sheet_column == "_sheet"
    got = rows(staged)
    assert [(r[1], r[-2], r[-1]) for r in got] == [
        ("浙A88311", "一社区", 4),
        ("浙A88312", "一社区", 5),
        ("浙A88321", "二社区", 4),
        ("浙A88322", "二社区", 5),
        ("浙A88331", "三社区", 4),
        ("浙A88332", "三社区", 5),
    ]
    assert any(n.startswith("skipped sheet '填表说明': notes, not a table") for n in staged.notes)
    assert any(
        n.startswith("skipped sheet '汇总': its header ['社区', '车辆数']") for n in staged.notes
    )
    assert "read 3 sheet(s) with the same header: '一社区', '二社区', '三社区'" in staged.notes


def test_the_sheet_name_is_stored_only_by_a_field_for_it(
    vehicles: Dataset, category: Category, tmp_path: Path, make_source: Callable[..., Source]
) -> None:
    path = communities(tmp_path)

    run = ingest_file(vehicles, path, spec=InputSpec(sheet="*"))

    assert run.status == SUCCEEDED, run.error
    assert run.rows_written == 6
    ignored = next(n for n in run.log.splitlines() if n.startswith("ignored columns"))
    assert ignored.endswith(", _sheet")  # said, not stored
    assert "_sheet" not in stored("vehicles")[0]

    # A field titled 工作表 takes it; so does one the source maps from _sheet.
    fields = [*VEHICLES["fields"], {"name": "sheet_name", "title": "工作表"}]
    titled = make_dataset(category, "titled", {**VEHICLES, "fields": fields})
    run = ingest_file(titled, path, spec=InputSpec(sheet="*"))
    assert run.status == SUCCEEDED, run.error
    assert [r["sheet_name"] for r in stored("titled")] == ["一社区"] * 2 + ["二社区"] * 2 + [
        "三社区"
    ] * 2

    fields = [*VEHICLES["fields"], {"name": "community", "title": "社区"}]
    mapped = make_dataset(category, "mapped", {**VEHICLES, "fields": fields})
    source = make_source(dataset=mapped, column_map={"_sheet": "community"})
    run = ingest_file(mapped, path, spec=InputSpec(sheet="*"), source=source)
    assert run.status == SUCCEEDED, run.error
    assert {r["community"] for r in stored("mapped")} == {"一社区", "二社区", "三社区"}


# --- the sheet as a source option, the CLI and the upload form --------------------------------


def test_a_source_option_chooses_the_sheet(
    vehicles: Dataset, tmp_path: Path, make_source: Callable[..., Source]
) -> None:
    path = communities(tmp_path)  # in an import folder (HUB_IMPORT_DIRS is tmp_path)
    source = make_source(
        dataset=vehicles, config={"path": str(path), "sheet": "二社区", "skip_hidden_rows": True}
    )

    run = run_source(source)

    assert run.status == SUCCEEDED, run.error
    assert [r["plate"] for r in stored("vehicles")] == ["浙A88321", "浙A88322"]
    assert "read sheet '二社区' (chosen by name)" in run.log


def test_saving_a_source_keeps_and_checks_its_reading_options(
    vehicles: Dataset, tmp_path: Path, make_user: Callable[..., Any]
) -> None:
    from django.core.exceptions import ValidationError

    from shequ.hub.services.sources import read_option_errors, save_source

    manager = make_user(Role.STREET_STAFF, "990102001000")
    path = communities(tmp_path)
    config = {"path": str(path), "sheet": "*", "skip_hidden_rows": True}

    source = save_source(manager, vehicles, name="各社区", connector="file", config=config)

    assert (source.config["sheet"], source.config["skip_hidden_rows"]) == ("*", True)
    assert run_source(source).rows_written == 6
    with pytest.raises(ValidationError, match=r"config\.sheet"):
        save_source(manager, vehicles, name="x", connector="file", config={**config, "sheet": 1})
    assert read_option_errors({"sheet": "*", "skip_hidden_rows": True}) == {}
    assert set(read_option_errors({"sheet": 3, "two_digit_year_start": "1950"})) == {
        "config.sheet",
        "config.two_digit_year_start",
    }


def test_the_cli_takes_a_sheet_or_all_of_them(
    vehicles: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shequ.cli import main

    path = communities(tmp_path)

    assert main(["hub", "ingest", str(path), "--dataset=vehicles", "--sheet=*"]) == 0
    assert len(stored("vehicles")) == 6
    assert main(["hub", "ingest", str(path), "--dataset=vehicles", "--sheet=四社区"]) == 1
    out = capsys.readouterr().out
    assert "there is no sheet “四社区”; the sheets are: “填表说明”, “一社区”" in out


def test_the_upload_form_takes_a_sheet_or_all_of_them(
    make_user: Callable[..., Any], regions: dict[str, Any], tmp_path: Path
) -> None:
    load_catalog(region=regions["990102001000"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.STREET_STAFF, "990102001000"))
    # The shipped vehicle_registrations dataset, one sheet per community.
    header = ["号牌号码", "车辆类型", "机动车所有人", "所属社区（村）区划代码"]
    sheets: dict[str, Callable[[Worksheet], None]] = {"填表说明": write_notes}
    for n in (1, 2):
        cars = [[f"浙A{n}830{i}", "小型汽车", "张三", f"99010200100{n}"] for i in (1, 2)]
        sheets[f"{n}社区"] = lambda s, cars=cars: [s.append(r) for r in [header, *cars]]
    path = workbook(tmp_path / "各社区.xlsx", sheets)

    def post(sheet: str) -> IngestRun:
        upload = SimpleUploadedFile("各社区.xlsx", path.read_bytes())
        data = {"file": upload, "mode": "replace", "sheet": sheet}
        response = client.post(reverse("hub:dataset", args=["vehicle_registrations"]), data)
        assert response.status_code == 302
        return IngestRun.objects.latest("pk")

    run = post("*")
    assert (run.status, run.rows_written) == (SUCCEEDED, 4), run.error
    run = post("2社区")
    assert (run.status, run.rows_written) == (SUCCEEDED, 2), run.error
    assert "read sheet '2社区' (chosen by name)" in run.log
    run = post("")
    assert (run.status, run.rows_written) == (SUCCEEDED, 2), run.error
    assert "read sheet '1社区'" in run.log.splitlines()


def test_publishing_a_community_dataset_takes_the_sheet_option(
    make_user: Callable[..., Any], category: Category, tmp_path: Path
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.COMMUNITY_STAFF, "990102001001"))
    path = communities(tmp_path)
    form = {
        "region": "990102001001",
        "key": "cars_by_community",
        "title": "各社区车辆",
        "title_en": "Cars by community",
        "description": "",
        "category": category.key,
        "sharing": "conditional",
        "frequency": "monthly",
        "file": SimpleUploadedFile("各社区.xlsx", path.read_bytes()),
        "sheet": "*",
    }

    response = client.post("/hub/publish/", form)

    assert response.status_code == 302, response.content.decode()[-2000:]
    dataset = Dataset.objects.get(key="cars_by_community")
    assert dataset.row_count == 6
    titles = [f["title"] for f in dataset.schema["fields"]]
    assert titles == COLUMNS  # no field invented for the sheet's name
