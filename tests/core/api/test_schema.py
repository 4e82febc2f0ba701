"""The API's input schema is honest: every number bounded, every list's page bounded, bodies
over the limit refused with 413, and what the schema states is what the server enforces.

Each of these was a 500 on bad input once (``OverflowError``, an OFFSET the database refused,
``RequestDataTooBig``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, get_args

import pytest
import schemathesis
from django.test import Client
from ninja import Router
from pydantic import BaseModel, TypeAdapter, ValidationError

from shequ.api import api as ninja_api
from shequ.core import inputs
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


def test_a_multipart_body_without_a_boundary_is_400(admin_client: Client) -> None:
    # Found by schemathesis in the system tier: Django cannot parse it at all (was a 500).
    response = admin_client.post(
        "/api/v1/hub/datasets/nothing/upload", b"x", content_type="multipart/form-data"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "bad_request"


def test_text_with_a_nul_character_is_422_naming_the_field(admin_client: Client) -> None:
    # PostgreSQL cannot store NUL; schemathesis found 500s there (SQLite stored it).
    body = admin_client.post(
        "/api/v1/tokens", json.dumps({"name": "a\x00b"}), content_type="application/json"
    )
    assert body.status_code == 422, body.content
    assert "name" in body.json()["error"]["fields"]
    query = admin_client.get("/api/v1/parking/holidays", {"region": "99\x00"})
    assert query.status_code == 422, query.content
    assert "region" in query.json()["error"]["fields"]


def _schema() -> dict[str, Any]:
    return dict(ninja_api.get_openapi_schema())


def _operations_in_schema() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in _schema()["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_declares_the_errors_it_can_give() -> None:
    missing = []
    for path, method, operation in _operations_in_schema():
        declared = {int(s) for s in operation["responses"]}
        wanted = set()
        if "requestBody" in operation:
            wanted |= {400, 413, 422}
        if operation.get("parameters"):
            wanted.add(422)
        if operation.get("security"):
            wanted |= {401, 403}
        if "{" in path or any(p.get("required") for p in operation.get("parameters", [])):
            wanted.add(404)
        missing += [f"{method.upper()} {path} {s}" for s in sorted(wanted - declared)]
    assert missing == []
    error = _schema()["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "fields"]


def test_every_operation_says_what_it_answers() -> None:
    # The query export and a run's quarantine answered a bare "OK": a client (or a fuzzer)
    # could not know a file comes back, nor of which types.
    untyped = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in _operations_in_schema()
        for status, answer in operation["responses"].items()
        if str(status).startswith("2") and str(status) != "204" and not answer.get("content")
    ]
    assert untyped == []
    export = _schema()["paths"]["/api/v1/hub/query/export"]["post"]["responses"][200]
    assert {"text/csv", "application/vnd.apache.parquet"} <= set(export["content"])
    assert {"X-Row-Count", "X-Truncated"} <= set(export["headers"])


def test_every_route_declares_its_own_error_answers() -> None:
    # shequ.api adds the shared handlers' errors to the document; a route's response= must say
    # what it answers itself, so ninja (and fuzzing) know the error shape of each route.
    silent = [
        f"{operation.view_func.__module__}.{operation.view_func.__name__}"
        for operation in _operations()
        if operation.auth_param is not None  # auth=None: public, e.g. /health
        and not any(
            isinstance(status, int) and status >= 400 for status in operation.response_models
        )
    ]
    assert silent == []


def _string_limits(schema: dict[str, Any], defs: dict[str, Any]) -> Iterator[tuple[str, int]]:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for name, prop in schema.get("properties", {}).items():
        for option in [prop, *prop.get("anyOf", [])]:
            if option.get("type") == "string" and "maxLength" in option:
                yield name, int(option["maxLength"])


def _bodies_with_limits() -> list[tuple[str, str, str, int]]:
    defs = _schema()["components"]["schemas"]
    found = []
    for path, method, operation in _operations_in_schema():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        schemes = {name for option in operation.get("security", []) for name in option}
        if body and "TokenAuth" in schemes:  # gate devices' own tokens: tests/parking
            for field, limit in _string_limits(body["schema"], defs):
                found.append((method, path, field, limit))
    return found


def test_string_limits_are_found() -> None:
    assert ("post", "/api/v1/parking/passes/{pass_id}/reveal", "reason", 200) in (
        _bodies_with_limits()
    )


@pytest.mark.parametrize(("method", "path", "field", "limit"), _bodies_with_limits())
def test_every_string_limit_the_schema_states_is_enforced(
    admin_client: Client, method: str, path: str, field: str, limit: int
) -> None:
    url = path
    for name in ("key", "slug", "number", "code"):
        url = url.replace("{" + name + "}", "x")
    url = re.sub(r"\{[a-z_]+\}", "1", url)
    body = json.dumps({field: "x" * (limit + 1)})
    response = getattr(admin_client, method)(url, body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"], response.content


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models_in(field.annotation)
    for arg in get_args(annotation):
        yield from _models_in(arg)


def test_no_two_schemas_share_a_name() -> None:
    # Two input models named RevealIn (reasons of at most 200 and 300 characters) became one
    # component: the schema stated 200 where the server accepted 300.
    by_name: dict[str, set[str]] = {}
    for operation in _operations():
        models = list(operation.signature.models)
        models += [m for m in operation.response_models.values() if hasattr(m, "model_fields")]
        for model in models:
            for field in model.model_fields.values():
                for found in _models_in(field.annotation):
                    name = found.__name__
                    by_name.setdefault(name, set()).add(f"{found.__module__}.{found.__qualname__}")
    shared = {name: where for name, where in by_name.items() if len(where) > 1}
    assert shared == {}


def test_every_error_answer_is_described_in_the_projects_words() -> None:
    """A 4xx a route declares itself reads like those the document adds (``shequ.api.ERRORS``),
    not ninja's stock "Not Found"; and every answer keeps the description OpenAPI requires."""
    from shequ.api import ERRORS

    stock = []
    for path, method, operation in _operations_in_schema():
        for status, answer in operation["responses"].items():
            assert isinstance(answer.get("description"), str) and answer["description"]
            if int(status) in ERRORS and answer["description"] != ERRORS[int(status)]:
                stock.append(f"{method.upper()} {path} {status}: {answer['description']}")
    assert stock == []
    schemathesis.openapi.from_dict(json.loads(json.dumps(_schema()))).validate()  # OpenAPI 3.1


