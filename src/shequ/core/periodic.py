"""``periodic_job``: every periodic job of shequ is declared with it, never with huey's
``db_periodic_task`` alone (``tests/core/test_periodic.py`` checks every registered one).

Each `shequ worker` runs huey's scheduler, so N workers enqueue each due job N times. The
queue stamps each with its schedule slot (``core.jobqueue``); the wrapper claims that slot
(``services.workers.run_claimed``) and runs the job only in the worker that claimed it. A job
called without a slot (``call_local()``, a manual enqueue) simply runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from huey.contrib.djhuey import db_periodic_task

from shequ.core.jobqueue import SLOT_KWARG

ONCE_PER_SLOT: set[type] = set()  # the task classes declared through periodic_job


def task_name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__name__}"


def parse_slot(text: str) -> datetime:
    """A slot stamped by the queue (naive UTC, huey's default clock) as an aware datetime."""
    slot = datetime.fromisoformat(text)
    return slot if slot.tzinfo else slot.replace(tzinfo=UTC)


def periodic_job(validate_datetime: Callable[[datetime], bool], **options: Any) -> Any:
    """``db_periodic_task`` whose every schedule slot runs once across all workers."""

    def decorator(fn: Callable[..., Any]) -> Any:
        name = task_name(fn)

        @functools.wraps(fn)
        def once_per_slot(*args: Any, **kwargs: Any) -> Any:
            slot = kwargs.pop(SLOT_KWARG, None)
            if slot is None:
                return fn(*args, **kwargs)
            from shequ.core.services.workers import run_claimed

            return run_claimed(name, parse_slot(slot), lambda: fn(*args, **kwargs))

        task = db_periodic_task(validate_datetime, **options)(once_per_slot)
        ONCE_PER_SLOT.add(task.task_class)
        return task

    return decorator


def unclaimed_periodic_tasks() -> list[str]:
    """Registered periodic tasks not declared with ``periodic_job`` (each worker would run
    them once per slot: N times with N workers)."""
    from huey.contrib.djhuey import HUEY

    return sorted(
        f"{cls.__module__}.{cls.__name__}"
        for cls in HUEY._registry._periodic_tasks
        if cls not in ONCE_PER_SLOT
    )
