"""Benchmark: hub ingestion of a large CSV against DuckDB's own CSV→Parquet and PostgreSQL COPY.

    python bench/hub_ingest.py [--rows N] [--quick] [--only wide]

Prints rows/s for (1) DuckDB COPY read_csv → Parquet on the UTF-8 file, (2) PostgreSQL
loading the same file the way CKAN's DataStore does with XLoader (COPY into a text table,
then the full-text column and its index; see ``postgres_ckan``), and a bare COPY into a
typed unlogged table for reference, (3) the full shequ ingest of the UTF-8 file and (4) of
the GB18030 file, the ratios (3)/(1), (4)/(1), (2)/(3) as times, and peak RSS of (3) and (4);
and (3) against (1) with the schema's column types given to DuckDB (left to itself, it stores
the phone numbers and region codes as integers and the times without their zone).
Ingest times are until the version is queryable (its column statistics come from a job
after the commit, timed apart). Then the cost of the key check across versions (an append
of a tenth as many rows with and without a primary key) and a wide file (2,000 columns x
50 rows, schema inferred) against DuckDB's own copy of it.
With ``--repeat N`` each figure is the fastest of N interleaved runs; ``--only wide`` times
only the wide file.
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.common import cpu_seconds, peak_rss_mib, run_child, setup_django, shequ_env, timer

SCHEMA: dict[str, Any] = {
    "primaryKey": ["record_id"],
    "regionField": "region_code",
    "fields": [
        {
            "name": "record_id",
            "type": "integer",
            "title": "记录编号",
            "constraints": {"required": True},
        },
        {"name": "name", "title": "姓名", "pii": "name", "grade": "important"},
        {
            "name": "plate",
            "title": "车牌号",
            "pii": "plate",
            "grade": "important",
            "constraints": {"maxLength": 10},
        },
        {
            "name": "phone",
            "title": "手机号",
            "pii": "phone",
            "grade": "important",
            "constraints": {"pattern": "1[3-9][0-9]{9}"},
        },
        {"name": "event_time", "type": "datetime", "title": "时间"},
        {"name": "amount", "type": "number", "title": "金额", "constraints": {"minimum": 0}},
        {"name": "visits", "type": "integer", "title": "次数"},
        {"name": "kind", "title": "类型", "constraints": {"enum": ["入", "出", "过"]}},
        {"name": "region_code", "title": "区划代码", "constraints": {"pattern": "[0-9]{12}"}},
        {"name": "note", "title": "备注"},
    ],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def generate_csv(path: Path, rows: int, start: int = 0) -> None:
    """*rows* rows whose record numbers start at *start*."""
    import duckdb

    names = ", ".join(f"'{c}'" for c in SURNAMES)
    duckdb.sql(f"""
        COPY (
          SELECT i AS 记录编号,
                 list_extract([{names}], (i % 20)::INT + 1) || '某' || (i % 97) AS 姓名,
                 '浙A' || lpad(((i * 7919) % 100000)::VARCHAR, 5, '0') AS 车牌号,
                 '13' || lpad(((i * 104729) % 1000000000)::VARCHAR, 9, '0') AS 手机号,
                 TIMESTAMP '2026-01-01 00:00:00' + to_seconds(i % 25000000) AS 时间,
                 round((i % 10000) / 7.0, 2) AS 金额,
                 (i % 50)::BIGINT AS 次数,
                 list_extract(['入', '出', '过'], (i % 3)::INT + 1) AS 类型,
                 '9901020010' || lpad((i % 3 + 1)::VARCHAR, 2, '0') AS 区划代码,
                 CASE WHEN i % 10 = 0 THEN '夜间停放' ELSE '' END AS 备注
          FROM range({start}, {start + rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def to_gb18030(src: Path, dst: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with src.open("rb") as fin, dst.open("w", encoding="gb18030", newline="") as fout:
        while chunk := fin.read(4 << 20):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "datetime": "TIMESTAMPTZ",
}
# The schema's own column types: DuckDB left to itself reads the phone numbers and region
# codes as integers (a leading zero would be lost) and the times without their zone.
SCHEMA_TYPES = {f["title"]: DUCKDB_TYPES[f.get("type", "string")] for f in SCHEMA["fields"]}


def duckdb_baseline(path: Path, out: Path, types: dict[str, str] | None = None) -> float:
    """DuckDB's own CSV to Parquet copy: the types it infers, or *types* (by column)."""
    import duckdb

    read = f"read_csv('{path}')"
    if types:
        listed = ", ".join(f"'{name}': '{kind}'" for name, kind in types.items())
        read = f"read_csv('{path}', types = {{{listed}}})"
    con = duckdb.connect(config={"threads": 2})
    with timer() as t:
        con.execute(f"COPY (SELECT * FROM {read}) TO '{out}' (FORMAT parquet)")
    con.close()
    return t["seconds"]


def _pg_connect() -> Any:
    url = os.environ.get("SHEQU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        return psycopg.connect(url, connect_timeout=3)
    except Exception as exc:  # report and carry on without this baseline
        print(f"postgres copy: skipped ({type(exc).__name__}: {exc})")
        return None


PG_COLUMNS = [
    "记录编号",
    "姓名",
    "车牌号",
    "手机号",
    "时间",
    "金额",
    "次数",
    "类型",
    "区划代码",
    "备注",
]


def postgres_copy(path: Path) -> float | None:
    """A bare COPY into an unlogged, typed table: PostgreSQL's fastest load, no extras."""
    conn = _pg_connect()
    if conn is None:
        return None
    cols = (
        "记录编号 bigint, 姓名 text, 车牌号 text, 手机号 text, 时间 timestamp, "
        "金额 double precision, 次数 bigint, 类型 text, 区划代码 text, 备注 text"
    )
    with conn:
        conn.execute("DROP TABLE IF EXISTS shequ_bench_copy")
        conn.execute(f"CREATE UNLOGGED TABLE shequ_bench_copy ({cols})")
        with timer() as t:
            _copy_in(conn, path, "COPY shequ_bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)")
        conn.execute("DROP TABLE shequ_bench_copy")
    conn.close()
    return t["seconds"]


def _copy_in(conn: Any, path: Path, sql: str) -> None:
    with conn.cursor() as cur, path.open("rb") as fh, cur.copy(sql) as copy:
        while chunk := fh.read(1 << 20):
            copy.write(chunk)


def postgres_ckan(path: Path) -> float | None:
    """The file loaded the way CKAN's DataStore does it with XLoader, timed end to end.

    ckanext-xloader ``loader.py`` (``load_csv``): ``datastore_create`` makes a table of
    text columns (CKAN's ``ckanext/datastore/backend/postgres.py`` ``create_table`` adds
    ``_id serial primary key`` and ``_full_text tsvector``), the full-text trigger is
    disabled, the file is streamed with ``COPY … FROM STDIN (FORMAT csv, HEADER)``, then
    ``_populate_fulltext`` sets ``_full_text = to_tsvector(coalesce(col, '') || ' ' || …)``,
    ``create_column_indexes`` builds the full-text index (``create_indexes``; GiST is
    ``ckan.datastore.default_fts_index_method``'s default) and ``calculate_record_count``
    runs ANALYZE. The table is a normal (logged) one, as the DataStore's are.
    """
    conn = _pg_connect()
    if conn is None:
        return None
    names = ", ".join(f'"{c}"' for c in PG_COLUMNS)
    text_cols = ", ".join(f'"{c}" text' for c in PG_COLUMNS)
    document = " || ' ' || ".join(f"""coalesce("{c}", '')""" for c in PG_COLUMNS)
    conn.autocommit = True
    run = conn.execute
    run("DROP TABLE IF EXISTS shequ_bench_ckan")
    with timer() as t:
        run(
            "CREATE TABLE shequ_bench_ckan "
            f"(_id serial primary key, _full_text tsvector, {text_cols})"
        )
        _copy_in(
            conn,
            path,
            f"COPY shequ_bench_ckan ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)",
        )
        run(f"UPDATE shequ_bench_ckan SET _full_text = to_tsvector({document})")
        run("CREATE INDEX shequ_bench_ckan_fts ON shequ_bench_ckan USING gist(_full_text)")
        run("ANALYZE shequ_bench_ckan")
    run("DROP TABLE shequ_bench_ckan")
    conn.close()
    return t["seconds"]


UNKEYED_SCHEMA = {k: v for k, v in SCHEMA.items() if k != "primaryKey"}


def child(
    var_dir: Path, path: Path, key: str, then_append: Path | None = None, keyed: bool = True
) -> None:
    """Run in a fresh process: ingest one file, print seconds, rows and peak RSS as JSON.

    The time is until the version is queryable: the column statistics are computed by a
    job after the commit, timed apart (``stats_seconds``). *then_append*: a file of new
    keys appended afterwards (its keys are checked against the whole table); its time
    and phases are printed as well. *keyed*: False for the schema without a primary key.
    """
    import json

    setup_django(var_dir)
    from shequ.hub.jobs import version_statistics
    from shequ.hub.models import Category, Dataset
    from shequ.hub.services.runs import ingest_file

    category, _ = Category.objects.get_or_create(
        key="bench", defaults={"name": "基准", "name_en": "Benchmark"}
    )
    dataset = Dataset.objects.create(
        key=key,
        title=key,
        title_en=key,
        category=category,
        tier="street",
        sharing="conditional",
        schema=SCHEMA if keyed else UNKEYED_SCHEMA,
    )
    base_rss = peak_rss_mib()
    cpu = cpu_seconds()
    with timer() as t:
        run = ingest_file(dataset, path, mode="append")
    cpu_queryable = cpu_seconds() - cpu
    with timer() as t_stats:
        if run.version is not None:
            version_statistics.call_local(dataset.pk, run.version)
    appended: dict[str, Any] = {}
    if then_append is not None and run.status == "succeeded":
        with timer() as t2:
            more = ingest_file(dataset, then_append, mode="append")
        appended = {
            "seconds": t2["seconds"],
            "status": more.status,
            "error": more.error,
            "rows": more.rows_written,
            "phases": next((n for n in more.log.splitlines() if n.startswith("time: ")), ""),
        }
    print(
        json.dumps(
            {
                "appended": appended,
                "seconds": t["seconds"],
                "cpu_seconds": cpu_queryable,  # this process and its transcoder
                "stats_seconds": t_stats["seconds"],
                "status": run.status,
                "error": run.error,
                "rows": run.rows_written,
                "rejected": run.rows_rejected,
                # The run's own account of where the time went ("time: input opened …").
                "phases": next((n for n in run.log.splitlines() if n.startswith("time: ")), ""),
                # The transcoder is a process of its own: its peak counts separately.
                "peak_rss_mib": max(peak_rss_mib(), peak_rss_mib(children=True)),
                "start_rss_mib": base_rss,
            }
        )
    )


WIDE_COLUMNS, WIDE_ROWS = 2000, 50


def generate_wide_csv(path: Path, columns: int = WIDE_COLUMNS, rows: int = WIDE_ROWS) -> None:
    """A wide statistical table: integers, amounts, dates and text under Chinese headers."""
    import duckdb

    kinds = [
        "(i * {c} % 1000)::VARCHAR",
        "round((i * {c} % 10000) / 7.0, 2)::VARCHAR",
        "(DATE '2024-01-01' + ((i + {c}) % 300)::INT)::VARCHAR",
        "'类别' || ((i + {c}) % 13)",
    ]
    cols = ", ".join(f'{kinds[c % 4].format(c=c)} AS "指标{c}"' for c in range(columns))
    duckdb.sql(f"COPY (SELECT {cols} FROM range({rows}) t(i)) TO '{path}' (HEADER)")


def wide_child(var_dir: Path, path: Path) -> None:
    """Time until a wide file is queryable as a new dataset: schema inferred, ingested."""
    import json

    setup_django(var_dir)
    from shequ.hub.models import Category
    from shequ.hub.services.catalog import create_dataset_from_file
    from shequ.hub.services.runs import ingest_file

    Category.objects.get_or_create(key="bench", defaults={"name": "基准", "name_en": "Benchmark"})
    with timer() as t_infer:
        dataset, _notes = create_dataset_from_file(
            path, key="bench_wide", category="bench", title="宽表"
        )
    with timer() as t:
        run = ingest_file(dataset, path, mode="append")
    phases = next((n for n in run.log.splitlines() if n.startswith("time: ")), "")
    print(
        json.dumps(
            {
                "infer_seconds": t_infer["seconds"],
                "seconds": t_infer["seconds"] + t["seconds"],
                "status": run.status,
                "error": run.error,
                "rows": run.rows_written,
                "phases": phases,
            }
        )
    )


def report_wide(work: Path, script: str) -> None:
    """Time the wide file (schema inferred, ingested) against DuckDB's copy; print it."""
    wide = work / "wide.csv"
    generate_wide_csv(wide)
    t_wide_duck = duckdb_baseline(wide, work / "wide.parquet")
    r_wide = run_child(
        [script, "--wide-child", str(work / "var"), str(wide)], shequ_env(work / "var")
    )
    if r_wide["status"] != "succeeded" or r_wide["rows"] != WIDE_ROWS:
        raise SystemExit(f"wide ingest did not succeed: {r_wide}")
    print(
        f"ingest wide {WIDE_COLUMNS}x{WIDE_ROWS}: {r_wide['seconds']:.2f} s (baseline duckdb "
        f"read_csv→parquet: {t_wide_duck:.2f} s, ratio {r_wide['seconds'] / t_wide_duck:.1f}; "
        f"schema inferred in {r_wide['infer_seconds']:.2f} s)\n  {r_wide['phases']}"
    )


def best(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated runs (the machine may be busy with other work)."""
    return min(results, key=lambda r: float(r["seconds"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1 million rows")
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each figure N times, keep the fastest"
    )
    parser.add_argument(
        "--only", choices=["wide"], help="time only this figure (wide: the 2,000-column file)"
    )
    parser.add_argument("--child", nargs=3, metavar=("VAR", "FILE", "KEY"), help=argparse.SUPPRESS)
    parser.add_argument("--then-append", help=argparse.SUPPRESS)
    parser.add_argument("--unkeyed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--wide-child", nargs=2, metavar=("VAR", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        then = Path(args.then_append) if args.then_append else None
        child(Path(args.child[0]), Path(args.child[1]), args.child[2], then, not args.unkeyed)
        return
    if args.wide_child:
        wide_child(Path(args.wide_child[0]), Path(args.wide_child[1]))
        return
    if args.only == "wide":
        with tempfile.TemporaryDirectory(prefix="shequ-bench-") as tmp:
            report_wide(Path(tmp), str(Path(__file__).resolve()))
        return
    rows = 1_000_000 if args.quick else args.rows
    repeat = max(1, args.repeat)
    with tempfile.TemporaryDirectory(prefix="shequ-bench-") as tmp:
        work = Path(tmp)
        utf8, gb = work / "events-utf8.csv", work / "events-gb18030.csv"
        generate_csv(utf8, rows)
        to_gb18030(utf8, gb)
        # A tenth as many new rows, appended to the UTF-8 table once: the cost of checking
        # their keys against every row the table holds.
        more = work / "events-more.csv"
        generate_csv(more, max(1, rows // 10), start=rows)
        size = utf8.stat().st_size / 2**20
        print(
            f"input: {rows} rows, {size:.0f} MiB UTF-8, {gb.stat().st_size / 2**20:.0f} MiB GB18030"
        )
        env = shequ_env(work / "var")
        script = str(Path(__file__).resolve())
        durations: list[float] = []
        typed_durations: list[float] = []
        ingests: dict[str, list[dict[str, Any]]] = {"utf8": [], "gb18030": []}
        # Interleave the runs so that a busy spell of the machine hits all figures alike.
        for n in range(repeat):
            durations.append(duckdb_baseline(utf8, work / "baseline.parquet"))
            typed_durations.append(duckdb_baseline(utf8, work / "typed.parquet", SCHEMA_TYPES))
            for label, path in (("utf8", utf8), ("gb18030", gb)):
                key = f"bench_{label}_{n}"
                argv = [script, "--child", str(work / "var"), str(path), key]
                if label == "utf8" and n == 0:
                    argv += ["--then-append", str(more)]
                result = run_child(argv, env)
                if result["status"] != "succeeded" or result["rows"] != rows:
                    raise SystemExit(f"ingest did not succeed: {result}")
                if result["appended"]:
                    appended = result["appended"]
                    if appended["status"] != "succeeded" or appended["rows"] != rows // 10:
                        raise SystemExit(f"append did not succeed: {appended}")
                ingests[label].append(result)
        # The same table and append without a primary key: what the key checks cost.
        plain = [script, "--child", str(work / "var"), str(utf8), "bench_unkeyed", "--unkeyed"]
        unkeyed = run_child([*plain, "--then-append", str(more)], env)
        if unkeyed["status"] != "succeeded" or unkeyed["appended"].get("status") != "succeeded":
            raise SystemExit(f"unkeyed ingest did not succeed: {unkeyed}")
        t_pg = postgres_copy(utf8)
        t_ckan = postgres_ckan(utf8)
        t_duck = min(durations)
        r_utf8, r_gb = best(ingests["utf8"]), best(ingests["gb18030"])
        t_utf8, t_gb = float(r_utf8["seconds"]), float(r_gb["seconds"])
        report(rows, t_duck, t_pg, t_ckan, r_utf8, r_gb, t_utf8, t_gb, ingests["utf8"])
        t_typed = min(typed_durations)
        print(
            f"ingest utf8 against duckdb reading the schema's types: {rows / t_utf8:.0f} rows/s "
            f"(baseline duckdb with phone and region code as text, times with their zone: "
            f"{rows / t_typed:.0f} rows/s, ratio {t_utf8 / t_typed:.2f})"
        )
        report_keys(rows, ingests["utf8"], unkeyed)
        report_wide(work, script)


def report(
    rows: int,
    t_duck: float,
    t_pg: float | None,
    t_ckan: float | None,
    r_utf8: dict[str, Any],
    r_gb: dict[str, Any],
    t_utf8: float,
    t_gb: float,
    ingests_utf8: list[dict[str, Any]],
) -> None:
    rate = lambda t: rows / t  # noqa: E731
    print(f"duckdb csv->parquet: {rate(t_duck):.0f} rows/s ({t_duck:.2f} s)")
    if t_ckan is not None:
        print(
            f"postgres ckan-style load (copy + full text + index): {rate(t_ckan):.0f} rows/s "
            f"({t_ckan:.2f} s; ratio postgres/shequ time {t_ckan / t_utf8:.2f}, target >= 5)"
        )
    if t_pg is not None:
        print(
            f"postgres bare copy: {rate(t_pg):.0f} rows/s ({t_pg:.2f} s; "
            f"ratio postgres/shequ time {t_pg / t_utf8:.2f})"
        )
    print(
        f"ingest utf8 until queryable: {rate(t_utf8):.0f} rows/s (baseline duckdb: "
        f"{rate(t_duck):.0f} rows/s, ratio {t_utf8 / t_duck:.2f}, target <= 1.5; "
        f"cpu {r_utf8['cpu_seconds']:.2f} s; "
        f"statistics job after it {r_utf8['stats_seconds']:.2f} s)"
    )
    print(
        f"ingest gb18030 until queryable: {rate(t_gb):.0f} rows/s (baseline duckdb: "
        f"{rate(t_duck):.0f} rows/s, ratio {t_gb / t_duck:.2f}, target <= 2.5; "
        f"cpu {r_gb['cpu_seconds']:.2f} s; "
        f"statistics job after it {r_gb['stats_seconds']:.2f} s)"
    )
    for label, result in (("utf8", r_utf8), ("gb18030", r_gb)):
        print(f"  {label} {result['phases']}")
    appended = next((r["appended"] for r in ingests_utf8 if r["appended"]), None)
    if appended:
        print(
            f"append of {appended['rows']} new rows to the {rows}-row table "
            f"(keys checked against the table): {appended['seconds']:.2f} s\n"
            f"  {appended['phases']}"
        )
    print(
        f"peak rss: utf8 {r_utf8['peak_rss_mib']:.0f} MiB, gb18030 "
        f"{r_gb['peak_rss_mib']:.0f} MiB (target < 2048 MiB)"
    )
    print(f"extrapolated 1.7 billion rows: {1.7e9 / rate(t_utf8) / 3600:.1f} h at the utf8 rate")


def report_keys(rows: int, ingests_utf8: list[dict[str, Any]], unkeyed: dict[str, Any]) -> None:
    """The append into a table of *rows* rows with its keys checked, against no key."""
    keyed = next((r["appended"] for r in ingests_utf8 if r["appended"]), None)
    if not keyed:
        return
    plain = unkeyed["appended"]
    print(
        f"key check across versions: append of {keyed['rows']} rows to a {rows}-row table "
        f"{keyed['seconds']:.2f} s with the primary key, {plain['seconds']:.2f} s without "
        f"(ratio {keyed['seconds'] / plain['seconds']:.2f}; without a key the rows' content "
        f"digest is taken instead)\n  keyed: {keyed['phases']}\n  unkeyed: {plain['phases']}"
    )
    print(
        f"ingest utf8 without key: {rows / float(unkeyed['seconds']):.0f} rows/s "
        f"({float(unkeyed['seconds']):.2f} s)\n  {unkeyed['phases']}"
    )


if __name__ == "__main__":
    main()
