"""Hub metrics, read from the database at scrape time: ingestion runs and their rows.

The row totals are sums over the finished runs, so they count the work of every worker on
every machine, and only go down when runs are deleted.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from shequ.core.observability.metrics import gauges
from shequ.hub.models import IngestRun


@gauges("hub")
def hub() -> Iterator[Metric]:
    rows = CounterMetricFamily(
        "shequ_hub_ingest_rows",
        "Rows of finished hub ingestion runs, by outcome (written to a dataset, rejected to "
        "quarantine).",
        labels=["outcome"],
    )
    done = IngestRun.objects.filter(finished__isnull=False).aggregate(
        written=Sum("rows_written"), rejected=Sum("rows_rejected")
    )
    rows.add_metric(["written"], done["written"] or 0)
    rows.add_metric(["rejected"], done["rejected"] or 0)
    yield rows
    runs = GaugeMetricFamily(
        "shequ_hub_ingest_runs", "Hub ingestion runs, by status.", labels=["status"]
    )
    counts = dict(
        IngestRun.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    for status in IngestRun.Status.values:
        runs.add_metric([status], counts.get(status, 0))
    yield runs
