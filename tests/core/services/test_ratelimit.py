"""Fixed-window counters (core.services.ratelimit) and the device tokens' limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from shequ.core.errors import Throttled
from shequ.core.services import ratelimit


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


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


def test_an_unreachable_cache_lets_the_request_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit.cache, "add", down)
    assert ratelimit.hit("down", 1, 60) is None
    assert ratelimit.hit("down", 1, 60) is None


def test_a_device_past_its_limit_is_throttled_with_retry_after(settings: Any) -> None:
    settings.DEVICE_RATE_LIMIT = 2
    settings.DEVICE_RATE_WINDOW = 60
    ratelimit.throttle_device("d1")
    ratelimit.throttle_device("d1")
    with pytest.raises(Throttled) as caught:
        ratelimit.throttle_device("d1")
    assert caught.value.status == 429 and 1 <= (caught.value.retry_after or 0) <= 60
    assert "more than 2 requests in 60 seconds" in caught.value.message
