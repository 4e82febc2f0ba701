"""Delta versions: modes, de-duplication of repeated files, time travel, statistics, lineage.

Also what a killed ingest leaves behind (nothing visible) and how much memory a large
file takes, both with a real ``shequ hub ingest`` process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from hub.factories import PEOPLE_SCHEMA, compute_statistics, make_dataset, person, table_rows
from shequ.core import pii
from shequ.hub.ingest.summary import connect, scan
from shequ.hub.models import Category, Dataset, DatasetVersion, IngestRun, Source
from shequ.hub.services.runs import ingest_file, mark_interrupted_runs
from shequ.hub.storage import commit_info, open_table, stats_dir, table_path, version_stats
from shequ.hub.tableschema import TableSchema

SUCCEEDED, FAILED = IngestRun.Status.SUCCEEDED, IngestRun.Status.FAILED
SKIPPED = IngestRun.Status.SKIPPED
WriteCsv = Callable[..., Path]


def ids(key: str = "people", version: int | None = None) -> list[str]:
    return [r["person_id"] for r in table_rows(key, version)]


def versions(dataset: Dataset) -> list[tuple[int, str, int, int]]:
    return list(
        DatasetVersion.objects.filter(dataset=dataset)
        .order_by("version")
        .values_list("version", "operation", "row_count", "rows_added")
    )


# --- modes ---------------------------------------------------------------------------------


def test_append_adds_rows_as_a_new_version(people: Dataset, write_csv: WriteCsv) -> None:
    first = ingest_file(people, write_csv("a.csv", [person(i) for i in (1, 2)]))
    second = ingest_file(people, write_csv("b.csv", [person(i) for i in (3, 4, 5)]))

    assert (first.version, second.version) == (0, 1)
    assert ids() == ["P0001", "P0002", "P0003", "P0004", "P0005"]
    assert versions(people) == [(0, "append", 2, 2), (1, "append", 5, 3)]
    people.refresh_from_db()
    assert (people.version, people.row_count) == (1, 5)


def test_replace_makes_a_version_with_only_the_new_rows_and_the_old_one_stays_readable(
    people: Dataset, write_csv: WriteCsv
) -> None:
    ingest_file(people, write_csv("old.csv", [person(i, 姓名="旧") for i in (1, 2, 3)]))

    run = ingest_file(people, write_csv("new.csv", [person(9, 姓名="新")]), mode="replace")

    assert run.status == SUCCEEDED and run.version == 1
    assert [(r["person_id"], r["name"]) for r in table_rows("people")] == [("P0009", "新")]
    assert [(r["person_id"], r["name"]) for r in table_rows("people", version=0)] == [
        ("P0001", "旧"),
        ("P0002", "旧"),
        ("P0003", "旧"),
    ]
    assert versions(people) == [(0, "append", 3, 3), (1, "replace", 1, 1)]
    people.refresh_from_db()
    assert people.row_count == 1


def test_appending_the_same_file_again_is_skipped_with_a_clear_message(
    people: Dataset, write_csv: WriteCsv
) -> None:
    path = write_csv("daily.csv", [person(i) for i in (1, 2)])
    first = ingest_file(people, path)

    again = ingest_file(people, path)

    assert again.status == SKIPPED
    assert again.error.startswith(f"skipped: this exact file (SHA-256 {first.file_hash[:12]}")
    assert f"already ingested by run {first.pk} into version 0" in again.error
    assert "would duplicate its rows, so no version was committed" in again.error
    assert again.version is None and again.file_hash == first.file_hash
    assert open_table("people").version() == 0  # type: ignore[union-attr]
    assert ids() == ["P0001", "P0002"]
    assert DatasetVersion.objects.filter(dataset=people).count() == 1


def test_the_same_bytes_under_another_name_are_still_the_same_file(
    people: Dataset, write_csv: WriteCsv, tmp_path: Path
) -> None:
    path = write_csv("daily.csv", [person(1)])
    ingest_file(people, path)
    copy = tmp_path / "daily (1).csv"
    copy.write_bytes(path.read_bytes())

    assert ingest_file(people, copy).status == SKIPPED


def test_appending_a_file_that_a_replace_loaded_is_skipped_until_a_later_replace(
    people: Dataset, write_csv: WriteCsv
) -> None:
    path_a = write_csv("a.csv", [person(1)])
    path_b = write_csv("b.csv", [person(2)])
    ingest_file(people, path_a, mode="replace")

    assert ingest_file(people, path_a).status == SKIPPED  # its rows are in the table
    assert ingest_file(people, path_b, mode="replace").version == 1
    back = ingest_file(people, path_a)  # the replace dropped a's rows: appending is right

    assert back.status == SUCCEEDED and back.version == 2
    assert ids() == ["P0001", "P0002"]


def test_a_failed_run_of_a_file_does_not_stop_it_being_appended_later(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    path = write_csv("rows.csv", [person(1), person(2, 年龄="-5")])
    assert ingest_file(people, path).status == FAILED  # 50% rejected

    run = ingest_file(people, path, source=make_source(max_reject_rate=0.5))

    assert run.status == SUCCEEDED and ids() == ["P0001"]


def test_upsert_updates_rows_by_primary_key_and_inserts_new_keys(
    people: Dataset, write_csv: WriteCsv
) -> None:
    ingest_file(people, write_csv("v0.csv", [person(i, 年龄="30") for i in (1, 2, 3)]))

    run = ingest_file(
        people,
        write_csv("v1.csv", [person(2, 年龄="31", 姓名="李四"), person(4, 年龄="40")]),
        mode="upsert",
    )

    assert run.status == SUCCEEDED, run.error
    assert (run.version, run.rows_written) == (1, 2)
    assert [(r["person_id"], r["name"], r["age"]) for r in table_rows("people")] == [
        ("P0001", "张三", 30),
        ("P0002", "李四", 31),
        ("P0003", "张三", 30),
        ("P0004", "张三", 40),
    ]
    assert versions(people) == [(0, "append", 3, 3), (1, "upsert", 4, 2)]
    assert [r["age"] for r in table_rows("people", version=0)] == [30, 30, 30]


def test_upserting_the_same_file_twice_changes_nothing_but_commits_a_version(
    people: Dataset, write_csv: WriteCsv
) -> None:
    path = write_csv("v.csv", [person(i) for i in (1, 2)])
    ingest_file(people, path, mode="upsert")

    again = ingest_file(people, path, mode="upsert")

    assert again.status == SUCCEEDED and again.version == 1
    assert ids() == ["P0001", "P0002"]


def test_upsert_into_a_new_table_creates_it(people: Dataset, write_csv: WriteCsv) -> None:
    run = ingest_file(people, write_csv("v0.csv", [person(1)]), mode="upsert")

    assert run.status == SUCCEEDED and run.version == 0
    assert ids() == ["P0001"]


@pytest.mark.parametrize("existing", [False, True])
def test_upsert_without_a_primary_key_fails_clearly_and_commits_nothing(
    category: Category, write_csv: WriteCsv, existing: bool
) -> None:
    schema = {k: v for k, v in PEOPLE_SCHEMA.items() if k != "primaryKey"}
    dataset = make_dataset(category, "no_key", schema)
    if existing:
        assert ingest_file(dataset, write_csv("v0.csv", [person(1)])).version == 0

    run = ingest_file(dataset, write_csv("v1.csv", [person(2)]), mode="upsert")

    assert run.status == FAILED
    assert run.error == (
        "upsert merges rows by primary key, but this dataset's schema has none: "
        "declare a primaryKey or use append or replace"
    )
    table = open_table("no_key")
    assert (table.version() if table else None) == (0 if existing else None)


def test_an_unknown_mode_is_refused(people: Dataset, write_csv: WriteCsv) -> None:
    from shequ.hub.ingest.staging import IngestError

    with pytest.raises(IngestError, match="mode must be one of replace, append, upsert"):
        ingest_file(people, write_csv("a.csv", [person(1)]), mode="merge")


def test_a_refused_run_leaves_no_stray_data_files_in_the_table_folder(
    people: Dataset, write_csv: WriteCsv
) -> None:
    ingest_file(people, write_csv("v0.csv", [person(i) for i in range(1, 11)]))
    files_before = sorted(p.name for p in table_path("people").glob("*.parquet"))

    bad = [person(i, 年龄="x" if i % 2 else "1") for i in range(20, 60)]
    assert ingest_file(people, write_csv("bad.csv", bad)).status == FAILED

    assert sorted(p.name for p in table_path("people").glob("*.parquet")) == files_before


def test_a_field_added_to_the_schema_widens_the_table_on_the_next_append(
    people: Dataset, write_csv: WriteCsv
) -> None:
    ingest_file(people, write_csv("v0.csv", [person(1)]))
    people.schema = {
        **PEOPLE_SCHEMA,
        "fields": [*PEOPLE_SCHEMA["fields"], {"name": "remark", "title": "备注"}],
    }
    people.save()

    run = ingest_file(people, write_csv("v1.csv", [{**person(2), "备注": "新增"}]))

    assert run.status == SUCCEEDED, run.error
    assert [(r["person_id"], r["remark"]) for r in table_rows("people")] == [
        ("P0001", None),
        ("P0002", "新增"),
    ]
    compute_statistics()
    stats = DatasetVersion.objects.get(dataset=people, version=1).stats
    assert stats["columns"]["remark"] == {"nulls": 1, "distinct": 1, "min": "新增", "max": "新增"}


# --- statistics and lineage ------------------------------------------------------------------


def test_each_version_records_rows_nulls_distinct_min_and_max(
    people: Dataset, write_csv: WriteCsv
) -> None:
    rows = [
        person(1, 年龄="30", 评分="1.5", 出生日期="1990-01-01", 登记时间="2026-10-31 08:00"),
        person(2, 年龄="", 评分="2.5", 出生日期="1985-06-30", 登记时间="2026-11-01 09:30"),
        person(3, 年龄="45", 评分="", 出生日期="", 登记时间="", 是否在册="否"),
    ]
    run = ingest_file(people, write_csv("stats.csv", rows))
    compute_statistics()

    version = DatasetVersion.objects.get(dataset=people, version=0)
    assert version.run == run and version.row_count == 3 and version.stats["rows"] == 3
    columns = version.stats["columns"]
    assert columns["person_id"] == {"nulls": 0, "distinct": 3, "min": "P0001", "max": "P0003"}
    assert columns["age"] == {"nulls": 1, "distinct": 2, "min": "30", "max": "45"}
    assert columns["score"] == {"nulls": 1, "distinct": 2, "min": "1.5", "max": "2.5"}
    assert columns["sex"] == {"nulls": 0, "distinct": 2, "min": "女", "max": "男"}
    assert columns["born"] == {
        "nulls": 1,
        "distinct": 2,
        "min": "1985-06-30",
        "max": "1990-01-01",
    }
    # Stored in UTC, summarised in UTC whatever the server's time zone.
    assert columns["seen_at"] == {
        "nulls": 1,
        "distinct": 2,
        "min": "2026-10-31 00:00:00+00",
        "max": "2026-11-01 01:30:00+00",
    }
    assert columns["active"] == {"nulls": 0, "distinct": 2, "min": "false", "max": "true"}


def test_personal_columns_get_counts_but_no_min_or_max_anywhere(
    people: Dataset, write_csv: WriteCsv
) -> None:
    id_number = pii.make_id_number("110101", date(1990, 1, 1), 5)
    ingest_file(people, write_csv("pii.csv", [person(1, 姓名="王小明", 身份证号=id_number)]))
    compute_statistics()

    stats = DatasetVersion.objects.get(dataset=people).stats["columns"]
    assert stats["name"] == {"nulls": 0, "distinct": 1, "min": None, "max": None}
    assert stats["id_number"] == {"nulls": 0, "distinct": 1, "min": None, "max": None}
    # Nor in the Delta log's per-file statistics, which any table reader can see.
    log_text = "".join(
        p.read_text(encoding="utf-8") for p in (table_path("people") / "_delta_log").glob("*.json")
    )
    assert "王小明" not in log_text and id_number not in log_text


def test_data_files_carry_delta_statistics_that_readers_use_to_skip_files(
    people: Dataset, write_csv: WriteCsv
) -> None:
    ingest_file(people, write_csv("a.csv", [person(i, 年龄=str(20 + i)) for i in (1, 2)]))
    ingest_file(people, write_csv("b.csv", [person(i, 年龄=str(60 + i)) for i in (3, 4)]))
    table = open_table("people")
    assert table is not None

    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert sorted((a["num_records"], a["min.age"], a["max.age"]) for a in actions) == [
        (2, 21, 22),
        (2, 63, 64),
    ]
    seen = [a["min.seen_at"] for a in actions]
    assert seen == [datetime(2026, 10, 31, 0, 0, tzinfo=UTC)] * 2
    older = table.to_pyarrow_table(filters=[("age", ">", 50)]).to_pylist()
    assert [r["person_id"] for r in older] == ["P0003", "P0004"]


def test_file_statistics_of_sub_millisecond_times_still_bound_every_row(
    people: Dataset, write_csv: WriteCsv
) -> None:
    # The Delta log keeps times to the millisecond: the minimum is rounded down and the
    # maximum up, so a filter on the exact value still finds the row.
    exact = "2026-10-31 08:00:00.123456"
    ingest_file(people, write_csv("t.csv", [person(1, 登记时间=exact)]))
    table = open_table("people")
    assert table is not None
    stored = datetime(2026, 10, 31, 0, 0, 0, 123456, tzinfo=UTC)

    for op in (">=", "<=", "="):
        found = table.to_pyarrow_table(filters=[("seen_at", op, stored)]).num_rows
        assert found == 1, op
    action = pa.table(table.get_add_actions(flatten=True)).to_pylist()[0]
    assert action["min.seen_at"] == datetime(2026, 10, 31, 0, 0, 0, 123000, tzinfo=UTC)
    assert action["max.seen_at"] == datetime(2026, 10, 31, 0, 0, 0, 124000, tzinfo=UTC)


def test_each_version_records_its_lineage(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    source = make_source()
    first = ingest_file(people, write_csv("a.csv", [person(1)]), source=source)
    second = ingest_file(people, write_csv("b.csv", [person(2)]), source=source, mode="upsert")

    v0, v1 = DatasetVersion.objects.filter(dataset=people).order_by("version")
    assert (v0.run, v0.previous, v0.operation) == (first, None, "append")
    assert (v1.run, v1.previous, v1.operation) == (second, 0, "upsert")
    assert (v0.file_hash, v1.file_hash) == (first.file_hash, second.file_hash)
    assert v1.run is not None and v1.run.source == source
    assert first.file_hash != second.file_hash
    info = commit_info(open_table("people"))  # type: ignore[arg-type]
    assert info["shequ.run"] == str(second.pk)
    assert info["shequ.file_hash"] == second.file_hash
    assert info["shequ.mode"] == "upsert"
    history = {h["version"]: h for h in open_table("people").history()}  # type: ignore[union-attr]
    assert history[0]["shequ.run"] == str(first.pk)
    assert history[0]["shequ.mode"] == "append"


def test_interrupted_runs_are_marked_failed_only_when_stale(people: Dataset) -> None:
    stale = IngestRun.objects.create(
        dataset=people,
        mode="append",
        status=IngestRun.Status.RUNNING,
        started=datetime.now(UTC) - timedelta(hours=7),
    )
    fresh = IngestRun.objects.create(
        dataset=people,
        mode="append",
        status=IngestRun.Status.RUNNING,
        started=datetime.now(UTC),
    )

    assert mark_interrupted_runs() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == FAILED and stale.finished is not None
    assert stale.error == "the ingest process stopped before finishing; no version was committed"
    assert fresh.status == IngestRun.Status.RUNNING


# --- a real ingest process: killed halfway, and its memory ------------------------------------


def shequ_env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    env.update(
        SHEQU_VAR_DIR=str(tmp_path / "var"),
        SHEQU_DATA_DIR=str(data_dir),
        TMPDIR=str(tmp_path / "tmp"),
        PYTHONUNBUFFERED="1",
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def shequ(env: dict[str, str], *args: str, check: bool = True) -> dict[str, Any]:
    """Run ``python -m shequ.cli ARGS --json`` and return its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "shequ.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def shequ_python(env: dict[str, str], code: str) -> Any:
    """Run Python against the subprocess's database; the code sets ``result`` (JSON)."""
    script = (
        "import json, django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shequ.settings')\n"
        "django.setup()\n" + code + "\nprint(json.dumps(result))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def generate_csv(path: Path, rows: int, note_chars: int = 0) -> None:
    """Rows of a simple registry (编号 名称 金额 日期 区划代码 [备注]) written by DuckDB."""
    note = f", repeat(md5(CAST(i AS VARCHAR)), {note_chars // 32}) AS 备注" if note_chars else ""
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            "COPY (SELECT i AS 编号, '名称' || i AS 名称, round(i * 0.37, 2) AS 金额, "
            "DATE '2026-01-01' + CAST(i % 300 AS INTEGER) AS 日期, "
            f"'990102001001' AS 区划代码{note} FROM range(1, {rows + 1}) t(i)) "
            f"TO '{path}' (HEADER)"
        )


