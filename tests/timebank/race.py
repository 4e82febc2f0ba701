"""Start jobs at one barrier, each thread on its own database connection (PostgreSQL)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

ON_POSTGRES = os.environ.get("SHEQU_DATABASE_URL", "").split(":")[0] in ("postgresql", "postgres")
postgres_only = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not ON_POSTGRES, reason="races run on PostgreSQL (SHEQU_DATABASE_URL)"),
]


def race(work: list[Callable[[], Any]]) -> list[Any]:
    """Each job's answer, or the exception it raised (in the jobs' order)."""
    start = threading.Barrier(len(work))
    answers: list[Any] = [None] * len(work)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            start.wait()
            answers[index] = job()
        except BaseException as exc:  # the caller looks at what each got
            answers[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers
