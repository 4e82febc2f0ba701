"""Scrape-time metrics of the core: the background job queue (huey)."""

from __future__ import annotations

from collections.abc import Iterator

from huey.contrib.djhuey import HUEY
from prometheus_client.core import GaugeMetricFamily, Metric

from shequ.core.observability.metrics import gauges


@gauges("queue")
def queue() -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "shequ_queue_pending_tasks",
        "Background tasks waiting for `shequ worker` (huey's queue).",
        value=HUEY.pending_count(),
    )
    yield GaugeMetricFamily(
        "shequ_queue_scheduled_tasks",
        "Background tasks scheduled for later (retries, delayed tasks).",
        value=HUEY.scheduled_count(),
    )