@pytest.mark.xdist_group("kill")
def test_killing_the_ingest_halfway_leaves_the_previous_version_exactly_as_it_was(
    tmp_path: Path, settings: Any
) -> None:
    data = Path(settings.DATA_DIR)  # this test process reads the same tables
    env = shequ_env(tmp_path, data)
    small = tmp_path / "small.csv"
    generate_csv(small, 50)
    shequ(env, "hub", "catalog", "--load", "--json")
    created = shequ(env, "hub", "ingest", str(small), "--dataset", "registry", "--create", "--json")
    assert (created["status"], created["version"]) == ("succeeded", 0)
    table = data / "hub" / "tables" / "registry"
    staging = data / "hub" / "staging" / "registry"  # a run's data files before its commit

    killed = False
    for rows in (4_000_000, 8_000_000, 16_000_000):  # bigger if it finished too soon
        before = open_table("registry")
        assert before is not None
        expected = before.version()
        original = before.to_pyarrow_table().sort_by("code").to_pylist()
        assert len(original) == 50
        original_files = set(table.glob("*.parquet"))
        big = tmp_path / "big.csv"
        generate_csv(big, rows)
        proc = subprocess.Popen(
            [sys.executable, "-m", "shequ.cli", "hub", "ingest", str(big), "--dataset", "registry"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Halfway: the run's own data files are being written but not yet committed.
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            new = set(table.glob("*.parquet")) - original_files
            new |= set(staging.glob("*/*.parquet"))
            if any(p.stat().st_size > 1_000_000 for p in new if p.exists()):
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.02)
        proc.wait(timeout=30)
        if killed:
            break
        shequ(
            env, "hub", "ingest", str(small), "--dataset", "registry", "--mode", "replace", "--json"
        )
    assert killed, "the ingest always finished before it could be killed"
    big.unlink()

    assert proc.returncode == -signal.SIGKILL
    written = set(table.glob("*.parquet")) - original_files | set(staging.glob("*/*.parquet"))
    assert written, "killed before writing anything"
    after = open_table("registry")
    assert after is not None and after.version() == expected
    assert after.to_pyarrow_table().sort_by("code").to_pylist() == original

    state = shequ_python(
        env,
        "from datetime import timedelta\n"
        "from shequ.hub.models import Dataset, IngestRun\n"
        "from shequ.hub.services.runs import mark_interrupted_runs\n"
        "run = IngestRun.objects.latest('pk')\n"
        "before = run.status\n"
        "marked = mark_interrupted_runs(older_than=timedelta(0))\n"
        "run.refresh_from_db()\n"
        "d = Dataset.objects.get(key='registry')\n"
        "result = [before, marked, run.status, run.error, run.version, d.version, d.row_count,"
        " d.versions.count()]",
    )
    assert state == [
        "running",
        1,
        "failed",
        "the ingest process stopped before finishing; no version was committed",
        None,
        expected,
        50,
        expected + 1,
    ]


def test_a_file_larger_than_the_memory_it_uses_ingests_in_bounded_memory(
    tmp_path: Path, settings: Any
) -> None:
    """Peak memory does not grow with the input: a 1.1 GB file takes what a 0.27 GB one does.

    Both are measured on the same machine in the same way, so what the allocator keeps
    (which differs between machines) is in both figures and cancels out.
    """
    data = Path(settings.DATA_DIR)
    env = shequ_env(tmp_path, data)
    env["SHEQU_HUB_MEMORY_LIMIT"] = "256MB"
    small = tmp_path / "small.csv"
    generate_csv(small, 50, note_chars=768)
    shequ(env, "hub", "catalog", "--load", "--json")
    shequ(env, "hub", "ingest", str(small), "--dataset", "notes", "--create", "--json")

    # Report the child's own peak resident memory (not other tests' children): VmHWM, which
    # belongs to the process's memory map since exec. ru_maxrss would not do: Linux keeps it
    # across fork and exec, so a child of a test process that had grown to 1.6 GB reports 1.6 GB.
    measure = (
        "import re, sys\n"
        "from pathlib import Path\n"
        "from shequ.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "hwm = re.search(r'VmHWM:\\s*(\\d+) kB', Path('/proc/self/status').read_text())\n"
        "print('peak', hwm[1] if hwm else 0, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )

    def ingest(rows: int, version: int) -> tuple[int, int]:
        """(file size, peak RSS) of an ingest of *rows* rows, both in bytes."""
        path = tmp_path / f"rows-{rows}.csv"
        generate_csv(path, rows, note_chars=768)
        size = path.stat().st_size
        command = ["hub", "ingest", str(path), "--dataset", "notes", "--json"]
        try:
            done = subprocess.run(
                [sys.executable, "-c", measure, *command],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            path.unlink()
        assert done.returncode == 0, done.stdout + done.stderr
        result = json.loads(done.stdout)
        assert (result["status"], result["rows_written"], result["version"]) == (
            "succeeded",
            rows,
            version,
        )
        return size, int(done.stderr.split("peak")[-1]) * 1024  # VmHWM is in KiB

    quarter, quarter_peak = ingest(350_000, 1)
    size, peak = ingest(1_400_000, 2)
    assert size > 1_000 * 2**20
    assert quarter_peak > 0, "the child reported no peak memory"
    mib = 2**20
    shown = (
        f"peak RSS {peak / mib:.0f} MiB for {size / mib:.0f} MiB, "
        f"{quarter_peak / mib:.0f} MiB for {quarter / mib:.0f} MiB"
    )
    assert peak < size, shown
    # Four times the input may cost a tenth of the extra bytes at most (it costs ~1 %).
    assert peak - quarter_peak < 0.1 * (size - quarter), shown


def test_statistics_kept_by_each_ingest_equal_a_full_scan_of_the_version(
    people: Dataset, write_csv: WriteCsv
) -> None:
    schema = TableSchema.from_dict(PEOPLE_SCHEMA)
    first = [person(i, 年龄="" if i % 7 == 0 else str(i % 50)) for i in range(1, 41)]
    later = [person(i, 评分="", 登记时间="2026-11-01 09:30:00.25") for i in range(41, 71)]
    ingest_file(people, write_csv("v0.csv", first))
    ingest_file(people, write_csv("v1.csv", later))  # append: merged with version 0's
    ingest_file(people, write_csv("v2.csv", first[:5]), mode="replace")
    compute_statistics()

    for version in (0, 1, 2):
        recorded = DatasetVersion.objects.get(dataset=people, version=version).stats
        table = open_table("people", version=version)
        assert table is not None
        con = connect(1, "256MB")
        try:
            full = scan(con, table.file_uris(), schema).stats(schema)
            exact = con.execute(
                "SELECT count(DISTINCT person_id), count(DISTINCT age), count(*) - count(score) "
                f"FROM read_parquet({table.file_uris()})"
            ).fetchone()
        finally:
            con.close()
        assert recorded == full, version
        assert abs(recorded["columns"]["person_id"]["distinct"] - exact[0]) <= 1
        assert abs(recorded["columns"]["age"]["distinct"] - exact[1]) <= 1
        assert recorded["columns"]["score"]["nulls"] == exact[2]
        assert (stats_dir("people") / f"v{version}.json").is_file()
    v1 = DatasetVersion.objects.get(dataset=people, version=1).stats
    assert v1["rows"] == 70 and v1["columns"]["person_id"]["max"] == "P0070"
    assert v1["columns"]["seen_at"]["max"] == "2026-11-01 01:30:00.25+00"
    assert v1["columns"]["name"] == {"nulls": 0, "distinct": 1, "min": None, "max": None}
    saved = (stats_dir("people") / "v1.json").read_text(encoding="utf-8")
    assert "张三" not in saved  # never a personal value in clear

    # Without its saved summary a version's statistics come from a full scan (and are saved).
    for path in stats_dir("people").glob("*.json"):
        path.unlink()
    table = open_table("people", version=1)
    assert table is not None
    assert version_stats(table, schema) == v1
    assert (stats_dir("people") / "v1.json").is_file()


def test_bounds_of_long_text_that_file_statistics_leave_out_come_from_the_new_files(
    category: Category, write_csv: WriteCsv
) -> None:
    schema_dict = {"fields": [{"name": "code"}, {"name": "note", "title": "备注"}]}
    dataset = make_dataset(category, "notes", schema_dict)
    rows = [{"code": str(i), "备注": "长" * 200 + str(i)} for i in range(1, 6)]
    ingest_file(dataset, write_csv("notes.csv", rows))
    compute_statistics()

    recorded = DatasetVersion.objects.get(dataset=dataset, version=0).stats
    note = recorded["columns"]["note"]
    assert (note["min"], note["max"]) == ("长" * 57 + "…", "长" * 57 + "…")
    assert note["distinct"] == 5 and note["nulls"] == 0
    table = open_table("notes")
    assert table is not None
    schema = TableSchema.from_dict(schema_dict)
    con = connect(1, "256MB")
    try:
        assert scan(con, table.file_uris(), schema).stats(schema) == recorded
    finally:
        con.close()
