"""What one query may take: time (never more than the platform's limit), a slot among the
queries running (per user and in all, across processes), and the bytes of its result.

Four concurrent cross joins once held every request thread of ``shequ serve`` and the health
check waited 29 s; a caller could ask for 600 s; a 1 GB string came back whole.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from django.test import Client

from hub.factories import Hub
from shequ.core.models import Role
from shequ.hub.query import QueryError, limits, run_query

HEAVY = (
    "SELECT count(*) FROM parking_events a, parking_events b, parking_events c, "
    "parking_events d WHERE a.plate || b.plate || c.plate || d.plate = 'x'"
)
LIGHT = "SELECT count(*) AS n FROM parking_lots"


@pytest.fixture(autouse=True)
def _no_waiting(settings: Any) -> None:
    settings.HUB_QUERY_WAIT = 0


def _refused(user: Any, sql: str = LIGHT, **kwargs: Any) -> QueryError:
    with pytest.raises(QueryError) as caught:
        run_query(user, sql, **kwargs)
    return caught.value


@pytest.mark.django_db
def test_a_caller_may_lower_the_time_limit_never_raise_it(hub: Hub, settings: Any) -> None:
    settings.HUB_QUERY_TIMEOUT = 0.3
    started = time.monotonic()
    error = _refused(hub.staff, HEAVY, timeout=5)
    assert error.status == 408
    assert time.monotonic() - started < 3
    assert "0.3 s" in error.message
    assert limits.timeout_for(600) == 0.3
    assert limits.timeout_for(0.1) == 0.1
    assert limits.timeout_for(None) == 0.3


@pytest.mark.django_db
def test_one_user_gets_a_slot_at_a_time(hub: Hub, settings: Any, make_user: Any) -> None:
    settings.HUB_QUERY_SLOTS, settings.HUB_QUERY_SLOTS_PER_USER = 2, 1
    other = make_user(Role.COMMUNITY_STAFF, "990102001001", username="other")
    hub.grant(other, hub["parking_lots"])
    with limits.slot(hub.staff):  # as if the user's heavy query were running
        error = _refused(hub.staff)
        assert error.status == 429
        assert "1 queries running" in error.message
        assert run_query(other, LIGHT).rows == 1  # another user still has a shared slot


@pytest.mark.django_db
def test_the_slots_in_all_are_bounded(hub: Hub, settings: Any, make_user: Any) -> None:
    settings.HUB_QUERY_SLOTS, settings.HUB_QUERY_SLOTS_PER_USER = 1, 1
    other = make_user(Role.COMMUNITY_STAFF, "990102001001", username="other")
    hub.grant(other, hub["parking_lots"])
    with limits.slot(other):
        error = _refused(hub.staff)
        assert error.status == 429
        assert "1 queries" in error.message
    assert run_query(hub.staff, LIGHT).rows == 1  # freed with the block


@pytest.mark.django_db
def test_a_slot_held_by_another_process_counts(hub: Hub, settings: Any) -> None:
    settings.HUB_QUERY_SLOTS = 1
    slot_file = limits._slots_dir() / "all-0.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(slot_file)!r}, 'ab')\n"
            "fcntl.flock(f.fileno(), fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert _refused(hub.staff).status == 429
    finally:
        holder.kill()
        holder.wait()
    assert run_query(hub.staff, LIGHT).rows == 1  # the kernel let go of the dead holder's lock


@pytest.mark.django_db
def test_a_result_over_the_byte_cap_is_refused_naming_it(hub: Hub, settings: Any) -> None:
    settings.HUB_QUERY_MAX_BYTES = 1024 * 1024
    sql = "SELECT lot_id, repeat('x', 200000) AS blob FROM parking_lots"
    error = _refused(hub.staff, sql)
    assert error.status == 413
    assert "1 MB" in error.message
    assert run_query(hub.staff, "SELECT lot_id, repeat('x', 100) FROM parking_lots").rows == 10


@pytest.mark.django_db(transaction=True)
def test_health_answers_while_heavy_queries_run(
    hub: Hub, settings: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each query's audit event is written from its own thread. The SQLite test database lives
    # in memory with a shared cache, whose table locks fail at once ("database table is
    # locked") where a file database's writers take turns (shequ.core.sqlite): here the four
    # threads take turns at writing their events.
    from shequ.hub.query import audit

    writing = threading.Lock()
    record = audit.record

    def record_in_turn(*args: Any, **kwargs: Any) -> Any:
        with writing:
            return record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", record_in_turn)
    settings.HUB_QUERY_TIMEOUT = 4
    settings.HUB_QUERY_SLOTS, settings.HUB_QUERY_SLOTS_PER_USER = 2, 1
    users = [hub.staff]
    for i in range(3):
        user = make_user(Role.COMMUNITY_STAFF, "990102001001", username=f"heavy{i}")
        hub.grant(user, hub["parking_events"])
        users.append(user)
    outcomes: list[int] = []

    def heavy(user: Any) -> None:
        try:
            run_query(user, HEAVY)
            outcomes.append(200)
        except QueryError as exc:
            outcomes.append(exc.status)

    client = Client()
    assert client.get("/api/v1/health").status_code == 200  # warm: URLs and views imported
    threads = [threading.Thread(target=heavy, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    answered = []
    for _ in range(5):
        started = time.monotonic()
        response = client.get("/api/v1/health")
        answered.append((response.status_code, time.monotonic() - started))
        time.sleep(0.2)
    for thread in threads:
        # A cancelled query ends within the timeout's check interval; a loaded machine (the
        # other test worker racing processes) can delay that well past 30 s of wall time.
        thread.join(180)
        assert not thread.is_alive(), "a heavy query was not cancelled"
    assert all(status == 200 and took < 1.0 for status, took in answered), answered
    # Two ran until cancelled; the other two were turned away at once, freeing their threads.
    assert sorted(outcomes) == [408, 408, 429, 429]


@pytest.mark.django_db
def test_the_api_answers_an_oversized_export_with_413(hub: Hub, settings: Any) -> None:
    import json

    from shequ.core.services import tokens

    settings.HUB_QUERY_MAX_BYTES = 1024 * 1024
    _token, raw = tokens.issue(hub.staff, "test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    sql = "SELECT lot_id, repeat('x', 200000) AS blob FROM parking_lots"
    response = client.post(
        "/api/v1/hub/query/export?format=csv",
        json.dumps({"sql": sql}),
        content_type="application/json",
    )
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "too_large" and "1 MB" in error["message"]
