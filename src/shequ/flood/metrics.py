"""Flood watch metrics: readings stored (counted where they are stored), alerts open and how
fresh the newest reading is (read from the database at scrape time)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Max
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from shequ.core.observability.metrics import LOCAL, gauges
from shequ.flood.models import LEVEL_NAMES, OPEN_STATES, Alert, LatestReading

# Counted by the process that stores them: the web workers (HTTP) and `shequ flood ingest`
# (MQTT) on the machine that serves /metrics (docs/operations.md).
READINGS_STORED = Counter(
    "shequ_flood_readings_stored", "Gauge readings stored (new ones).", registry=LOCAL
)
READINGS_REPEATED = Counter(
    "shequ_flood_readings_repeated",
    "Gauge readings received again for a (device, time) already stored, and ignored.",
    registry=LOCAL,
)


def count_stored(stored: int, repeated: int) -> None:
    if stored:
        READINGS_STORED.inc(stored)
    if repeated:
        READINGS_REPEATED.inc(repeated)


@gauges("flood")
def flood() -> Iterator[Metric]:
    open_alerts = GaugeMetricFamily(
        "shequ_flood_alerts_open",
        "Flood alerts open (firing or acknowledged), by level and state.",
        labels=["level", "state"],
    )
    counts = {
        (row["level"], row["state"]): row["n"]
        for row in Alert.objects.filter(state__in=OPEN_STATES)
        .values("level", "state")
        .annotate(n=Count("id"))
    }
    for level, name in LEVEL_NAMES.items():
        if level:
            for state in OPEN_STATES:
                open_alerts.add_metric([name, str(state)], counts.get((level, state), 0))
    yield open_alerts
    newest = LatestReading.objects.aggregate(at=Max("received_at"))["at"]
    age = GaugeMetricFamily(
        "shequ_flood_newest_reading_age_seconds",
        "Seconds since the platform last received a gauge reading (any device, HTTP or MQTT):"
        " the ingestion's lag; absent before the first reading.",
    )
    if newest is not None:
        age.add_metric([], max((timezone.now() - newest).total_seconds(), 0.0))
    yield age
