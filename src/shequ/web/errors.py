"""A service's refusal on a page: next to the form's fields, or as a message above the page.

The API answers a ``ServiceError`` in its one error shape (``shequ.api``); pages map the same
error the same way everywhere: ``put_errors`` puts it on a form, and ``ServiceErrorMiddleware``
turns one a view let through into the page a user expects: 403 and 404 as those pages; any other
refusal of a form's POST as a message on the page the user came from, of a GET as a page saying
why, with the error's status.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.exception import response_for_exception
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from shequ.core.errors import ServiceError


def put_errors(form: Form, exc: ValidationError | ServiceError) -> None:
    """A service's errors next to the form's fields (the rest above the form)."""
    if isinstance(exc, ServiceError):
        named = {k: v for k, v in exc.fields.items() if k in form.fields and v}
        for name, errors in named.items():
            form.add_error(name, errors)
        if not named:
            form.add_error(None, exc.text)
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def error_text(exc: Exception) -> str:
    """What a service's refusal says, for a message above the page."""
    if isinstance(exc, ServiceError):
        return exc.text
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class ServiceErrorMiddleware:
    """Pages: a ``ServiceError`` a view did not handle, shown as its status means."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, ServiceError) or request.path.startswith("/api/"):
            return None  # the API's own handler answers it
        if exc.status == 403:
            return response_for_exception(request, PermissionDenied(exc.text))
        if exc.status == 404:
            return response_for_exception(request, Http404(exc.text))
        back = request.META.get("HTTP_REFERER", "")
        safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
        if request.method == "GET" or not safe:  # redirecting a GET to itself would loop
            context = {"message": exc.text}
            return render(request, "web/refused.html", context, status=exc.status)
        messages.error(request, exc.text)
        return redirect(back)
