"""Synthetic hub datasets at scale: up to hundreds of millions of records, for the demo
(``shequ demo --scale 100M``) and the scale benchmark (``bench/hub_scale.py``), one generator.

Four datasets shaped like the platform's own (parking events 40 %, gate passes 25 %, sensor
readings 20 %, service requests 15 % of the records), each with a region field (the given
communities, interleaved) and a time field over *days* days. Each dataset is appended once a
day, as a source delivering daily would: DuckDB writes the day's rows (in arrival order: time
order, communities interleaved) straight into Parquet, and ``ingest.commit.commit_files``
commits them as one Delta version with the same statistics as an ingest (a typed, checked
ingest of CSV through ``runs.ingest_file`` would read and write the data several times over:
at 100 million records, hours instead of minutes). The first day replaces the table, so
running it again refreshes the data instead of adding to it.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START = datetime(2026, 7, 1, tzinfo=UTC)
DATASETS = {  # key -> (share of the records, title, English title)
    "scale_parking_events": (0.40, "规模测试：停车事件", "Scale test: parking events"),
    "scale_gate_passes": (0.25, "规模测试：门禁通行", "Scale test: gate passes"),
    "scale_sensor_readings": (0.20, "规模测试：传感器读数", "Scale test: sensor readings"),
    "scale_service_requests": (0.15, "规模测试：服务工单", "Scale test: service requests"),
}
SCHEMA: dict[str, Any] = {
    "primaryKey": ["record_id"],
    "regionField": "region_code",
    "fields": [
        {"name": "record_id", "type": "integer"},
        {"name": "event_time", "type": "datetime"},
        {"name": "unit_id", "type": "integer"},
        {"name": "kind", "type": "string"},
        {"name": "plate", "type": "string", "pii": "plate", "grade": "important"},
        {"name": "amount", "type": "number"},
        {"name": "region_code", "type": "string"},
    ],
}


@dataclass
class Generated:
    rows: int
    days: int
    seconds: float  # wall clock, generating and committing
    cpu_seconds: float  # this process's CPU time (DuckDB's threads included)
    commit_seconds: float
    commits: int
    files: int
    bytes: int  # on disk, the tables' folders (data files and logs)


def parse_scale(text: str) -> tuple[int, int]:
    """``--scale``: a multiplier of the demo's own rows (``2``), or a number of records for the
    scale datasets with a suffix (``3M``, ``100M``, ``1.7B``, ``500k``); (multiplier, records)."""
    value = text.strip().replace("_", "").replace(",", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMbB])", value)
    if match:
        factor = {"k": 10**3, "m": 10**6, "b": 10**9}[match.group(2).lower()]
        records = int(float(match.group(1)) * factor)
        if records < len(DATASETS):
            raise ValueError(f"--scale {text}: at least {len(DATASETS)} records")
        return 1, records
    if value.isdigit() and int(value) >= 1:
        return int(value), 0
    raise ValueError(
        f"--scale {text!r}: a multiplier (1, 2, …) or a number of records (3M, 100M, 1.7B)"
    )


def create_datasets(category: Any, *, sharing: str = "conditional") -> list[Any]:
    """The four scale datasets in the platform's catalog (created once, kept as they are)."""
    from shequ.hub.models import Dataset

    found = []
    for key, (_share, title, title_en) in DATASETS.items():
        dataset, _ = Dataset.objects.get_or_create(
            key=key,
            defaults={
                "title": title,
                "title_en": title_en,
                "description": "合成数据，用于规模测试（每日追加一次）。",
                "description_en": "Synthetic records for scale tests (appended once a day).",
                "category": category,
                "tier": "street",
                "sharing": sharing,
                "frequency": "daily",
                "schema": SCHEMA,
            },
        )
        found.append(dataset)
    return found


