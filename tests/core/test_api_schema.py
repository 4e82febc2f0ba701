"""The API's input schema is honest: every number bounded, every list's page bounded, bodies
over the limit refused with 413, and what the schema states is what the server enforces.

Each of these was a 500 on bad input once (``OverflowError``, an OFFSET the database refused,
``RequestDataTooBig``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from ninja import Router

from shequ.api import api as ninja_api
from shequ.core.inputs import INT_MAX
from shequ.core.models import Role
from shequ.core.services import tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

HUGE = 9223372036854775807  # 2**63 - 1


def _routers() -> Iterator[Router]:
    seen: set[int] = set()
    todo = [r for _prefix, r in ninja_api._routers]
    while todo:
        router = todo.pop()
        if id(router) in seen:
            continue
        seen.add(id(router))
        yield router
        todo.extend(child for _p, child, *_rest in router._routers)


def _operations() -> Iterator[Any]:
    for router in _routers():
        for view in router.path_operations.values():
            yield from view.operations


def _unbounded_integers(schema: Any, defs: dict[str, Any], where: str) -> Iterator[str]:
    if isinstance(schema, list):
        for item in schema:
            yield from _unbounded_integers(item, defs, where)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        yield from _unbounded_integers(defs.get(name, {}), {**defs, name: {}}, f"{where}.{name}")
    if schema.get("type") == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is None or high is None or low < -INT_MAX - 1 or high > INT_MAX:
            yield where
    for key, value in schema.items():
        if key != "$defs":
            yield from _unbounded_integers(value, defs, f"{where}.{key}")


def test_every_integer_of_every_input_is_bounded() -> None:
    unbounded = []
    for operation in _operations():
        name = f"{operation.view_func.__module__}.{operation.view_func.__name__}"
        for model in operation.signature.models:
            schema = model.model_json_schema()
            unbounded += _unbounded_integers(schema, schema.get("$defs", {}), name)
    assert unbounded == []


def _lists() -> list[str]:
    paths = ninja_api.get_openapi_schema()["paths"]
    return sorted(
        path
        for path, methods in paths.items()
        if "get" in methods
        and any(p["name"] == "page" for p in methods["get"].get("parameters", []))
    )


def test_every_paginated_list_is_found() -> None:
    assert len(_lists()) >= 12


@pytest.fixture
def admin_client(make_user: Any) -> Client:
    _token, raw = tokens.issue(make_user(Role.PLATFORM_ADMIN, "990000000000"), "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.parametrize("path", _lists())
def test_a_page_past_the_end_is_empty_and_past_the_bound_is_422(
    admin_client: Client, path: str
) -> None:
    url = path.replace("{key}", "nothing")
    far = admin_client.get(url, {"page": INT_MAX})
    assert far.status_code in (200, 404), far.content
    if far.status_code == 200:
        assert far.json()["items"] == []
    huge = admin_client.get(url, {"page": HUGE})
    assert huge.status_code == 422, huge.content
    assert "page" in huge.json()["error"]["fields"]


@pytest.mark.parametrize("size", [3_000_000, 2_621_441])
def test_a_json_body_over_the_limit_is_413_naming_it(
    settings: Any, admin_client: Client, size: int
) -> None:
    body = json.dumps({"name": "x" * size})
    response = admin_client.post("/api/v1/tokens", body, content_type="application/json")
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in error["message"]


def test_the_api_answers_413_itself_when_the_body_is_read(
    settings: Any, admin_client: Client
) -> None:
    # Without the middleware's early check, reading the body raises RequestDataTooBig inside
    # the API: it is answered in the same shape.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("BodySizeMiddleware")]
    body = json.dumps({"name": "x" * 3_000_000})
    response = admin_client.post("/api/v1/tokens", body, content_type="application/json")
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "too_large"
