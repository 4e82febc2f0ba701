"""The request id carried into the background tasks a request enqueues (huey).

A task enqueued inside a request gets an id that begins with the request's id
(``<request id>~<uuid>``); when ``shequ worker`` runs it, its log lines carry that request
id again, and the task's name and id. huey's own lines (``Executing shequ.core.jobs…``)
name the task id, so they too lead back to the request. Periodic tasks and tasks enqueued
outside a request keep huey's plain ids.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from huey import signals
from huey.contrib.djhuey import HUEY

from shequ.core.observability.context import REQUEST_ID, TASK

SEPARATOR = "~"
_tokens: dict[str, tuple[Token[str | None], Token[tuple[str, str] | None]]] = {}


def request_of(task_id: str) -> str | None:
    request_id, sep, _rest = task_id.partition(SEPARATOR)
    return request_id if sep and request_id else None


@HUEY.signal(signals.SIGNAL_ENQUEUED)
def tag_with_request(_signal: str, task: Any, *_args: Any) -> None:
    request_id = REQUEST_ID.get()
    if request_id and request_of(str(task.id)) is None:
        task.id = f"{request_id}{SEPARATOR}{task.id}"


@HUEY.pre_execute()
def enter_task(task: Any) -> None:
    task_id = str(task.id)
    request_id = request_of(task_id) or REQUEST_ID.get()
    _tokens[task_id] = (REQUEST_ID.set(request_id), TASK.set((task.name, task_id)))


@HUEY.post_execute()
def leave_task(task: Any, _value: Any, _exc: Exception | None) -> None:
    tokens = _tokens.pop(str(task.id), None)
    if tokens is not None:
        TASK.reset(tokens[1])
        REQUEST_ID.reset(tokens[0])
