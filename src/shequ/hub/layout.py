"""How a dataset's rows are laid out in its data files, so that queries can skip files.

A dataset with a region field and a time field (its first ``datetime`` field, else its first
``date`` field) is *clustered*: compaction (``services.compaction``, an hourly worker job)
rewrites its files sorted by (day, region, time). A file then covers a stretch of days, and
within it each row group (DuckDB's unit of reading) a narrow range of regions on one day; the
Delta log keeps each file's min/max of the region and time columns (the region code is not
personal, so its bounds may sit in the log). The query engine reads only the files whose
bounds can hold rows of the query's region scope and region/time predicates
(``query.pruning``), and DuckDB skips the row groups outside them within a file.

An ingest writes its files in the order DuckDB produces them, unsorted: sorting there cost
the read-check-write step 50 to 100 % more (2 million rows: 1.2-1.8 s, sorted 2.4-2.7 s),
and the time until a run's data can be queried is what the ingest is measured by. A daily or
hourly append covers its own stretch of time anyway, so its files are skipped by time from
the start; compaction sorts them within the hour, and any large unsorted delivery with them.

The day comes first because the platform's queries all have a time range (a week's
indicator, a month's count) while many cover every community; a community's own query has
both, and finds its rows in one row group per day. Sorting by region first would put a
community's whole history in one row group: a week of it would read months.
"""

from django.conf import settings

from shequ.hub.tableschema import TableSchema

# Data files written sorted (by compaction) are named so: the others are in an ingest's order.
CLUSTERED_PREFIX = "part-c-"


def is_clustered(path: str) -> bool:
    return path.rsplit("/", 1)[-1].startswith(CLUSTERED_PREFIX)


def sort_budget() -> int:
    """The most Parquet bytes sorted at once: a quarter of ``SHEQU_HUB_MEMORY_LIMIT``.

    DuckDB's sort spills to disk, but rows several times their compressed size, long texts,
    two threads each pinning blocks, can exhaust a small limit; so compaction sorts the
    files it rewrites in groups of at most this many bytes (a file larger than this alone).
    """
    from shequ.hub.ingest.readers_text import memory_bytes

    return memory_bytes(str(settings.HUB_MEMORY_LIMIT)) // 4


def time_field(schema: TableSchema) -> str:
    """The field a clustered dataset's rows are ordered by after the region, or ""."""
    pii = schema.pii_fields()
    for kind in ("datetime", "date"):
        for f in schema.fields:
            if f.type == kind and f.name not in pii:
                return f.name
    return ""


def cluster_order(schema: TableSchema) -> str:
    """The ORDER BY list (DuckDB SQL) a clustered dataset's files are written in, or ""."""
    columns = cluster_columns(schema)
    if not columns:
        return ""
    quoted = ['"' + c.replace('"', '""') + '"' for c in columns]
    if len(columns) == 2 and schema.field(columns[1]).type == "datetime":
        # Local days (the connection's TimeZone is SHEQU_TIME_ZONE).
        quoted.insert(0, f"date_trunc('day', {quoted[1]})")
    elif len(columns) == 2:
        quoted = [quoted[1], quoted[0]]
    return ", ".join(quoted)


def region_field(schema: TableSchema) -> str:
    """The region field, when it may be used for skipping (it is not personal), or ""."""
    name = schema.region_field
    if not name or name in schema.pii_fields() or name not in schema.names:
        return ""
    return name


def cluster_columns(schema: TableSchema) -> list[str]:
    """The columns a dataset's files are sorted by: (region, time), or none.

    Only a dataset with a region field is clustered: the row scope of every community user
    is a region range, and the platform's own queries (indicators, indices) are per region
    and time range. A dataset without one keeps the order DuckDB writes in (cheapest).
    """
    region = region_field(schema)
    if not region:
        return []
    time = time_field(schema)
    return [region, time] if time else [region]


def skipping_columns(schema: TableSchema) -> dict[str, str]:
    """Columns whose per-file bounds may be used to skip files: name -> schema type."""
    found = {}
    region = region_field(schema)
    if region:
        found[region] = "string"
    time = time_field(schema)
    if time:
        found[time] = schema.field(time).type
    return found
