"""The JSON API at /api/v1/: one NinjaAPI, auth, and one error shape for every 4xx.

Errors look like ``{"error": {"code": "...", "message": "...", "fields": {"field": ["..."]}}}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from shequ.core.services import tokens


class TokenAuth(HttpBearer):
    """``Authorization: Bearer shq_…`` with a per-user API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = tokens.authenticate(token)
        if user is not None:
            request.user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    """``X-Api-Token: shq_…`` for clients that cannot set Authorization."""

    param_name = "X-Api-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = tokens.authenticate(key or "")
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="shequ API",
    version="1",
    description="Community data hub and services. Errors share one shape: "
    '`{"error": {"code", "message", "fields"}}`.',
    urls_namespace="api-1",
    auth=[SessionAuth(), TokenAuth(), TokenHeaderAuth()],
)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def _field_name(loc: list[Any]) -> str:
    # ninja's loc is ("body", "<param name>", "field", ...) or ("query", "field").
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_field_name(list(err.get("loc", []))), []).append(str(err.get("msg")))
    names = ", ".join(fields)
    return error_response(request, 422, "invalid", f"Invalid input: {names}.", fields)


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    return error_response(request, 422, "invalid", message, fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "unauthenticated",
        "Log in, or send a valid API token as 'Authorization: Bearer <token>'.",
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict",
            429: "throttled"}.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def on_object_missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


def register_routers() -> None:
    from shequ.core.api import router as core_router

    api.add_router("/", core_router)


register_routers()