def generate(
    rows: int,
    days: int,
    regions: Sequence[str],
    *,
    threads: int = 2,
    memory_limit: str = "1GB",
    progress: Callable[[str], None] | None = None,
) -> Generated:
    """*rows* records across the scale datasets (which must exist), *days* daily appends each,
    over the community codes *regions*; each dataset's version recorded as the platform's."""
    import duckdb

    from shequ.hub.ingest.cells import literal
    from shequ.hub.ingest.commit import commit_files
    from shequ.hub.ingest.datafiles import COMPRESSION, FILE_SIZE, ROW_GROUP_BYTES, unquote_stats
    from shequ.hub.ingest.summary import DataFile
    from shequ.hub.models import Dataset, DatasetVersion
    from shequ.hub.storage import open_table, staging_dir, table_path, version_rows
    from shequ.hub.tableschema import TableSchema

    if not regions:
        raise ValueError("no region to spread the records over")
    schema = TableSchema.from_dict(SCHEMA)
    codes = "[" + ", ".join(literal(code) for code in regions) + "]"
    started, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    commits, commit_seconds, offset = 0, 0.0, 0
    try:
        for key, (share, *_titles) in DATASETS.items():
            total = int(rows * share)
            per_day = max(1, total // days)
            for day in range(days):
                lo = offset + day * per_day
                out = staging_dir(key) / f"scale-{day}"
                shutil.rmtree(out, ignore_errors=True)
                out.parent.mkdir(parents=True, exist_ok=True)
                # A day's records in arrival order: time order, the communities interleaved.
                result = con.execute(f"""
                    COPY (
                      SELECT i AS record_id,
                             TIMESTAMPTZ '{START:%Y-%m-%d} 00:00:00+00'
                               + to_microseconds(({day} * 86400 + (i - {lo}) * 86400 // {per_day})
                                 * 1000000) AS event_time,
                             (i * 7919) % 10000 AS unit_id,
                             CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END AS kind,
                             '浙' || chr(65 + (i % 8)::INT)
                               || lpad(((i * 104729) % 100000)::VARCHAR, 5, '0') AS plate,
                             round(((i * 31) % 10000) / 100.0, 2) AS amount,
                             {codes}[1 + ((i * 7919) % {len(regions)})::INT] AS region_code
                      FROM range({lo}, {lo + per_day}) t(i)
                    ) TO {literal(str(out))} (FORMAT parquet, COMPRESSION {COMPRESSION},
                      ROW_GROUP_SIZE_BYTES '{ROW_GROUP_BYTES}', FILE_SIZE_BYTES '{FILE_SIZE}',
                      FILENAME_PATTERN 'part-{{uuid}}', RETURN_STATS)
                """).fetchall()
                files = [
                    DataFile(Path(name), int(count), int(size), unquote_stats(stats or {}))
                    for name, count, size, _footer, stats, *_ in result
                    if count
                ]
                t0 = time.perf_counter()
                commit_files(
                    key,
                    schema,
                    files,
                    mode="replace" if day == 0 else "append",
                    run_id=0,
                    file_hash="",
                )
                commit_seconds += time.perf_counter() - t0
                commits += 1
                shutil.rmtree(out, ignore_errors=True)
            offset += per_day * days
            table = open_table(key)
            assert table is not None
            count = version_rows(table)
            dataset = Dataset.objects.get(key=key)
            dataset.version, dataset.row_count = table.version(), count
            dataset.save(update_fields=["version", "row_count"])
            DatasetVersion.objects.create(
                dataset=dataset,
                version=table.version(),
                operation="append",
                row_count=count,
                rows_added=count,
            )
            if progress is not None:
                progress(f"{key}: {count:,} records, version {table.version()}")
    finally:
        con.close()
    return Generated(
        rows=sum(Dataset.objects.get(key=k).row_count for k in DATASETS),
        days=days,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
        commit_seconds=commit_seconds,
        commits=commits,
        files=sum(len(list(table_path(k).glob("*.parquet"))) for k in DATASETS),
        bytes=sum(disk_use(table_path(k)) for k in DATASETS),
    )


def load_demo_scale(
    rows: int, days: int = 90, progress: Callable[[str], None] | None = None
) -> Generated:
    """``shequ demo --scale 100M``: the scale datasets over the demo's communities and
    villages, shared unconditionally (each user reads the rows of their own region)."""
    from shequ.core.models import Region
    from shequ.core.models.regions import RegionLevel
    from shequ.hub.models import Category

    category, _ = Category.objects.get_or_create(
        key="scale", defaults={"name": "规模测试", "name_en": "Scale tests", "order": 99}
    )
    create_datasets(category, sharing="unconditional")
    homes = Region.objects.filter(level__in=[RegionLevel.COMMUNITY, RegionLevel.VILLAGE])
    codes = sorted(homes.values_list("code", flat=True))
    return generate(rows, days, codes, progress=progress)


def disk_use(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def report(done: Generated) -> str:
    rate = done.rows / done.seconds / 1e6 if done.seconds else 0.0
    return (
        f"scale datasets: {done.rows:,} records in {len(DATASETS)} datasets over {done.days} "
        f"days, ingested in {done.seconds:.1f} s ({rate:.2f} M records/s, CPU "
        f"{done.cpu_seconds:.1f} s; {done.commits} daily appends, their commits "
        f"{done.commit_seconds:.1f} s): {done.files} files, {done.bytes / 2**20:,.0f} MiB on "
        f"disk ({done.bytes / max(done.rows, 1):.1f} bytes a record)"
    )
