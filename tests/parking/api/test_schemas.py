"""Every parking operation types its answers: the success body and the errors, in the document."""

from __future__ import annotations

from typing import Any

from shequ.api import api


def _parking_operations() -> list[tuple[str, str, dict[str, Any]]]:
    paths = api.get_openapi_schema()["paths"]
    return [
        (method, path, operation)
        for path, methods in paths.items()
        if path.startswith("/api/v1/parking/")
        for method, operation in methods.items()
    ]


def test_every_success_answer_has_a_schema_with_its_fields() -> None:
    untyped = []
    for method, path, operation in _parking_operations():
        for status, answer in operation["responses"].items():
            if not str(status).startswith("2") or str(status) == "204":
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            item = schema.get("items", schema)
            if "$ref" not in item:
                untyped.append(f"{method.upper()} {path} {status}: {schema}")
    assert len(_parking_operations()) >= 59
    assert untyped == []


def test_every_route_declares_its_error_answers_itself() -> None:
    """Declared on the route, not only added to the document afterwards."""
    from shequ.core.schemas import Error
    from shequ.parking.api import indices_router, router

    undeclared = []
    for each in (router, indices_router):
        for path, view in each.path_operations.items():
            for operation in view.operations:
                models = operation.response_models
                if not any(
                    400 <= status < 500 and model is not None for status, model in models.items()
                ) or any(
                    400 <= status < 500 and model.__annotations__.get("response") is not Error
                    for status, model in models.items()
                ):
                    undeclared.append(f"{operation.methods} {path}")
    assert undeclared == []
