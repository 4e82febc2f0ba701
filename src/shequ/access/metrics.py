"""Access control metrics, read from the database at scrape time: alerts waiting for staff."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from shequ.access.models import Alert, Colour, WelfareCheck
from shequ.core.observability.metrics import gauges


@gauges("access")
def access() -> Iterator[Metric]:
    alerts = GaugeMetricFamily(
        "shequ_access_alerts_open",
        "Abnormal status alerts at the gates not yet acknowledged, by health-code colour.",
        labels=["colour"],
    )
    counts = dict(
        Alert.objects.filter(status=Alert.Status.OPEN)
        .values_list("colour")
        .annotate(n=Count("id"))
        .values_list("colour", "n")
    )
    for colour in Colour.values:
        alerts.add_metric([colour], counts.get(colour, 0))
    yield alerts
    yield GaugeMetricFamily(
        "shequ_access_welfare_checks_open",
        "Welfare checks (elders unseen at any door) waiting for a visit or call.",
        value=WelfareCheck.objects.filter(outcome=WelfareCheck.Outcome.OPEN).count(),
    )
