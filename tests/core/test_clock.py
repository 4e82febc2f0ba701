"""``core.clock``: the services' time is the wall clock, or the moment a replay acts at, only
inside ``acting_at`` and only in its own context."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from shequ.core import clock

STORM = datetime(2026, 7, 20, 9, 2, tzinfo=UTC)


def test_acting_at_sets_the_services_time_inside_the_block_only() -> None:
    with clock.acting_at(STORM):
        assert clock.now() == STORM
        with clock.acting_at(STORM.replace(hour=10)):
            assert clock.now() == STORM.replace(hour=10)
        assert clock.now() == STORM
        assert timezone.now() != STORM  # Django's clock is not patched
    assert clock.now() != STORM


def test_another_thread_keeps_the_wall_clock() -> None:
    seen: list[datetime] = []
    with clock.acting_at(STORM):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
    assert seen and seen[0] != STORM


def test_the_block_is_left_on_an_error_and_a_naive_time_is_refused() -> None:
    with pytest.raises(RuntimeError), clock.acting_at(STORM):
        raise RuntimeError("boom")
    assert clock.now() != STORM
    with pytest.raises(ValueError), clock.acting_at(STORM.replace(tzinfo=None)):
        pass
