"""A background task enqueued in a request carries the request's id into the worker's logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from shequ.core.jobs import notify_people_task
from shequ.core.observability.context import REQUEST_ID
from shequ.core.observability.logs import JsonFormatter
from shequ.core.observability.tasks import request_of
from shequ.core.transports.base import Message


@pytest.fixture
def queue() -> Iterator[Any]:
    HUEY.flush()
    yield HUEY
    HUEY.flush()


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("shequ.core.services.notify")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def test_a_task_enqueued_in_a_request_runs_under_its_request_id(
    db: None, queue: Any, captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shequ.core.services import notify

    def deliver(user_ids: list[int], message: Message) -> list[Any]:
        logging.getLogger("shequ.core.services.notify").info("delivering to %d", len(user_ids))
        return []

    monkeypatch.setattr(notify, "notify_people", deliver)
    monkeypatch.setattr("shequ.core.jobs.notify_people", deliver)
    token = REQUEST_ID.set("request-abc-123")
    try:
        notify_people_task([7], Message(title="t", body="b"))
    finally:
        REQUEST_ID.reset(token)
    [task] = queue.pending()
    assert request_of(task.id) == "request-abc-123"
    queue.execute(task)  # as the worker does, outside any request
    [line] = [json.loads(x) for x in captured.getvalue().splitlines()]
    assert line["request_id"] == "request-abc-123"
    assert line["task"] == "notify_people_task" and line["task_id"] == task.id
    assert REQUEST_ID.get() is None  # nothing left behind in the worker's thread


def test_a_task_enqueued_outside_a_request_keeps_a_plain_id(db: None, queue: Any) -> None:
    notify_people_task([7], Message(title="t", body="b"))
    [task] = queue.pending()
    assert request_of(task.id) is None
