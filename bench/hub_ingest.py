"""Benchmark: hub ingestion of a large CSV against DuckDB's own CSV→Parquet and PostgreSQL COPY.

    python bench/hub_ingest.py [--rows N] [--quick]

Prints rows/s for (1) DuckDB COPY read_csv → Parquet on the UTF-8 file, (2) PostgreSQL COPY
of the same file into a table, (3) the full shequ ingest of the UTF-8 file and (4) of the
GB18030 file, the ratios (3)/(1), (4)/(1), (2)/(3) as times, and peak RSS of (3) and (4).
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.common import peak_rss_mib, run_child, setup_django, shequ_env, timer

SCHEMA = {
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


def generate_csv(path: Path, rows: int) -> None:
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
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def to_gb18030(src: Path, dst: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with src.open("rb") as fin, dst.open("w", encoding="gb18030", newline="") as fout:
        while chunk := fin.read(4 << 20):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


def duckdb_baseline(path: Path, out: Path) -> float:
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    with timer() as t:
        con.execute(f"COPY (SELECT * FROM read_csv('{path}')) TO '{out}' (FORMAT parquet)")
    con.close()
    return t["seconds"]


def postgres_copy(path: Path) -> float | None:
    url = os.environ.get("SHEQU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        conn = psycopg.connect(url, connect_timeout=3)
    except Exception as exc:  # report and carry on without this baseline
        print(f"postgres copy: skipped ({type(exc).__name__}: {exc})")
        return None
    cols = (
        "记录编号 bigint, 姓名 text, 车牌号 text, 手机号 text, 时间 timestamp, "
        "金额 double precision, 次数 bigint, 类型 text, 区划代码 text, 备注 text"
    )
    with conn:
        conn.execute("DROP TABLE IF EXISTS shequ_bench_copy")
        conn.execute(f"CREATE UNLOGGED TABLE shequ_bench_copy ({cols})")
        with (
            timer() as t,
            conn.cursor() as cur,
            path.open("rb") as fh,
            cur.copy("COPY shequ_bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        conn.execute("DROP TABLE shequ_bench_copy")
    conn.close()
    return t["seconds"]


def child(var_dir: Path, path: Path, key: str) -> None:
    """Run in a fresh process: ingest one file, print seconds, rows and peak RSS as JSON."""
    import json

    setup_django(var_dir)
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
        schema=SCHEMA,
    )
    base_rss = peak_rss_mib()
    with timer() as t:
        run = ingest_file(dataset, path, mode="append")
    print(
        json.dumps(
            {
                "seconds": t["seconds"],
                "status": run.status,
                "error": run.error,
                "rows": run.rows_written,
                "rejected": run.rows_rejected,
                "peak_rss_mib": peak_rss_mib(),
                "start_rss_mib": base_rss,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1 million rows")
    parser.add_argument("--child", nargs=3, metavar=("VAR", "FILE", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2])
        return
    rows = 1_000_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory(prefix="shequ-bench-") as tmp:
        work = Path(tmp)
        utf8, gb = work / "events-utf8.csv", work / "events-gb18030.csv"
        generate_csv(utf8, rows)
        to_gb18030(utf8, gb)
        size = utf8.stat().st_size / 2**20
        print(
            f"input: {rows} rows, {size:.0f} MiB UTF-8, {gb.stat().st_size / 2**20:.0f} MiB GB18030"
        )
        t_duck = duckdb_baseline(utf8, work / "baseline.parquet")
        t_pg = postgres_copy(utf8)
        env = shequ_env(work / "var")
        script = str(Path(__file__).resolve())
        r_utf8 = run_child([script, "--child", str(work / "var"), str(utf8), "bench_utf8"], env)
        r_gb = run_child([script, "--child", str(work / "var"), str(gb), "bench_gb18030"], env)
        for r in (r_utf8, r_gb):
            if r["status"] != "succeeded" or r["rows"] != rows:
                raise SystemExit(f"ingest did not succeed: {r}")
        t_utf8, t_gb = float(r_utf8["seconds"]), float(r_gb["seconds"])  # type: ignore[arg-type]
        rate = lambda t: rows / t  # noqa: E731
        print(f"duckdb csv->parquet: {rate(t_duck):.0f} rows/s ({t_duck:.2f} s)")
        if t_pg is not None:
            print(
                f"postgres copy: {rate(t_pg):.0f} rows/s ({t_pg:.2f} s; "
                f"ratio postgres/shequ time {t_pg / t_utf8:.2f}, target >= 5)"
            )
        print(
            f"ingest utf8: {rate(t_utf8):.0f} rows/s (baseline duckdb: {rate(t_duck):.0f} rows/s, "
            f"ratio {t_utf8 / t_duck:.2f}, target <= 1.5)"
        )
        print(
            f"ingest gb18030: {rate(t_gb):.0f} rows/s (baseline duckdb: {rate(t_duck):.0f} "
            f"rows/s, ratio {t_gb / t_duck:.2f}, target <= 2.5)"
        )
        print(
            f"peak rss: utf8 {r_utf8['peak_rss_mib']:.0f} MiB, gb18030 "
            f"{r_gb['peak_rss_mib']:.0f} MiB (target < 2048 MiB)"
        )
        print(
            f"extrapolated 1.7 billion rows: {1.7e9 / rate(t_utf8) / 3600:.1f} h at the utf8 rate"
        )


if __name__ == "__main__":
    main()