def _unchecked_datetimes() -> Iterator[str]:
    checks = {id(f) for f in (inputs._aware, inputs._in_range)}
    for operation in _operations():
        for signature_model in operation.signature.models:
            for model in _models_in(signature_model):
                for name, field in model.model_fields.items():
                    types = (field.annotation, *get_args(field.annotation))
                    if not any(t is datetime for t in types):
                        continue
                    validators = [getattr(m, "func", None) for m in field.metadata]
                    if not any(id(v) in checks for v in validators):
                        yield f"{model.__module__}.{model.__name__}.{name}"


def test_every_input_time_is_checked_for_its_offset_and_range() -> None:
    # A time the database cannot hold was a 500 on PostgreSQL ("time zone displacement out of
    # range" for -22:22, which ISO 8601 allows); every input time is LocalDatetime or
    # OffsetDatetime.
    assert sorted(set(_unchecked_datetimes())) == []


@pytest.mark.parametrize(
    "value", ["2026-07-01T08:00:00-22:22", "2026-07-01T08:00:00+15:00", "9999-12-31T23:00:00-05:00"]
)
def test_an_offset_out_of_use_or_a_time_past_the_bounds_is_refused(value: str) -> None:
    for kind in (inputs.LocalDatetime, inputs.OffsetDatetime):
        with pytest.raises(ValidationError):
            TypeAdapter(kind).validate_python(value)
    assert TypeAdapter(inputs.OffsetDatetime).validate_python("2026-07-01T08:00:00+14:00")
    with pytest.raises(ValidationError):  # a device's time without an offset
        TypeAdapter(inputs.OffsetDatetime).validate_python("2026-07-01T08:00:00")
