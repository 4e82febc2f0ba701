"""Benchmark: the dashboards on the demo street (issue 20).

    python bench/dashboard.py [--quick] [--scale N]

Builds the demo (``--scale``, default 10; ``--quick``: 1) in a throwaway folder and computes
every indicator, then prints:

- the time to render the street overview and the big screen for the street's staff (median of
  several renders, in-process through Django's test client, so no HTTP in the figure), and the
  big screen's JSON (what the page asks for every 30 s);
- the slowest SQL indicator through ``hub.query`` (policy, grants, sandbox, audit) against the
  same SQL run directly in DuckDB over the same Parquet files of the Delta tables (baseline,
  same run, same thread and memory settings): the ratio;
- the time of a whole refresh (every indicator, every region) and the peak RSS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from support.common import peak_rss_mib, setup_django, timer

STREET = "990102001000"


def median_seconds(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_duckdb(sources: tuple[str, ...]) -> Any:
    import duckdb
    from django.conf import settings

    from shequ.hub.storage import open_table

    con = duckdb.connect(
        config={"threads": int(settings.HUB_THREADS), "memory_limit": settings.HUB_MEMORY_LIMIT}
    )
    con.execute(f"SET GLOBAL TimeZone = '{settings.TIME_ZONE}'")
    for key in sources:
        table = open_table(key)
        assert table is not None, key
        listed = ", ".join(f"'{p}'" for p in table.file_uris())
        con.execute(f"CREATE VIEW {key} AS SELECT * FROM read_parquet([{listed}])")
    return con


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="demo at scale 1, fewer renders")
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    scale = 1 if args.quick else args.scale
    runs = 3 if args.quick else 10

    with tempfile.TemporaryDirectory(prefix="shequ-bench-dashboard-") as tmp:
        setup_django(Path(tmp) / "var")
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from shequ.dashboard.indicators import REGISTRY, Sql
        from shequ.dashboard.services import compute, refresh
        from shequ.demo.build import build_demo

        with timer() as built:
            build_demo(scale, hub=True)
        print(f"demo at scale {scale}: built in {built['seconds']:.1f} s (indicators included)")
        with timer() as whole:
            rows = refresh.run(force=True)
        print(f"refresh of every indicator: {whole['seconds']:.2f} s ({rows} values)")

        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username="street"))
        for name, url in (
            ("street overview", "/dashboard/"),
            ("big screen", "/dashboard/screen/"),
            ("big screen JSON", "/api/v1/dashboard/screen"),
        ):
            assert client.get(url).status_code == 200
            seconds = median_seconds(lambda url=url: client.get(url), runs)
            print(f"render {name}: {seconds * 1000:.0f} ms (median of {runs})")

        now = timezone.now()
        timed = []
        for indicator in REGISTRY.values():
            if isinstance(indicator.definition, Sql):
                seconds = median_seconds(lambda i=indicator: compute.evaluate(i, now), runs)
                timed.append((seconds, indicator))
        seconds, slowest = max(timed, key=lambda t: t[0])
        sql = slowest.definition
        assert isinstance(sql, Sql)
        con = raw_duckdb(sql.sources)
        baseline = median_seconds(lambda: con.sql(sql.sql).fetchall(), runs)
        print(
            f"slowest SQL indicator {slowest.key}: {seconds * 1000:.0f} ms through hub.query and "
            f"every region (baseline duckdb: {baseline * 1000:.1f} ms, "
            f"ratio {seconds / baseline:.1f})"
        )
        print(f"peak rss: {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
