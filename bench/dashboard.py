"""Benchmark: the dashboards on the demo street (issue 20).

    python bench/dashboard.py [--quick] [--scale N]

Builds the demo (``--scale``, default 10; ``--quick``: 1) in a throwaway folder and computes
every indicator, then prints:

- the time to render the street overview and the big screen for the street's staff (median of
  several renders, in-process through Django's test client, so no HTTP in the figure), and the
  big screen's JSON (what the page asks for every 30 s), each against the same SELECTs that
  render made, run directly on the platform database's connection (baseline: what the page
  costs beyond its queries);
- the slowest SQL indicator through ``hub.query`` (policy, grants, sandbox, audit) against the
  same SQL run directly in DuckDB over the same Parquet files of the Delta tables (baseline,
  same run, same thread and memory settings): the ratio;
- the time of a whole refresh (every indicator, every region).

One line per figure, each with its baseline, the ratio and the peak RSS so far.
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


def raw_selects(client: Any, url: str) -> list[str]:
    """The SELECTs one render of ``url`` makes, as the database ran them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]


def run_raw(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def line(figure: str, seconds: float, baseline: str, base_seconds: float) -> None:
    print(
        f"{figure}: {seconds * 1000:.1f} ms (baseline {baseline}: {base_seconds * 1000:.1f} ms, "
        f"ratio {seconds / base_seconds:.1f}; peak rss {peak_rss_mib():.0f} MiB)"
    )


def sql_of(indicator: Any) -> Any:
    from shequ.dashboard.indicators import Sql

    assert isinstance(indicator.definition, Sql)
    return indicator.definition


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
    parser.add_argument(
        "--quick", action="store_true", help="fewer renders, and the demo at scale 1 by default"
    )
    parser.add_argument(
        "--scale", type=int, default=None, help="the demo's scale, as `shequ demo --scale` (10)"
    )
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else (1 if args.quick else 10)
    if scale < 1:
        parser.error("--scale must be 1 or more")
    runs = 3 if args.quick else 10

    with tempfile.TemporaryDirectory(prefix="shequ-bench-dashboard-") as tmp:
        setup_django(Path(tmp) / "var")
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from shequ.dashboard.indicators import REGISTRY, Sql
        from shequ.dashboard.services import compute, refresh
        from shequ.demo.build import build_demo
        from shequ.hub.services.public import has_data

        with timer() as built:
            build_demo(scale, hub=True)
        print(
            f"demo at scale {scale}: built in {built['seconds']:.1f} s (indicators included; "
            f"peak rss {peak_rss_mib():.0f} MiB)"
        )
        with timer() as whole:
            rows = refresh.run(force=True)

        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username="street"))
        for name, url in (
            ("street overview", "/dashboard/"),
            ("big screen", "/dashboard/screen/"),
            ("big screen JSON", "/api/v1/dashboard/screen"),
        ):
            assert client.get(url).status_code == 200
            seconds = median_seconds(lambda url=url: client.get(url), runs)
            selects = raw_selects(client, url)
            baseline = median_seconds(lambda s=selects: run_raw(s), runs)
            line(
                f"render {name} (median of {runs})",
                seconds,
                f"its {len(selects)} SELECTs run directly",
                baseline,
            )

        now = timezone.now()
        timed = []
        for indicator in REGISTRY.values():
            definition = indicator.definition
            if isinstance(definition, Sql) and all(has_data(k) for k in definition.sources):
                seconds = median_seconds(lambda i=indicator: compute.evaluate(i, now), runs)
                timed.append((seconds, indicator))
        con = raw_duckdb(tuple({s for _, i in timed for s in sql_of(i).sources}))
        direct = {
            i.key: median_seconds(lambda i=i: con.sql(sql_of(i).sql).fetchall(), runs)
            for _, i in timed
        }
        seconds, slowest = max(timed, key=lambda t: t[0])
        line(
            f"slowest SQL indicator {slowest.key} through hub.query, every region",
            seconds,
            "the same SQL directly in DuckDB",
            direct[slowest.key],
        )
        line(
            f"refresh of every indicator ({rows} values, flowback included)",
            whole["seconds"],
            f"the {len(direct)} SQL indicators' queries directly in DuckDB",
            sum(direct.values()),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
