"""The request a log line belongs to: its id and method, in context variables.

A request id comes from the client's ``X-Request-ID`` when it is well formed (a proxy or a
caller that already logs one), otherwise it is made here. A header carrying the shape of a
personal value (an ID number, a phone, a long run of digits) is not taken: the id is written
into every log line of the request.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from shequ.core import pii

REQUEST_ID: ContextVar[str | None] = ContextVar("shequ_request_id", default=None)
METHOD: ContextVar[str | None] = ContextVar("shequ_request_method", default=None)
# The background task being run (name, id), in `shequ worker`.
TASK: ContextVar[tuple[str, str] | None] = ContextVar("shequ_task", default=None)

_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The client's id when well formed and free of personal shapes, else a new one."""
    if header and _WELL_FORMED.fullmatch(header) and pii.mask_text(header, quoted=False) == header:
        return header
    return new_request_id()
