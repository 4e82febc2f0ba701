"""The job queue's classes (``settings.HUEY``): huey's, with each periodic task stamped with
its schedule slot as it is enqueued.

Every `shequ worker` runs huey's scheduler, so with several workers each periodic task is
enqueued once per worker and slot. The slot (the scheduled minute, UTC) travels in the task's
keyword arguments; ``core.periodic.periodic_job`` claims it in the platform database and
runs the job only in the worker that claimed it first. This module imports no Django model:
huey's Django integration loads it while the apps are still being set up.
"""

from __future__ import annotations

import datetime
from typing import Any

import huey

SLOT_KWARG = "schedule_slot"


def slot_of(timestamp: datetime.datetime) -> str:
    """The minute a periodic task was scheduled for, as ISO text (crontabs have minutes)."""
    return timestamp.replace(second=0, microsecond=0).isoformat()


class SlotStamping:
    """Enqueue each due periodic task with ``schedule_slot=`` the minute it is due for."""

    def read_periodic(self, timestamp: datetime.datetime | None) -> list[Any]:
        if timestamp is None:
            timestamp = self._get_timestamp()  # type: ignore[attr-defined]
        tasks: list[Any] = super().read_periodic(timestamp)  # type: ignore[misc]
        for task in tasks:
            task.kwargs = {**(task.kwargs or {}), SLOT_KWARG: slot_of(timestamp)}
        return tasks


class SqliteHuey(SlotStamping, huey.SqliteHuey):
    """The default queue: a SQLite file in the var dir (one machine)."""


class RedisHuey(SlotStamping, huey.RedisHuey):
    """A queue shared by workers on several machines (``SHEQU_REDIS_URL``)."""
