"""Shared fixtures: a region tree, users per role, API clients."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from fake_http import FakeServer, QuietServer, make_handler
from shequ.core.models import Membership, Region, Role
from shequ.core.models.regions import RegionLevel

STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"

# The MQTT topics of this test run (and the commands it starts) under a root of their own, set
# by the first process and inherited by its xdist workers, each of which adds its own name:
# runs beside each other on one broker, the workers of one run, and the system tier's
# platforms (roots of their own) never receive each other's messages.
os.environ.setdefault("SHEQU_MQTT_TOPIC_ROOT", f"shequ-test-{uuid.uuid4().hex[:10]}/v1")
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and not os.environ.get("SHEQU_TEST_WORKER_ROOT"):
    os.environ["SHEQU_MQTT_TOPIC_ROOT"] = f"{os.environ['SHEQU_MQTT_TOPIC_ROOT']}/{_worker}"
    os.environ["SHEQU_TEST_WORKER_ROOT"] = "1"
settings.MQTT_TOPIC_ROOT = os.environ["SHEQU_MQTT_TOPIC_ROOT"]
SCREENSHOT_ENV = "SHEQU_SCREENSHOT_DIR"


class NetworkBlocked(OSError):
    """A test tried to reach a host other than this machine's own services."""


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):  # a Unix socket path (PostgreSQL's socket)
        return True
    host = str(address[0])
    return host in {"localhost", "::1", "0.0.0.0", ""} or host.startswith("127.")


def _block_network() -> None:
    """Only loopback: the database, the broker and the tests' own servers; nothing else.

    A test that reached a real host would pass or fail with the network, and could leak data.
    """
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(method: Any) -> Any:
        def call(self: socket.socket, address: Any) -> Any:
            if not _loopback(address):
                raise NetworkBlocked(f"tests may not reach {address!r}: use a fake server")
            return method(self, address)

        return call

    socket.socket.connect = guarded(connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded(connect_ex)  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    _block_network()
    # The controller picks the run's screenshot folder before xdist workers start; they inherit it.
    if not hasattr(config, "workerinput") and not os.environ.get(SCREENSHOT_ENV):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        os.environ[SCREENSHOT_ENV] = str(Path.cwd() / "var" / "screenshots" / stamp)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    folder = Path(os.environ[SCREENSHOT_ENV])
    shots = len(list(folder.glob("*.png"))) if folder.is_dir() else 0
    if shots:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"{shots} screenshots in {folder}")


# code, name, level, parent
TREE = [
    ("990000000000", "示范省", RegionLevel.PROVINCE, None),
    ("990100000000", "示范市", RegionLevel.CITY, "990000000000"),
    ("990102000000", "临江区", RegionLevel.DISTRICT, "990100000000"),
    ("990102001000", "望湖街道", RegionLevel.STREET, "990102000000"),
    ("990102001001", "锦绣社区", RegionLevel.COMMUNITY, "990102001000"),
    ("990102001002", "和园社区", RegionLevel.COMMUNITY, "990102001000"),
    ("990102001201", "石桥村", RegionLevel.VILLAGE, "990102001000"),
    ("990102002000", "江南街道", RegionLevel.STREET, "990102000000"),
    ("990102002001", "江南社区", RegionLevel.COMMUNITY, "990102002000"),
    ("990103000000", "北山区", RegionLevel.DISTRICT, "990100000000"),
    ("990103001000", "北山街道", RegionLevel.STREET, "990103000000"),
    ("990103001001", "北山社区", RegionLevel.COMMUNITY, "990103001000"),
]


def skip_or_fail(reason: str) -> None:
    """Skip a test whose service is missing, or fail in CI (SHEQU_TEST_STRICT=1)."""
    if STRICT:
        pytest.fail(f"{reason} (SHEQU_TEST_STRICT=1: CI must provide it)")
    pytest.skip(reason)


@pytest.fixture
def small_time_bank(settings: Any) -> None:
    """A demo whose time bank history is 30 services, not the seed's 1,680: they go through
    its services one by one (a minute of the demo's build), for tests about something else."""
    settings.TIMEBANK_DEMO_VOLUNTEERS, settings.TIMEBANK_DEMO_SERVICES = 12, 30


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.HUB_IMPORT_DIRS = [str(tmp_path)]


@pytest.fixture
def regions(db: None) -> dict[str, Region]:
    made: dict[str, Region] = {}
    for code, name, level, parent in TREE:
        made[code] = Region.objects.create(
            code=code, name=name, level=level, parent=made[parent] if parent else None
        )
    return made


UserFactory = Callable[..., Any]


@pytest.fixture
def make_user(regions: dict[str, Region]) -> UserFactory:
    counter = iter(range(1, 10_000))

    def make(role: str | None, region_code: str = "990102001000", **extra: Any) -> Any:
        username = extra.pop("username", None) or f"{role or 'nobody'}{next(counter)}"
        user = get_user_model().objects.create_user(
            username=username, password="correct horse battery staple", **extra
        )
        if role:
            Membership.objects.create(user=user, region=regions[region_code], role=role)
        return user

    return make


@pytest.fixture
def staff(make_user: UserFactory) -> Any:
    """Community staff of 锦绣社区."""
    return make_user(Role.COMMUNITY_STAFF, "990102001001", username="staff")


def token_client(user: Any) -> Client:
    """A test client that authenticates with a fresh API token of user."""
    from shequ.core.services.tokens import issue

    _token, raw = issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    """``client_for(user)``: a test client authenticating with a fresh API token of user."""
    return token_client


@pytest.fixture
def api(staff: Any) -> Client:
    return token_client(staff)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A real HTTP server on 127.0.0.1 that records requests (see tests/fake_http.py)."""
    state = FakeServer()
    httpd = QuietServer(("127.0.0.1", 0), make_handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
