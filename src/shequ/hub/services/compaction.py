"""Compaction: a dataset appended often holds many small data files; rewrite them as few.

Each append commits its own files (an hourly source makes 24 a day), and a query opens every
file of its version, so small files cost time in every query. ``compact`` reads a table's
small files with DuckDB and writes their rows again as large files (``FILE_SIZE``), sorted
as the dataset is clustered (``hub.layout``: day, region, time) so that each new file and
row group covers a narrow range and queries skip the others; the new files get the same
Delta statistics as an ingest's (``ingest.commit.DataFileActions``: no personal values in
the log). One Delta commit removes the small files from the table and adds the new ones,
both with ``dataChange`` false: the rows are the same.

Versions stay readable: compaction deletes nothing from disk, so a version from before the
compaction, pinned in a query, a notice or a change feed, reads its own files as before,
until ``services.vacuum`` expires the replaced files (``HUB_VACUUM_RETENTION_HOURS`` after
this commit; a week by default). The compacted version is recorded like a run's (``DatasetVersion``,
operation ``compact``) with the statistics of the version it was made from, and becomes the
dataset's version; subscribers are not told of it (no row changed).

A run committing at the same time: compaction works on the version the platform records as
the dataset's, gives up when the table has a newer one (a run not yet recorded), and checks
again just before its commit; an append that lands in between is kept (the commit removes
only the files it rewrote).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from deltalake import CommitProperties
from deltalake.transaction import RemoveAction
from django.conf import settings
from django.db import transaction

from shequ.core.files import write_atomically
from shequ.hub.ingest.cells import ident, literal
from shequ.hub.ingest.commit import DataFileActions
from shequ.hub.ingest.datafiles import (
    COMPRESSION,
    FILE_SIZE,
    ROW_GROUP_BYTES,
    connect,
    unquote_stats,
)
from shequ.hub.ingest.summary import DataFile
from shequ.hub.layout import (
    CLUSTERED_PREFIX,
    cluster_order,
    is_clustered,
    sort_budget,
    time_field,
)
from shequ.hub.models import Dataset, DatasetVersion
from shequ.hub.storage import (
    fingerprint,
    open_table,
    staging_dir,
    stats_dir,
    version_rows,
)
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema

log = logging.getLogger(__name__)

OPERATION = "compact"


@dataclass
class Compaction:
    dataset: str
    version: int  # the new version
    previous: int
    files_removed: int
    files_added: int
    bytes_removed: int
    bytes_added: int
    seconds: float


def small_file_bytes() -> int:
    return int(settings.HUB_COMPACT_SMALL_MB) * 2**20


def compact(dataset: Dataset, *, min_files: int | None = None) -> Compaction | None:
    """Rewrite the small files of the dataset's current version, and for a clustered one
    its unclustered files; None when nothing to do.

    Small files wait until there are ``HUB_COMPACT_MIN_FILES`` of them (or ``min_files``);
    an unclustered file of at least ``HUB_COMPACT_SMALL_MB`` (a large delivery) is rewritten
    at the next run.
    """
    started = time.perf_counter()
    least = int(settings.HUB_COMPACT_MIN_FILES) if min_files is None else min_files
    if dataset.version is None:
        return None
    table = open_table(dataset.key)
    if table is None or table.version() != dataset.version:
        return None  # no table, or a commit the platform has not recorded yet: next time
    schema = TableSchema.from_dict(dataset.schema)
    columns = [f.name for f in table.schema().fields]
    if set(columns) != set(schema.names):
        return None  # fields added since the files were written: a later run widens them
    groups = _groups(pa.table(table.get_add_actions(flatten=True)), schema)
    small = [f for group in groups for f in group]
    clustered = bool(cluster_order(schema))
    large_unsorted = [
        f for f in small if clustered and not is_clustered(f[0]) and f[1] >= small_file_bytes()
    ]
    if len(small) - len(large_unsorted) < max(2, least) and not large_unsorted:
        return None
    root = Path(table.table_uri.removeprefix("file://"))
    out = staging_dir(dataset.key) / f"compact-{uuid.uuid4().hex}"
    out.mkdir(parents=True)
    try:
        files = []
        for i, group in enumerate(groups):
            files += _rewrite(root, [p for p, _ in group], schema, out / f"group-{i}")
        latest = open_table(dataset.key)
        if latest is None or latest.version() != table.version():
            log.info("compaction of %s gave way to a newer version", dataset.key)
            return None
        adds = DataFileActions(root, schema).adopt(files, data_change=False)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    now = int(time.time() * 1000)
    removes = [RemoveAction(path, False, now, size) for path, size in small]
    table.create_write_transaction(
        [*adds, *removes],
        mode="append",
        schema=table.schema(),
        commit_properties=CommitProperties(
            custom_metadata={"shequ.mode": OPERATION, "shequ.compacted": str(len(small))}
        ),
    )
    version = _our_version(dataset.key, table.version(), {a.path for a in adds})
    _record(dataset, table.version(), version)
    return Compaction(
        dataset=dataset.key,
        version=version,
        previous=table.version(),
        files_removed=len(small),
        files_added=len(adds),
        bytes_removed=sum(s for _, s in small),
        bytes_added=sum(a.size for a in adds),
        seconds=time.perf_counter() - started,
    )


def _groups(actions: pa.Table, schema: TableSchema) -> list[list[tuple[str, int]]]:
    """The files to rewrite, (path, size), in groups sorted at once: the small files, and
    for a clustered dataset every file not written clustered (an ingest's, of any size).

    Files are taken in time order (their earliest time, else when they were added), so a
    group covers consecutive appends, and cut into groups of at most ``sort_budget`` bytes:
    each is sorted within the memory limit, and a table of any size is compacted a
    bounded piece at a time. A group of one file is left as it is.
    """
    clustered = bool(cluster_order(schema))
    time = time_field(schema)
    column = f"min.{time}"
    earliest = (
        actions.column(column).to_pylist()
        if time and column in actions.column_names
        else [None] * actions.num_rows
    )
    found = sorted(
        (
            (low is None, low if low is not None else 0, added, path, size)
            for path, size, added, low in zip(
                actions.column("path").to_pylist(),
                actions.column("size_bytes").to_pylist(),
                actions.column("modification_time").to_pylist(),
                earliest,
                strict=True,
            )
            if size < small_file_bytes() or (clustered and not is_clustered(path))
        ),
        key=lambda row: (row[0], str(row[1]), row[2]),
    )
    groups: list[list[tuple[str, int]]] = [[]]
    budget = sort_budget()
    for *_, path, size in found:
        if groups[-1] and sum(s for _, s in groups[-1]) + size > budget:
            groups.append([])
        groups[-1].append((path, size))
    # A group of one small file that is already clustered is left as it is.
    return [g for g in groups if len(g) > 1 or (g and clustered and not is_clustered(g[0][0]))]


def _rewrite(root: Path, paths: list[str], schema: TableSchema, out: Path) -> list[DataFile]:
    """The rows of *paths* as large files in *out*, sorted by the cluster columns."""
    names = ", ".join(literal(str(root / p)) for p in paths)
    cols = ", ".join(
        f"CAST({ident(f.name)} AS {DUCKDB_TYPES[f.type]}) AS {ident(f.name)}" for f in schema.fields
    )
    order = cluster_order(schema)
    options = (
        f"FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE_BYTES '{ROW_GROUP_BYTES}', "
        f"FILE_SIZE_BYTES '{FILE_SIZE}', "
        f"FILENAME_PATTERN '{CLUSTERED_PREFIX if order else 'part-'}{{uuid}}', RETURN_STATS"
    )
    with tempfile.TemporaryDirectory(prefix="shequ-compact-") as tmp:
        con = connect(Path(tmp))
        try:
            result = con.execute(
                f"COPY (SELECT {cols} FROM read_parquet([{names}], union_by_name = true)"
                f"{f' ORDER BY {order}' if order else ''}) TO {literal(str(out))} ({options})"
            ).fetchall()
        finally:
            con.close()
    return [
        DataFile(Path(name), int(count), int(size), unquote_stats(stats or {}))
        for name, count, size, _footer, stats, *_ in result
        if count
    ]


def _our_version(key: str, read: int, added: set[str]) -> int:
    """The version our commit became (a run's append may have landed just before it)."""
    table = open_table(key)
    assert table is not None
    for version in range(read + 1, table.version() + 1):
        entry = open_table(key, version)
        assert entry is not None
        paths = {uri.rsplit("/", 1)[-1] for uri in entry.file_uris()}
        if added <= paths:
            return version
    raise RuntimeError(f"the compaction of {key} is not in its table's log")


def _record(dataset: Dataset, previous: int, version: int) -> None:
    """The compacted version: same rows, so the previous version's statistics and summary."""
    table = open_table(dataset.key, version)
    assert table is not None
    rows = version_rows(table)
    before = DatasetVersion.objects.filter(dataset=dataset, version=previous).first()
    summary = stats_dir(dataset.key) / f"v{previous}.json"
    if summary.exists() and version == previous + 1:
        data = json.loads(summary.read_text(encoding="utf-8"))
        data["fingerprint"] = fingerprint(table)
        target = stats_dir(dataset.key) / f"v{version}.json"
        write_atomically(target, json.dumps(data).encode())
    with transaction.atomic():
        DatasetVersion.objects.create(
            dataset=dataset,
            version=version,
            operation=OPERATION,
            row_count=rows,
            rows_added=0,
            # The same rows as the version it was made from (when nothing came in between).
            stats=before.stats if before is not None and version == previous + 1 else {},
            previous=version - 1,
        )
        Dataset.objects.filter(pk=dataset.pk, version__lt=version).update(
            version=version, row_count=rows
        )
    dataset.refresh_from_db()


def compact_all() -> list[Compaction]:
    """Compact every dataset that has enough small files (the worker's hourly job)."""
    done = []
    for dataset in Dataset.objects.filter(version__isnull=False).order_by("key"):
        try:
            result = compact(dataset)
        except Exception:  # one damaged table must not stop the others
            log.exception("compaction of %s failed", dataset.key)
            continue
        if result is not None:
            log.info(
                "compacted %s: %d files into %d (version %d)",
                result.dataset,
                result.files_removed,
                result.files_added,
                result.version,
            )
            done.append(result)
    return done
