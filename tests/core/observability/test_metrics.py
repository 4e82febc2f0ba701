"""``/metrics``: the token, the Prometheus format, counters that move with requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from core.observability.scraping import TOKEN, scrape, value


def test_metrics_do_not_exist_without_a_configured_token(db: None, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_metrics_refuse_a_missing_or_wrong_token_with_401(
    db: None, token: str, header: str | None
) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = Client().get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"shequ_http_requests" not in response.content


def test_metrics_answer_get_only(db: None, token: str) -> None:
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


def test_request_counters_move_by_route_not_path(db: None, token: str) -> None:
    before = scrape()
    client = Client()
    for _ in range(3):
        assert client.get("/api/v1/health").status_code == 200
    assert client.get("/no/such/page/110101199003074258").status_code == 404
    after = scrape()
    route = {"route": "api/v1/health", "method": "GET"}
    assert value(after, "shequ_http_requests_total", status="200", **route) == (
        value(before, "shequ_http_requests_total", status="200", **route) + 3
    )
    assert value(after, "shequ_http_request_duration_seconds_count", **route) == (
        value(before, "shequ_http_request_duration_seconds_count", **route) + 3
    )
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "shequ_http_requests_total", **unmatched) == (
        value(before, "shequ_http_requests_total", **unmatched) + 1
    )
    # No path, identifier or query string reaches a label: the routes are URL patterns.
    routes = {dict(labels).get("route", "") for labels in after["shequ_http_requests_total"]}
    assert not any("110101" in r for r in routes)


def test_an_invented_method_is_counted_as_other(db: None, token: str) -> None:
    Client().generic("BREW", "/api/v1/health")
    labels = {dict(k).get("method") for k in scrape()["shequ_http_requests_total"]}
    assert "BREW" not in labels
    assert "other" in labels


def test_scrape_time_gauges_are_there_when_nothing_happened(db: None, token: str) -> None:
    metrics = scrape()
    assert value(metrics, "shequ_queue_pending_tasks") >= 0
    assert value(metrics, "shequ_flood_alerts_open", level="red", state="firing") == 0
    assert value(metrics, "shequ_access_alerts_open", colour="red") == 0
    assert value(metrics, "shequ_hub_ingest_rows_total", outcome="written") == 0
    assert "shequ_access_welfare_checks_open" in metrics
    assert metrics["shequ_metrics_source_errors"] == {
        (("source", name),): 0.0 for name in ("access", "flood", "hub", "queue")
    }
    # No reading yet: no age at all rather than a made-up one.
    assert "shequ_flood_newest_reading_age_seconds" not in metrics


def test_queue_depth_counts_tasks_waiting_for_the_worker(db: None, token: str) -> None:
    from huey.contrib.djhuey import HUEY

    from shequ.core.jobs import notify_people_task
    from shequ.core.transports.base import Message

    HUEY.flush()
    try:
        notify_people_task([1], Message(title="t", body="b"))
        notify_people_task([2], Message(title="t", body="b"))
        assert value(scrape(), "shequ_queue_pending_tasks") == 2
    finally:
        HUEY.flush()


def test_a_failing_source_is_reported_and_the_others_still_show(
    db: None, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shequ.core.observability import metrics

    def broken() -> Any:
        raise RuntimeError("database away")

    scrape()  # discovery done
    monkeypatch.setitem(metrics._sources, "hub", broken)
    found = scrape()
    assert value(found, "shequ_metrics_source_errors", source="hub") == 1
    assert value(found, "shequ_metrics_source_errors", source="flood") == 0
    assert "shequ_hub_ingest_rows_total" not in found
    assert "shequ_flood_alerts_open" in found


@pytest.fixture
def token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN
