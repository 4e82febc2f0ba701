"""Stop the server with SIGTERM while requests are in flight, start it again on the same var dir.

The same answers afterwards, and every write that was acknowledged before the stop is still
there. The var dir was built by `shequ demo --no-serve` (the child that `shequ demo` runs);
it is then served by `shequ serve --workers 1` and by `shequ serve --workers 2`.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import httpx
import pytest
from system_support import Platform, api_headers, assert_clean, json_items

READS = (
    "/api/v1/parking/indices/idle-night-spaces?estate=E001",
    "/api/v1/hub/datasets/public_parking_lots",
    "/api/v1/parking/garages",
    "/api/v1/regions",
)


def snapshot(client: httpx.Client) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for url in READS:
        answer = client.get(url, timeout=30)
        assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
        seen[url] = answer.json()
    count = client.post(
        "/api/v1/hub/query",
        json={"sql": "SELECT count(*) FROM public_parking_lots"},
        headers=api_headers(client),
        timeout=30,
    )
    assert count.status_code == 200, count.text[:300]
    seen["query"] = count.json()["rows"]
    return seen


def _writes_during_stop(platform: Platform, client: httpx.Client) -> tuple[set[int], list[str]]:
    """Create API tokens from threads while the server is told to stop."""
    acknowledged: set[int] = set()
    problems: list[str] = []
    lock = threading.Lock()
    go = threading.Event()

    def write(n: int) -> None:
        go.wait()
        for i in range(40):
            try:
                answer = client.post(
                    "/api/v1/tokens",
                    json={"name": f"restart-{n}-{i}"},
                    headers=api_headers(client),
                    timeout=30,
                )
            except httpx.TransportError:
                return  # the server went away: this write was never acknowledged
            if answer.status_code >= 500:
                with lock:
                    problems.append(f"{answer.status_code}: {answer.text[:300]}")
            elif answer.status_code == 201:
                with lock:
                    acknowledged.add(answer.json()["id"])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    go.set()
    while not acknowledged and any(t.is_alive() for t in threads):
        threading.Event().wait(0.05)
    code = platform.stop("web", signal.SIGTERM)
    for thread in threads:
        thread.join(timeout=60)
    assert code == 0, f"the server exited with {code} on SIGTERM:\n{platform.log('web')[-3000:]}"
    return acknowledged, problems


@pytest.mark.parametrize("workers", ["1", "2"])
def test_restart_keeps_answers_and_acknowledged_writes(
    platform: Platform, clients: dict[str, httpx.Client], workers: str
) -> None:
    admin = clients["admin"]
    before = snapshot(admin)
    acknowledged, problems = _writes_during_stop(platform, admin)
    assert not problems
    assert acknowledged, "no write was acknowledged before the stop"

    platform.start("web", "serve", "--workers", workers)
    platform.wait_healthy("web")
    assert snapshot(admin) == before
    tokens = admin.get("/api/v1/tokens?page_size=1000")
    assert_clean(tokens)
    kept = {t["id"] for t in json_items(tokens.json())}
    assert acknowledged <= kept, f"lost acknowledged writes: {sorted(acknowledged - kept)}"
    assert "PanicException" not in platform.log("web")
