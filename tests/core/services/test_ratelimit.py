"""Fixed-window counters (core.services.ratelimit) and the device tokens' limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from typing import Any

import pytest
from django.utils import translation

from shequ.core.errors import Throttled
from shequ.core.services import ratelimit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def _empty_counters() -> None:
    ratelimit._local.clear()


def test_a_key_passes_up_to_its_limit_then_gets_the_seconds_left() -> None:
    answers = [ratelimit.hit("k", 3, 60) for _ in range(5)]
    assert answers[:3] == [None, None, None]
    assert all(isinstance(a, int) and 1 <= a <= 60 for a in answers[3:])


def test_keys_are_counted_apart() -> None:
    assert [ratelimit.hit("a", 1, 60), ratelimit.hit("b", 1, 60)] == [None, None]
    assert ratelimit.hit("a", 1, 60) is not None


def test_a_new_window_starts_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.hit("w", 1, 10) is None
    assert ratelimit.hit("w", 1, 10) == 10
    now[0] += 10
    assert ratelimit.hit("w", 1, 10) is None


def test_a_limit_of_zero_is_off() -> None:
    assert all(ratelimit.hit("z", 0, 60) is None for _ in range(5))


def test_an_unreachable_redis_lets_the_request_through(settings: Any) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    assert ratelimit.hit("down", 1, 60) is None
    assert ratelimit.hit("down", 1, 60) is None


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_two_processes_share_one_count(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    key = f"shared-{uuid.uuid4().hex}"
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'shequ.settings'; "
        "django.setup(); from shequ.core.services import ratelimit; "
        f"print([ratelimit.hit({key!r}, 3, 60) for _ in range(2)])"
    )
    env = dict(os.environ, SHEQU_REDIS_URL=settings.REDIS_URL)
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert other.stdout.strip() == "[None, None]", other.stderr
    # Two counted by the other process: this one's first request is the third, its second over.
    assert ratelimit.hit(key, 3, 60) is None
    assert ratelimit.hit(key, 3, 60) is not None


def test_a_device_past_its_limit_is_throttled_with_retry_after(settings: Any) -> None:
    settings.DEVICE_RATE_LIMIT = 2
    settings.DEVICE_RATE_WINDOW = 60
    ratelimit.throttle_device("d1")
    ratelimit.throttle_device("d1")
    with translation.override("en"), pytest.raises(Throttled) as caught:
        ratelimit.throttle_device("d1")
    assert caught.value.status == 429 and 1 <= (caught.value.retry_after or 0) <= 60
    assert "more than 2 requests in 60 seconds" in caught.value.message
