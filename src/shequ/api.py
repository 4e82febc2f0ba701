"""The JSON API at /api/v1/: one NinjaAPI, auth, and one error shape for every 4xx.

Errors look like ``{"error": {"code": "...", "message": "...", "fields": {"field": ["..."]}}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from http.client import responses as STOCK_DESCRIPTIONS
from inspect import iscoroutinefunction
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern, URLResolver, include, re_path
from django.urls import path as route_to
from django.urls.exceptions import Resolver404
from django.urls.resolvers import ResolverMatch, RoutePattern
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth
from ninja.utils import check_csrf

from shequ.core.errors import STATUS_CODES, ServiceError
from shequ.core.services import tokens


class BrowserSessionAuth(SessionAuth):
    """Django's session cookie, as the browser sends it; unsafe methods need the CSRF token.

    Only a request whose session is logged in is checked (and refused without the token): an
    anonymous request falls through to a 401 instead of a confusing CSRF error.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request):
            raise HttpError(
                403,
                "CSRF check failed: send the csrftoken cookie's value in the "
                "X-CSRFToken header, or authenticate with an API token instead.",
            )
        return request.COOKIES.get(self.param_name)


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


def _refuse_nul(value: Any, loc: tuple[Any, ...]) -> None:
    """Text holding a NUL character is refused, naming where: PostgreSQL cannot store it and
    SQLite would, so the same input fails the same way on both (found by schemathesis)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError([{"loc": loc, "msg": "must not contain a NUL character"}])
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, loc)
            _refuse_nul(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, (*loc, index))


class TextParser(Parser):
    """ninja's JSON and query parser, refusing NUL characters in any text."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        _refuse_nul(data, ("body", "payload"))
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result, ("query",))
        return result


class ShequAPI(NinjaAPI):
    """NinjaAPI whose 405s and unknown paths answer in the one error shape too.

    ninja answers a wrong method with a plain-text 405, and a path it does not know falls
    through to Django's HTML 404 page; an API client should get JSON for both.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_errors(schema)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern) and not iscoroutinefunction(pattern.callback):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        urls = one_lookup(by_first_segment(urls))
        urls.append(re_path(r"^", _unknown_endpoint, name="unknown-endpoint"))
        return urls


def by_first_segment(urls: list[URLResolver | URLPattern]) -> list[URLResolver | URLPattern]:
    """The API's paths grouped under their first segment (``access/``, ``parking/`` …).

    ninja lists every operation flat, and Django tries patterns one by one: the door check,
    144th of 173, cost ~0.3 ms a request in resolving alone (cProfile; ``/health``, 2nd, next
    to nothing). Grouped, a request tries ~20 prefixes and then its app's own paths. Every
    route starts with a literal segment, so no path can match a different pattern than before;
    names reverse as before (an include without a namespace is transparent).
    """
    groups: dict[str, list[URLPattern]] = {}
    out: list[URLResolver | URLPattern | str] = []
    for pattern in urls:
        route = getattr(pattern.pattern, "_route", "")
        head, slash, rest = route.partition("/")
        if not (isinstance(pattern, URLPattern) and slash and rest and "<" not in head):
            out.append(pattern)
            continue
        if head not in groups:
            groups[head] = []
            out.append(head)
        groups[head].append(
            route_to(rest, pattern.callback, pattern.default_args, pattern.name)  # type: ignore[arg-type]
        )
    return [
        route_to(f"{item}/", include(groups[item])) if isinstance(item, str) else item
        for item in out
    ]


class FirstSegment(URLResolver):
    """The API's groups (``access/``, ``parking/`` …) found by a path's first segment in one
    dictionary look-up instead of tried in turn: ``/api/v1/access/check`` tried 20 patterns
    and raised 6 ``Resolver404`` on the way (~0.1 ms a request in resolving, against ~0.05 ms
    for ``/health``; ``tests/core/api/test_url_groups.py``). The group's match is returned with
    the group's segment on its route, as the group alone would have answered it."""

    def __init__(self, groups: list[URLResolver]) -> None:
        super().__init__(RoutePattern(""), groups)
        self.groups = {_group_head(g): g for g in groups}

    def resolve(self, path: Any) -> ResolverMatch:
        path = str(path)
        group = self.groups.get(path.partition("/")[0])
        if group is None:
            raise Resolver404({"path": path})
        match = group.resolve(path)
        match.route = str(group.pattern) + match.route.removeprefix("^")  # as Django joins
        return match


def _group_head(pattern: Any) -> str:
    """``access`` for the group ``access/`` that ``by_first_segment`` makes; "" otherwise."""
    if isinstance(pattern, URLResolver) and isinstance(pattern.pattern, RoutePattern):
        route = str(pattern.pattern)
        head = route.removesuffix("/")
        if route.endswith("/") and head and not any(c in head for c in "/<>"):
            return head
    return ""


def _exact_without_slash(pattern: Any) -> bool:
    """An operation's own path of one literal segment (``health``): it matches that text
    only, never a path with a slash, so it cannot come between a group and its paths."""
    if not (isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern)):
        return False
    route = str(pattern.pattern)
    return not any(c in route for c in "/<>")


