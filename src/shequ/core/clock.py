"""The time the services stamp what people do: now, or the moment a replay acts at.

A replay (the demo's typhoon) acts hours of a storm in seconds; inside ``acting_at(t)`` the
services that stamp people's actions (an acknowledgement, a task's start, a response level's
change, their audit) stamp ``t`` instead of the wall clock. Only this context (thread or
task) is moved: ``timezone.now`` itself is never patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_AT: ContextVar[datetime | None] = ContextVar("shequ_clock_at", default=None)


def now() -> datetime:
    """The moment set by ``acting_at`` around this call, else ``timezone.now()``."""
    return _AT.get() or timezone.now()


@contextmanager
def acting_at(moment: datetime) -> Iterator[None]:
    """Stamp what the services do inside this block at ``moment`` (aware)."""
    if timezone.is_naive(moment):
        raise ValueError("acting_at needs an aware datetime")
    token = _AT.set(moment)
    try:
        yield
    finally:
        _AT.reset(token)
