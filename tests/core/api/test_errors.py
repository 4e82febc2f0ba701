"""One error type: the API's one handler, the pages' one mapping, and forms."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import Client, RequestFactory

from shequ.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, Throttled
from shequ.core.models import AuditEvent
from shequ.core.permissions import Role
from shequ.web.errors import ServiceErrorMiddleware, put_errors


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Invalid("x"), 422, "invalid"),
        (Forbidden("x"), 403, "forbidden"),
        (NotFound("x"), 404, "not_found"),
        (Conflict("x"), 409, "conflict"),
        (Conflict("x", "sold_out"), 409, "sold_out"),
        (Throttled("x"), 429, "throttled"),
        (ServiceError("x", status=503), 503, "error"),
    ],
    ids=["invalid", "forbidden", "not_found", "conflict", "own_code", "throttled", "other"],
)
def test_each_error_names_its_status_and_code(error: ServiceError, status: int, code: str) -> None:
    assert (error.status, error.api_code, error.message, error.text) == (status, code, "x", "x")


def test_a_user_the_hub_is_not_open_to_is_refused_in_the_one_shape_and_audited(
    make_user: Any, client_for: Any
) -> None:
    resident = make_user(Role.RESIDENT)
    response = client_for(resident).get("/api/v1/hub/datasets")
    assert response.status_code == 403
    body = response.json()["error"]
    assert body["code"] == "forbidden" and body["fields"] == {}
    event = AuditEvent.objects.get(action="hub.refused")
    assert event.actor == resident and event.details["path"] == "/api/v1/hub/datasets"


def test_a_hub_page_refused_is_a_403_page_and_audited(make_user: Any) -> None:
    operator = make_user(Role.GARAGE_OPERATOR)
    client = Client()
    client.force_login(operator)
    response = client.get("/hub/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="hub.refused", actor=operator).count() == 1


def _request(method: str, referer: str = "") -> Any:
    factory = RequestFactory()
    headers = {"HTTP_REFERER": referer} if referer else {}
    request = getattr(factory, method)("/parking/somewhere/", **headers)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = AnonymousUser()
    return request


def _middleware() -> ServiceErrorMiddleware:
    return ServiceErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]


def test_a_refused_form_post_is_a_message_on_the_page_the_user_came_from(db: None) -> None:
    request = _request("post", referer="http://testserver/parking/passes/")
    response = _middleware().process_exception(request, Conflict("Sold out already."))
    assert response is not None and response.status_code == 302
    assert response["Location"] == "http://testserver/parking/passes/"
    assert [str(m) for m in get_messages(request)] == ["Sold out already."]


def test_a_refused_get_is_a_page_with_the_status_never_a_redirect_to_itself(db: None) -> None:
    request = _request("get", referer="http://testserver/parking/somewhere/")
    response = _middleware().process_exception(request, Throttled("Too many codes."))
    assert response is not None and response.status_code == 429
    assert "Too many codes." in response.content.decode()


def test_a_post_from_another_site_is_not_sent_back_there(db: None) -> None:
    request = _request("post", referer="https://evil.example/")
    response = _middleware().process_exception(request, Conflict("No."))
    assert response is not None and response.status_code == 409


def test_the_api_is_left_to_its_own_handler(db: None) -> None:
    request = RequestFactory().get("/api/v1/parking/x")
    assert _middleware().process_exception(request, Conflict("No.")) is None
    assert _middleware().process_exception(_request("get"), ValueError("a bug")) is None


class _PlateForm(forms.Form):
    plate = forms.CharField()


def test_put_errors_puts_a_service_errors_fields_next_to_them() -> None:
    form = _PlateForm({"plate": "x"})
    assert form.is_valid()
    put_errors(form, Invalid("The plate is not valid.", fields={"plate": ["Not a plate."]}))
    assert form.errors == {"plate": ["Not a plate."]}
    other = _PlateForm({"plate": "x"})
    other.is_valid()
    put_errors(other, Conflict("Sold out.", fields={"unknown": ["?"]}))
    assert other.non_field_errors() == ["Sold out."]
