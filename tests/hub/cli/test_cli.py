"""`shequ hub ingest|runs|catalog`, in-process through ``shequ.cli.main`` and as a real process."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from hub.factories import HEADER, person, table_rows
from shequ.cli import main
from shequ.hub.models import Dataset, IngestRun
from shequ.hub.tableschema import TableSchema

WriteCsv = Callable[..., Path]
RESULT_KEYS = {
    "run_id",
    "dataset",
    "status",
    "mode",
    "rows_read",
    "rows_written",
    "rows_rejected",
    "version",
    "quarantine",
    "error",
    "notes",
}


def hub(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    """Run `shequ hub ARGS`; return the exit code, stdout (parsed if JSON) and stderr."""
    code = main(["hub", *map(str, args)])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, out, err


def test_ingest_json_prints_the_runs_result_as_one_object(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv("people.csv", [person(i) for i in (1, 2, 3)])

    code, result, _ = hub(capsys, "ingest", path, "--dataset", "people", "--json")

    assert code == 0
    assert set(result) == RESULT_KEYS
    run = IngestRun.objects.get()
    [timing] = result.pop("notes")  # a clean run notes only where its time went
    assert timing.startswith("time: input opened "), timing
    assert result == {
        "run_id": run.pk,
        "dataset": "people",
        "status": "succeeded",
        "mode": "append",
        "rows_read": 3,
        "rows_written": 3,
        "rows_rejected": 0,
        "version": 0,
        "quarantine": None,
        "error": None,
    }


def test_a_file_with_only_a_header_exits_1_with_the_reason_and_no_version(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, _ = hub(
        capsys, "ingest", write_csv("empty.csv", []), "--dataset", "people", "--json"
    )

    assert code == 1
    assert (result["status"], result["version"], result["rows_read"]) == ("failed", None, 0)
    assert "no data rows" in result["error"]


def test_one_percent_bad_rows_succeed_and_point_to_the_quarantine_file(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [person(i, 年龄="老" if i == 7 else "30") for i in range(1, 101)]

    code, result, _ = hub(capsys, "ingest", write_csv("p.csv", rows), "--dataset=people", "--json")

    assert code == 0
    assert (result["status"], result["rows_written"], result["rows_rejected"]) == (
        "succeeded",
        99,
        1,
    )
    with open(result["quarantine"], encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["row", "column", "reason"],
            ["7", "age", "not a valid integer: 老"],
        ]


def test_half_bad_rows_exit_1_commit_nothing_and_keep_the_quarantine_file(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [person(i, 性别="?" if i % 2 else "男") for i in range(1, 41)]

    code, result, _ = hub(capsys, "ingest", write_csv("p.csv", rows), "--dataset=people", "--json")

    assert code == 1
    assert result["status"] == "failed" and result["version"] is None
    assert (result["rows_read"], result["rows_written"], result["rows_rejected"]) == (40, 0, 20)
    assert "20 of 40 rows (50.0%) were rejected" in result["error"]
    assert Path(result["quarantine"]).read_text(encoding="utf-8").count("\n") == 21
    people.refresh_from_db()
    assert people.version is None


def test_appending_the_same_file_twice_is_skipped_with_exit_0(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv("p.csv", [person(1)])
    hub(capsys, "ingest", path, "--dataset=people", "--json")

    code, result, _ = hub(capsys, "ingest", path, "--dataset=people", "--json")

    assert code == 0
    assert (result["status"], result["version"]) == ("skipped", None)
    assert "already ingested by run" in result["error"]


def test_modes_replace_and_upsert_from_the_command_line(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub(capsys, "ingest", write_csv("a.csv", [person(1), person(2)]), "--dataset=people")
    code, result, _ = hub(
        capsys,
        "ingest",
        write_csv("b.csv", [person(2, 姓名="李四"), person(3)]),
        "--dataset=people",
        "--mode=upsert",
        "--json",
    )
    assert (code, result["mode"], result["version"]) == (0, "upsert", 1)
    assert [r["name"] for r in table_rows("people")] == ["张三", "李四", "张三"]

    code, result, _ = hub(
        capsys,
        "ingest",
        write_csv("c.csv", [person(9)]),
        "--dataset=people",
        "--mode=replace",
        "--json",
    )
    assert (code, result["version"]) == (0, 2)
    assert [r["person_id"] for r in table_rows("people")] == ["P0009"]


def test_the_text_output_names_the_error_notes_and_quarantine(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{**person(i, 年龄="x" if i == 1 else "3"), "多余": "1"} for i in range(1, 3)]

    code, out, _ = hub(capsys, "ingest", write_csv("p.csv", rows), "--dataset=people")

    assert code == 1
    lines = out.splitlines()
    run = IngestRun.objects.get()
    assert lines[0] == f"run {run.pk}: failed; read 2, written 0, rejected 1; version None"
    assert lines[1].startswith("  1 of 2 rows (50.0%) were rejected")
    assert "  ignored columns not in the schema: 多余" in lines
    assert lines[-1] == f"  quarantine: {run.quarantine}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--dataset=people"], "error: no such file: "),
        (["p.csv", "--dataset=nope"], "error: no dataset 'nope'; use --create"),
        (
            ["p.csv", "--dataset=new", "--create", "--category=nope"],
            "error: no category 'nope' (the categories are: test)",
        ),
        (
            ["p.csv", "--dataset=Bad Key!", "--create", "--category=test"],
            "error: a dataset key is letters, digits, _ and - only, not 'Bad Key!'",
        ),
    ],
)
def test_refusals_before_any_run_exit_2_with_one_line_and_a_json_error(
    people: Dataset,
    write_csv: WriteCsv,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    write_csv("p.csv", [person(1)])
    monkeypatch.chdir(tmp_path)

    code, result, err = hub(capsys, "ingest", *args, "--json")

    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert result["status"] == "error" and result["run_id"] is None
    assert err == f"error: {result['error']}\n"
    assert not IngestRun.objects.exists()


def test_create_infers_the_schema_from_an_xlsx_with_title_rows_and_ingests_it(
    category: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["望湖街道2026年10月人员登记表"])
    sheet.write_row(1, 0, ["填报单位：锦绣社区"])
    sheet.write_row(3, 0, HEADER)
    for i in range(1, 21):
        sheet.write_row(3 + i, 0, list(person(i).values()))
    book.close()

    code, result, _ = hub(
        capsys,
        "ingest",
        path,
        "--dataset=registry",
        "--create",
        "--category=test",
        "--title=人员登记",
        "--json",
    )

    assert code == 0, result
    assert (result["status"], result["rows_written"], result["version"]) == ("succeeded", 20, 0)
    assert "header in row 4; skipped 2 title row(s) above it" in result["notes"]
    dataset = Dataset.objects.get(key="registry")
    assert (dataset.title, dataset.category.key, dataset.version, dataset.row_count) == (
        "人员登记",
        "test",
        0,
        20,
    )
    schema = TableSchema.from_dict(dataset.schema)
    assert [(f.title, f.name, f.type, f.pii) for f in schema.fields] == [
        ("人员编号", "person_id", "string", "none"),
        ("姓名", "name", "string", "name"),
        ("身份证号", "id_number", "string", "id_card"),
        ("年龄", "age", "integer", "none"),
        ("评分", "score", "number", "none"),
        ("性别", "gender", "string", "none"),
        ("出生日期", "birth_date", "date", "birth_date"),
        ("登记时间", "registered_at", "datetime", "none"),
        ("是否在册", "is_registered", "boolean", "none"),
        ("区划代码", "region_code", "string", "none"),
    ]
    assert schema.region_field == "region_code"
    assert schema.primary_key == ["person_id"]
    assert "primary key proposed: person_id (人员编号), unique in every record" in result["notes"]


def test_runs_lists_recent_runs_newest_first(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub(capsys, "ingest", write_csv("a.csv", [person(1)]), "--dataset=people")
    hub(capsys, "ingest", write_csv("b.csv", []), "--dataset=people")

    code, items, _ = hub(capsys, "runs", "--json")
    assert code == 0
    assert [(r["status"], r["version"]) for r in items] == [("failed", None), ("succeeded", 0)]
    assert set(items[0]) == RESULT_KEYS

    code, out, _ = hub(capsys, "runs", "--dataset=people", "--limit=1")
    assert code == 0
    assert len(out.splitlines()) == 1 and "failed" in out and "people" in out


def test_catalog_lists_categories_with_their_datasets_rows_and_versions(
    people: Dataset, write_csv: WriteCsv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub(capsys, "ingest", write_csv("a.csv", [person(1), person(2)]), "--dataset=people")

    code, data, _ = hub(capsys, "catalog", "--json")

    assert code == 0
    assert data == [
        {
            "key": "test",
            "name": "测试",
            "name_en": "Test",
            "datasets": [
                {
                    "key": "people",
                    "title": "人员名单",
                    "title_en": "People",
                    "rows": 2,
                    "version": 0,
                }
            ],
        }
    ]
    code, out, _ = hub(capsys, "catalog")
    assert out.splitlines()[0] == "测试 (Test): 1 datasets"


# --- a real process ------------------------------------------------------------------------


def test_a_real_process_on_a_fresh_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    env.update(SHEQU_VAR_DIR=str(tmp_path / "var"), SHEQU_DATA_DIR=str(tmp_path / "data"))
    good = tmp_path / "车辆.csv"
    good.write_text(
        "车牌号,登记日期\n浙A12345,2026/10/31\n浙B54321,2026/11/01\n", encoding="gb18030"
    )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")

    def shequ(*args: str) -> tuple[int, dict[str, Any], str]:
        done = subprocess.run(
            [sys.executable, "-m", "shequ.cli", "hub", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, json.loads(done.stdout or "null"), done.stderr

    code, result, err = shequ("ingest", str(good), "--dataset=vehicles", "--create", "--json")
    assert code == 2
    assert "load the shipped catalog first: shequ hub catalog --load" in result["error"]

    code, catalog, err = shequ("catalog", "--load", "--json")
    assert code == 0 and len(catalog) == 10 and "catalog loaded" in err

    code, result, _ = shequ(
        "ingest", str(good), "--dataset=vehicles", "--create", "--category=traffic", "--json"
    )
    assert code == 0, result
    assert (result["status"], result["rows_written"], result["version"]) == ("succeeded", 2, 0)
    assert "transcoded from GB18030 to UTF-8" in result["notes"]

    code, result, _ = shequ("ingest", str(bad), "--dataset=vehicles", "--json")
    assert (code, result["status"], result["error"]) == (1, "failed", "the file is empty")

    code, runs, _ = shequ("runs", "--json")
    assert [r["status"] for r in runs] == ["failed", "succeeded"]
    assert (tmp_path / "data" / "hub" / "tables" / "vehicles" / "_delta_log").is_dir()