def one_lookup(urls: list[URLResolver | URLPattern]) -> list[URLResolver | URLPattern]:
    """``by_first_segment``'s groups as one ``FirstSegment`` at the first group's place, when
    only one-segment operations stand between them (which no grouped path can match, so
    the order of trial is kept); otherwise the list as it is."""
    marks = [i for i, u in enumerate(urls) if _group_head(u)]
    if len(marks) < 2:
        return urls
    first, last = marks[0], marks[-1]
    between = urls[first : last + 1]
    if not all(_group_head(u) or _exact_without_slash(u) for u in between):
        return urls
    groups = [u for u in between if isinstance(u, URLResolver) and _group_head(u)]
    others = [u for u in between if not _group_head(u)]
    return [*urls[:first], FirstSegment(groups), *others, *urls[last + 1 :]]


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt and the other view attributes
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            message = f"{request.method} is not allowed here; use {allowed}."
            shaped = error_response(request, 405, "method_not_allowed", message)
            shaped["Allow"] = allowed
            return shaped
        return response

    return wrapper


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERRORS = {
    400: "The request body cannot be read (not valid JSON, a multipart form without a boundary).",
    401: "Not logged in, and no valid API token.",
    403: "Not allowed (no permission, CSRF token missing, another device's garage...).",
    404: "No such object, or not one the caller may see.",
    408: "The query ran out of time and was cancelled.",
    409: "The state changed: the object is no longer in a state that allows this.",
    413: "The request body, or a query's result, is larger than the limit the message names.",
    422: "Invalid input; `fields` names each field in error.",
    429: "Too many at once or too often; try again later.",
}
# Paths whose operations run hub queries (time limit, result size, slots) or are throttled.
QUERY_PATHS = ("/hub/query", "/sample")
THROTTLED_PATHS = ("/parking/login/",)


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The 4xx statuses the shared handlers and limits can give this operation."""
    has_body = "requestBody" in operation
    statuses = {422} if has_body or operation.get("parameters") else set()
    if has_body:
        statuses |= {400, 413}
    if operation.get("security"):
        statuses |= {401, 403}
    # A path id, a body or a required query parameter (an estate or garage code) names an
    # object that may not exist or not be the caller's.
    required = any(p.get("required") for p in operation.get("parameters", []))
    if "{" in path or has_body or required:
        statuses.add(404)
    if method in {"post", "put", "patch", "delete"}:
        statuses |= {403, 409, 422}
    if any(p in path for p in QUERY_PATHS):
        statuses |= {403, 404, 408, 413, 429}
    if any(p in path for p in THROTTLED_PATHS):
        statuses.add(429)
    return sorted(statuses)


def declare_errors(schema: Any) -> None:
    """Declare, on every operation, the 4xx answers it can give, in the one error shape.

    A status the route declared itself keeps its schema, and gets the project's wording in
    place of ninja's stock one ("Not Found"), so every 404 of the document says the same.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for key, answer in responses.items():
                status = int(key) if str(key).isdigit() else 0  # not "default" nor "4XX"
                stock = STOCK_DESCRIPTIONS.get(status)  # what ninja writes when given no words
                if status in ERRORS and answer.get("description") == stock:
                    answer["description"] = ERRORS[status]
            for status in _errors_of(path, method, operation):
                if status not in responses and str(status) not in responses:
                    content = {"application/json": {"schema": ref}}
                    responses[status] = {"description": ERRORS[status], "content": content}


@csrf_exempt
def _unknown_endpoint(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404, "not_found", f"There is no API endpoint at {request.path}.")


api = ShequAPI(
    title="shequ API",
    version="1",
    description="Community data hub and services. Errors share one shape: "
    '`{"error": {"code", "message", "fields"}}`.',
    urls_namespace="api-1",
    # Tokens first: a token request carries no ambient credential, so it needs no CSRF token,
    # and a session's CSRF refusal must not hide a valid token.
    auth=[TokenAuth(), TokenHeaderAuth(), BrowserSessionAuth()],
    parser=TextParser(),
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
    details = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
    return error_response(request, 422, "invalid", f"Invalid input: {details}.", fields)


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """Every refusal a service raises, in the one shape, with the status it names."""
    response = error_response(request, exc.status, exc.api_code, exc.text, exc.fields)
    if (retry := getattr(exc, "retry_after", None)) is not None:
        response["Retry-After"] = str(retry)
    return response


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
        request,
        401,
        "unauthenticated",
        "Log in, or send a valid API token as 'Authorization: Bearer <token>'.",
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ValidationError):
        # ninja wraps what the body parser raised in "Cannot parse request body": a refused
        # value (a NUL character) is answered naming its field.
        return on_validation_error(request, exc.__cause__)
    code = STATUS_CODES.get(exc.status_code, "error")
    message = str(exc)
    if isinstance(exc.__cause__, json.JSONDecodeError):
        # ninja says only "Cannot parse request body"; say where the JSON breaks.
        message = f"The request body is not valid JSON: {exc.__cause__}."
    return error_response(request, exc.status_code, code, message)


def body_too_large(request: HttpRequest) -> HttpResponse:
    """413 naming the limit: the body is not read (nor parsed) past it."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        request,
        413,
        "too_large",
        f"The request body is larger than the limit of {limit} bytes.",
        {"body": [f"At most {limit} bytes."]},
    )


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return body_too_large(request)


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    # e.g. "multipart/form-data" without a boundary: the body cannot be read at all.
    return error_response(request, 400, "bad_request", f"The form body cannot be read: {exc}.")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # get_object_or_404 says which kind of object: "No Region matches the given query."
    return error_response(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def on_object_missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return error_response(request, 404, "not_found", str(exc) or "Not found.")


def register_routers() -> None:
    from shequ.core.api import router as core_router

    api.add_router("/", core_router)
    from shequ.hub.api import mount as mount_hub

    mount_hub(api)
    from shequ.parking.api import mount as mount_parking

    mount_parking(api)
    from shequ.timebank.api import mount as mount_timebank

    mount_timebank(api)
    from shequ.access.api import mount as mount_access

    mount_access(api)
    from shequ.flood.api import mount as mount_flood

    mount_flood(api)
    from shequ.dashboard.api import mount as mount_dashboard

    mount_dashboard(api)


register_routers()
