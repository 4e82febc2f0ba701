"""Benchmark: the hub at scale, before and after the clustered layout, on the same data.

    python bench/hub_scale.py [--rows N] [--days D] [--quick] [--repeat N]

Generates N records (default 100 million; --quick: 3 million over 30 days) across four
datasets shaped like the platform's own (parking events 40 %, gate passes 25 %, sensor
readings 20 %, service requests 15 %), each with a region field (200 communities of 10
streets) and a time field over D days (default 90). Each dataset is appended once a day, as
a source delivering daily would: DuckDB writes the day's rows (in arrival order: time order,
communities interleaved) straight into Parquet, and ``ingest.commit.commit_files`` commits
them as one Delta version with the same statistics as an ingest (``shequ.demo.scale``, the
generator of ``shequ demo --scale 100M``). That is the table as the hub has kept it until
now: many small files, each covering every community.

Then ``services.compaction`` rewrites each table's small files sorted by (day, region, time), as
the worker's hourly job does, into a new version; the old version stays readable, so both
layouts hold exactly the same rows. The platform's own queries are timed on each (best of
--repeat runs):

  indicator  per community over one week (platform code, ``run_query_system``)
  community  one community's rows over a week (community staff: row scope + time range)
  street     a count of one street's rows over a month (street staff)
  indices    per community over a week across all four datasets (a UNION ALL)
  full scan  average per hour x unit over the whole table (no predicate: for reference)

in three states: before (the small unsorted files, no file skipping: the hub until now),
before + skipping (file skipping alone) and after (compacted, clustered, skipping), with the
ratio before/after, the files read, ingestion and compaction times, disk use (and after the
expiry of the replaced files, ``services.vacuum``), and each time
extrapolated to 1.7 billion records assuming it grows linearly with the rows scanned after
skipping (i.e. 17 times as many rows in the same communities and weeks: the worst case; a
longer history of the same density would not add rows to a week's query).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shequ.demo import scale
from shequ.demo.scale import DATASETS, START
from support.common import peak_rss_mib, run_child, setup_django, shequ_env

STREETS, COMMUNITIES = 10, 20  # communities per street
DISTRICT = "990102000000"
MAIN = "scale_parking_events"
HOME = "990102001001"  # the community user's community
STREET = "990102001000"  # the street user's street


def community(street: int, number: int) -> str:
    return f"990102{street:03d}{number:03d}"


def queries(days: int) -> dict[str, tuple[str, str]]:
    """name -> (who runs it, SQL)."""
    week0 = START + timedelta(days=days * 2 // 3)
    week1 = week0 + timedelta(days=7)
    month0 = START + timedelta(days=max(0, days - 30))
    w0, w1, m0 = (d.strftime("%Y-%m-%d %H:%M:%S") for d in (week0, week1, month0))
    week = f"event_time >= '{w0}' AND event_time < '{w1}'"
    union = " UNION ALL ".join(f"SELECT region_code FROM {key} WHERE {week}" for key in DATASETS)
    return {
        "indicator": (
            "platform",
            f"SELECT region_code, count(*) AS n, sum(amount) AS total FROM {MAIN} "
            f"WHERE {week} GROUP BY region_code ORDER BY region_code",
        ),
        "community": (
            "community",
            f"SELECT event_time, unit_id, kind, plate, amount FROM {MAIN} WHERE {week} "
            "ORDER BY event_time, unit_id, amount",
        ),
        "street": (
            "street",
            f"SELECT count(*) AS n FROM {MAIN} WHERE event_time >= '{m0}'",
        ),
        "indices": (
            "platform",
            f"SELECT region_code, count(*) AS n FROM ({union}) GROUP BY region_code "
            "ORDER BY region_code",
        ),
        "full scan": (
            "platform",
            f"SELECT date_trunc('hour', event_time) AS hour, unit_id, avg(amount) AS a "
            f"FROM {MAIN} GROUP BY ALL ORDER BY a DESC, hour, unit_id LIMIT 20",
        ),
    }


# ---------------------------------------------------------------------------------------------
# Child 1: the catalog, and the tables appended once a day
# ---------------------------------------------------------------------------------------------


def _catalog() -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from shequ.core.models import Membership, Region, Role
    from shequ.core.models.regions import RegionLevel
    from shequ.hub.models import Category, Grant

    parent = None
    for code, level in (
        ("990000000000", RegionLevel.PROVINCE),
        ("990100000000", RegionLevel.CITY),
        (DISTRICT, RegionLevel.DISTRICT),
    ):
        parent = Region.objects.create(code=code, name=code, level=level, parent=parent)
    for s in range(1, STREETS + 1):
        street = Region.objects.create(
            code=community(s, 0), name=f"街道{s}", level=RegionLevel.STREET, parent=parent
        )
        for c in range(1, COMMUNITIES + 1):
            Region.objects.create(
                code=community(s, c),
                name=f"社区{s}-{c}",
                level=RegionLevel.COMMUNITY,
                parent=street,
            )
    users = {}
    for name, code, role in (
        ("community", HOME, Role.COMMUNITY_STAFF),
        ("street", STREET, Role.STREET_STAFF),
    ):
        user = get_user_model().objects.create(username=f"bench-{name}")
        Membership.objects.create(user=user, region=Region.objects.get(code=code), role=role)
        users[name] = user
    category = Category.objects.create(key="bench", name="基准", name_en="Benchmark")
    for dataset in scale.create_datasets(category):
        for user in users.values():
            Grant.objects.create(
                dataset=dataset, grantee=user, valid_from=timezone.now() - timedelta(minutes=1)
            )


def generate(var_dir: Path, rows: int, days: int) -> dict[str, Any]:
    """The records, generated and committed by ``shequ.demo.scale`` (as ``shequ demo --scale``)."""
    setup_django(var_dir)
    _catalog()
    codes = [
        community(1 + k // COMMUNITIES, 1 + k % COMMUNITIES) for k in range(STREETS * COMMUNITIES)
    ]
    done = scale.generate(rows, days, codes)
    return {
        "seconds": done.seconds,
        "cpu_seconds": done.cpu_seconds,
        "commit_seconds": done.commit_seconds,
        "commits": done.commits,
        "rows": done.rows,
        "bytes": done.bytes,
        "files": done.files,
    }


# ---------------------------------------------------------------------------------------------
# Child 2: before, compaction, after
# ---------------------------------------------------------------------------------------------


def _files_read(user: Any, sql: str, versions: dict[str, int]) -> tuple[int, int, int]:
    """Files the query reads, of how many, and the rows those files hold (main dataset)."""
    import pyarrow as pa

    from shequ.hub.query import policy
    from shequ.hub.query.binding import Run, bind_views, resolve
    from shequ.hub.storage import open_table

    run = Run(user=user, sql=sql)
    checked = policy.check(sql)
    bind_views(run, checked, resolve(run, checked), versions, None)
    read = total = rows = 0
    for view in run.views.values():
        table = open_table(view.dataset.key, view.version)
        assert table is not None
        actions = pa.table(table.get_add_actions(flatten=True))
        counts = dict(
            zip(
                actions.column("path").to_pylist(),
                actions.column("num_records").to_pylist(),
                strict=True,
            )
        )
        names = {f.rsplit("/", 1)[-1] for f in view.read_files}
        read += len(names)
        total += len(view.files)
        rows += sum(int(counts[n]) for n in names)
    return read, total, rows


def measure(var_dir: Path, rows: int, days: int, repeat: int) -> dict[str, Any]:
    setup_django(var_dir)
    import pyarrow as pa
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from shequ.hub.models import Dataset
    from shequ.hub.query import run_query, run_query_system
    from shequ.hub.services import compaction, vacuum
    from shequ.hub.storage import open_table, table_path

    users = {
        "community": get_user_model().objects.get(username="bench-community"),
        "street": get_user_model().objects.get(username="bench-street"),
    }
    plan = queries(days)

    def run(name: str, every: dict[str, int]) -> Any:
        who, sql = plan[name]
        versions = {k: v for k, v in every.items() if k in sql}
        if who == "platform":
            return run_query_system(sql, version=versions, limit=1_000_000, timeout=3600).table
        return run_query(users[who], sql, version=versions, limit=1_000_000, timeout=3600).table

    def timed(versions: dict[str, int], pruning: bool) -> dict[str, Any]:
        settings.HUB_FILE_PRUNING = pruning
        out: dict[str, Any] = {}
        for name, (who, sql) in plan.items():
            first = run(name, versions)  # warm-up (footers cached, as on a serving process)
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                run(name, versions)
                best = min(best, time.perf_counter() - t0)
            user = None if who == "platform" else users[who]
            read, total, scanned = _files_read(
                user, sql, {k: v for k, v in versions.items() if k in sql}
            )
            out[name] = {
                "seconds": best,
                "files": [read, total],
                "rows_scanned": scanned,
                "result": first.to_pylist(),
            }
        return out

    before_versions = {k: Dataset.objects.get(key=k).version for k in DATASETS}
    result: dict[str, Any] = {"before": timed(before_versions, False)}
    result["before_skipping"] = timed(before_versions, True)
    compacted: dict[str, Any] = {}
    t0 = time.perf_counter()
    for key in DATASETS:
        done = compaction.compact(Dataset.objects.get(key=key), min_files=2)
        assert done is not None, key
        compacted[key] = {
            "seconds": done.seconds,
            "files": [done.files_removed, done.files_added],
            "bytes_added": done.bytes_added,
        }
    result["compaction"] = {"seconds": time.perf_counter() - t0, "tables": compacted}
    after_versions = {k: Dataset.objects.get(key=k).version for k in DATASETS}
    result["after"] = timed(after_versions, True)
    for name in plan:
        a, b = result["before"][name]["result"], result["after"][name]["result"]
        if _rounded(a) != _rounded(b):
            raise SystemExit(f"{name}: before and after disagree")
        if _rounded(result["before_skipping"][name]["result"]) != _rounded(a):
            raise SystemExit(f"{name}: skipping changed the result")
    indicator_after = _rounded(result["after"]["indicator"]["result"])
    for state in ("before", "before_skipping", "after"):
        for name in plan:
            result[state][name]["result_rows"] = len(result[state][name].pop("result"))
    result["bytes_all"] = sum(
        sum(f.stat().st_size for f in table_path(k).rglob("*") if f.is_file()) for k in DATASETS
    )
    current = 0
    for key in DATASETS:
        table = open_table(key)
        assert table is not None
        current += sum(
            pa.table(table.get_add_actions(flatten=True)).column("size_bytes").to_pylist()
        )
    result["bytes_current"] = current
    # Expiry (services.vacuum) with a retention of 0 hours, as once the retention has passed:
    # the replaced files go, the compacted version reads the same.
    t0 = time.perf_counter()
    expired = [vacuum.vacuum(Dataset.objects.get(key=k), hours=0) for k in DATASETS]
    vacuum_seconds = time.perf_counter() - t0
    if _rounded(run("indicator", after_versions).to_pylist()) != indicator_after:
        raise SystemExit("indicator: the compacted version reads otherwise after expiry")
    result["vacuum"] = {
        "seconds": vacuum_seconds,
        "files": sum(v.files for v in expired),
        "bytes": sum(v.bytes for v in expired),
        "bytes_all": sum(
            sum(f.stat().st_size for f in table_path(k).rglob("*") if f.is_file()) for k in DATASETS
        ),
    }
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def _rounded(rows: list[dict[str, Any]]) -> list[Any]:
    return [[round(v, 6) if isinstance(v, float) else v for v in r.values()] for r in rows]


# ---------------------------------------------------------------------------------------------
# Parent
# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--quick", action="store_true", help="3 million records over 30 days")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query and state")
    parser.add_argument("--keep", help="keep the generated data in this folder")
    parser.add_argument("--child", nargs=5, metavar=("MODE", "VAR", "ROWS", "DAYS", "REPEAT"))
    args = parser.parse_args()
    if args.child:
        mode, var, n, d, r = args.child
        if mode == "generate":
            out = generate(Path(var), int(n), int(d))
        else:
            out = measure(Path(var), int(n), int(d), int(r))
        print(json.dumps(out, default=str))
        return
    rows, days = (3_000_000, 30) if args.quick else (args.rows, args.days)
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="shequ-bench-scale-"))
    try:
        var = tmp / "var"
        env = shequ_env(var) | {"SHEQU_DEBUG": "0", "RUST_LOG": "error"}
        script = str(Path(__file__).resolve())

        def child(mode: str) -> dict[str, Any]:
            argv = [script, "--child", mode, str(var), str(rows), str(days), str(args.repeat)]
            return run_child(argv, env)

        gen = child("generate")
        mib = gen["bytes"] / 2**20
        print(
            f"ingested {gen['rows']:,} records into {len(DATASETS)} datasets over {days} days "
            f"in {gen['seconds']:.1f} s ({gen['rows'] / gen['seconds'] / 1e6:.2f} M rows/s; "
            f"{gen['commits']} daily appends, their commits {gen['commit_seconds']:.1f} s): "
            f"{gen['files']} files, {mib:,.0f} MiB ({gen['bytes'] / gen['rows']:.1f} bytes a "
            "record)"
        )
        m = child("measure")
        comp = m["compaction"]
        files = sum(t["files"][0] for t in comp["tables"].values())
        into = sum(t["files"][1] for t in comp["tables"].values())
        print(
            f"compaction: {files} files into {into}, {comp['seconds']:.1f} s "
            f"({gen['rows'] / comp['seconds'] / 1e6:.2f} M rows/s); disk: current versions "
            f"{m['bytes_current'] / 2**20:,.0f} MiB, with the versions before compaction kept "
            f"{m['bytes_all'] / 2**20:,.0f} MiB"
        )
        vac = m["vacuum"]
        print(
            f"expiry (vacuum, as once SHEQU_HUB_VACUUM_RETENTION_HOURS has passed): "
            f"{vac['files']} replaced files, {vac['bytes'] / 2**20:,.0f} MiB deleted in "
            f"{vac['seconds']:.2f} s; disk: {m['bytes_all'] / 2**20:,.0f} MiB before, "
            f"{vac['bytes_all'] / 2**20:,.0f} MiB after"
        )
        scale = 1.7e9 / gen["rows"]
        print(
            f"{'query':<10} {'before':>8} {'+skip':>8} {'after':>8} {'ratio':>6}  "
            f"{'files before':>12} {'files after':>11} {'rows in files read after':>25}  "
            "1.7 bn (after)"
        )
        for name in queries(days):
            b, s, a = (m[k][name] for k in ("before", "before_skipping", "after"))
            print(
                f"{name:<10} {b['seconds']:>7.2f}s {s['seconds']:>7.2f}s {a['seconds']:>7.2f}s "
                f"{b['seconds'] / a['seconds']:>5.1f}x  {b['files'][0]:>5}/{b['files'][1]:<6} "
                f"{a['files'][0]:>5}/{a['files'][1]:<5} {a['rows_scanned']:>25,}  "
                f"{a['seconds'] * scale:.1f} s (before {b['seconds'] * scale:.1f} s)"
            )
        if gen["rows"] < 50_000_000:
            print(
                "(below 50 million records fixed costs dominate: the 1.7 bn column is no forecast)"
            )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"peak rss {m['peak_rss_mib']:.0f} MiB; best of {args.repeat} runs each; "
            f"load average {load} on {os.cpu_count()} CPUs; extrapolation linear in rows "
            f"scanned ({scale:.1f}x the records in the same communities and weeks)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
