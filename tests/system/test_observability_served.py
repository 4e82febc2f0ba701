"""`shequ serve --workers 2` as production runs it: /metrics sums both worker processes, and
each request writes one JSON line (with its id) to the server's output."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from system_support import Platform, throwaway_database

TOKEN = "system-scrape-token-9f8e7d"
ID_NUMBER = "110101199003074258"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("observability")
    databases = throwaway_database("shequ_observe")
    url = next(databases)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    env.update(
        SHEQU_VAR_DIR=str(root / "var"),
        SHEQU_METRICS_TOKEN=TOKEN,
        SHEQU_LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
    )
    if url:
        env["SHEQU_DATABASE_URL"] = url
    plat = Platform(var_dir=root / "var", env=env)
    plat.start("web", "serve", "--workers", "2")
    try:
        plat.wait_healthy("web", timeout=180)
        yield plat
    finally:
        plat.stop_all()
        next(databases, None)


def health_count(base: str) -> float:
    """The health route's 200 count, from a scrape on a fresh connection (either worker)."""
    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    for family in text_string_to_metric_families(answer.text):
        for s in family.samples:
            if s.name == "shequ_http_requests_total" and s.labels == {
                "route": "api/v1/health",
                "method": "GET",
                "status": "200",
            }:
                return s.value
    return 0.0


def test_metrics_sum_both_worker_processes(served: Platform) -> None:
    assert httpx.get(f"{served.base}/metrics", timeout=60).status_code == 401
    before = health_count(served.base)
    for _ in range(40):  # a fresh connection each: the kernel hands them to both workers
        assert httpx.get(f"{served.base}/api/v1/health", timeout=60).status_code == 200
    # Whichever worker answers the scrape, it counts all 40.
    totals = {health_count(served.base) for _ in range(8)}
    assert totals == {before + 40}
    files = [p.name for p in (served.var_dir / "metrics").iterdir()]
    writers = {m[1] for name in files if (m := re.match(r"counter_(\d+)", name))}
    assert len(writers) >= 2, f"one process served every request: {writers}"


def test_each_request_writes_one_json_line_with_its_id(served: Platform) -> None:
    answer = httpx.get(
        f"{served.base}/api/v1/health?id_number={ID_NUMBER}",
        headers={"X-Request-ID": "system-probe-0042"},
        timeout=60,
    )
    assert answer.headers["X-Request-ID"] == "system-probe-0042"
    served.wait_for_log("web", '"request_id": "system-probe-0042"', timeout=20)
    found = [
        json.loads(line)
        for line in served.log("web").splitlines()
        if line.startswith("{") and "system-probe-0042" in line
    ]
    assert len(found) == 1
    line = found[0]
    assert (line["logger"], line["method"], line["route"], line["status"]) == (
        "shequ.request",
        "GET",
        "api/v1/health",
        200,
    )
    assert line["duration_ms"] >= 0
    assert ID_NUMBER not in served.log("web")
