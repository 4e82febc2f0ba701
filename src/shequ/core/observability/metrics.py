"""Prometheus metrics: requests counted in each process, the platform's state read at scrape.

Request counters and latency histograms live in the process that served the request. Under
``shequ serve`` the web workers are several processes: ``serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` (under ``SHEQU_VAR_DIR``, emptied as it starts) before it forks
them, each worker writes its values to memory-mapped files there, and a scrape, whichever
worker answers it, sums them all (prometheus_client's multiprocess mode). Without the
variable (tests, ``manage runserver``) the values are the process's own.

The platform's state (alerts open, the job queue, ingestion) is read from the database and
the queue at scrape time by the ``metrics`` module of each app (``@gauges``), so it is the
same whichever process answers and counts work done by every process on every machine.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from django.utils.module_loading import autodiscover_modules
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# This process's own values (also written to the shared directory in multiprocess mode).
LOCAL = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "shequ_http_requests",
    "HTTP requests answered, by route (the URL pattern, never the path), method and status.",
    ["route", "method", "status"],
    registry=LOCAL,
)
HTTP_DURATION = Histogram(
    "shequ_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response leaves Django), by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=LOCAL,
)

GaugeSource = Callable[[], Iterable[Metric]]
_sources: dict[str, GaugeSource] = {}
_discovered = threading.Event()


def gauges(name: str) -> Callable[[GaugeSource], GaugeSource]:
    """Register a function yielding metric families read at scrape time (an app's ``metrics``
    module); ``name`` labels it in ``shequ_metrics_source_errors``."""

    def register(source: GaugeSource) -> GaugeSource:
        _sources[name] = source
        return source

    return register


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method).observe(seconds)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class _Local(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from LOCAL.collect()


class _Scraped(Collector):
    """Every app's gauges; a source that fails is logged and counted, the others still show."""

    def collect(self) -> Iterator[Metric]:
        if not _discovered.is_set():
            autodiscover_modules("metrics")
            _discovered.set()
        errors = GaugeMetricFamily(
            "shequ_metrics_source_errors",
            "1 when a source of scrape-time metrics failed in this scrape (see the log).",
            labels=["source"],
        )
        started = time.perf_counter()
        for name, source in sorted(_sources.items()):
            try:
                families = list(source())
            except Exception:  # one broken source must not hide the others
                log.exception("metrics source %s failed", name)
                errors.add_metric([name], 1)
                continue
            errors.add_metric([name], 0)
            yield from families
        yield errors
        yield GaugeMetricFamily(
            "shequ_metrics_scrape_seconds",
            "Time taken to read the scrape-time metrics from the database and the queue.",
            value=time.perf_counter() - started,
        )


def render() -> bytes:
    """The Prometheus text exposition of all metrics, summed over the web processes."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_Local())
    registry.register(_Scraped())
    return generate_latest(registry)
