"""What the time bank's pages share: the member behind a request, a service call's outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from shequ.core.errors import ServiceError
from shequ.web.errors import error_text


def act(
    request: HttpRequest, call: Callable[[], Any], done: str, back: str, *args: Any
) -> HttpResponse:
    """Run a service call of a POST; say what happened above the page it returns to."""
    try:
        call()
    except (ServiceError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect(back, *args)
