"""The platform as a user runs it: the real `shequ` commands as subprocesses, talked to over HTTP.

One demo is built for the whole tier (`shequ demo`, exactly as `make demo` runs it) on a
throwaway var dir and a free port; the tests share it and run in one xdist group. On
PostgreSQL (``SHEQU_DATABASE_URL`` set) the tier makes a database of its own beside the
suite's and drops it at the end.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from system_support import (
    BROKER,
    PASSWORD,
    ROLES,
    Platform,
    broker_reachable,
    throwaway_database,
)

logging.getLogger("httpx").setLevel(logging.WARNING)


SHARED = {"platform", "clients", "flood_ingest"}  # the tier's demo, built once per worker


@pytest.hookimpl(tryfirst=True)  # before xdist's, which names each test's group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One demo build for the tier: every test of the shared demo runs on the same xdist worker.
    # A module that starts a platform of its own is a group of its own, free to run beside it.
    for item in items:
        if "tests/system/" in str(item.fspath).replace(os.sep, "/"):
            own = not SHARED & set(getattr(item, "fixturenames", ()))
            group = f"system-{Path(str(item.fspath)).stem}" if own else "system"
            item.add_marker(pytest.mark.xdist_group(group))
    # The fuzzer runs last: what it creates and changes at random stays out of the journeys.
    items.sort(key=lambda item: Path(str(item.fspath)).name == "test_schemathesis.py")


def _environment(var_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    env.update(
        SHEQU_VAR_DIR=str(var_dir),
        SHEQU_DEMO_PASSWORD=PASSWORD,
        SHEQU_WEB_WORKERS="2",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["SHEQU_DATABASE_URL"] = database_url
    tier = f"system-{uuid.uuid4().hex[:10]}"
    env["SHEQU_FLOOD_MQTT_GROUP"] = tier
    # Its own topics too: the unit tests' and other platforms' readings never reach it.
    env["SHEQU_MQTT_TOPIC_ROOT"] = f"{tier}/v1"
    if os.environ.get("SHEQU_MQTT_URL"):
        env["SHEQU_MQTT_URL"] = os.environ["SHEQU_MQTT_URL"]
    return env


@pytest.fixture(scope="session")
def system_database() -> Iterator[str]:
    """'' on SQLite (the var dir holds it); on PostgreSQL, a database made for the tier."""
    yield from throwaway_database("shequ_system")


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory, system_database: str) -> Iterator[Platform]:
    """`shequ demo` (build, then serve with two workers) and `shequ worker`, as the README says."""
    root = tmp_path_factory.mktemp("system")
    var_dir = root / "var"
    plat = Platform(var_dir=var_dir, env=_environment(var_dir, system_database))
    plat.start("web", "demo", "--workers", "2")
    try:
        plat.wait_healthy("web")
        plat.start("worker", "worker", serve=False)
        yield plat
    finally:
        plat.stop_all()


@pytest.fixture(scope="session")
def clients(platform: Platform) -> Iterator[dict[str, httpx.Client]]:
    made = {role: platform.client(role) for role in ROLES}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(scope="session")
def flood_ingest(platform: Platform) -> str:
    """The broker whose readings `shequ demo`'s own MQTT ingester stores (README).

    The tier's group (``SHEQU_FLOOD_MQTT_GROUP``) is its own: other consumers on the same
    broker (other test runs) do not share its messages.
    """
    if not broker_reachable(BROKER):
        if os.environ.get("SHEQU_TEST_STRICT") == "1":
            pytest.fail(f"no MQTT broker at {BROKER}")
        pytest.skip(f"no MQTT broker at {BROKER}")
    platform.wait_for_log("web", "flood ingest: subscribed")
    return BROKER
