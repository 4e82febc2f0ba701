"""One JSON object per log line (``SHEQU_LOG_FORMAT=json``), with the request it belongs to.

Fields: ``time`` (ISO 8601 with the offset), ``level``, ``logger``, ``message``; inside a
request ``request_id`` and ``method``; inside a background task ``task`` and ``task_id``
(and the ``request_id`` of the request that enqueued it). The line a finished request
writes (logger ``shequ.request``) adds ``route``, ``status``, ``duration_ms``, ``user_id``.
Messages and tracebacks pass through ``pii.mask_text``: an ID number, a phone or a plate
that some code put in a message is masked before it reaches the log.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from shequ.core import pii
from shequ.core.observability.context import METHOD, REQUEST_ID, TASK

# Attributes a record may carry through ``extra=`` that become fields of the line.
EXTRA_FIELDS = ("route", "status", "duration_ms", "user_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": _masked(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        method = getattr(record, "method", None) or METHOD.get()
        if method:
            line["method"] = method
        task = TASK.get()
        if task is not None:
            line["task"], line["task_id"] = task
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = _masked(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = _masked(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


def _masked(text: str) -> str:
    # Dates are left alone: log lines are full of them, and they are mostly not personal.
    return pii.mask_text(text, quoted=False, dates=False)
