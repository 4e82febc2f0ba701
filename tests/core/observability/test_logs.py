"""JSON logs: one object a line, the request id's round trip, no personal value in a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from shequ.core.observability.context import REQUEST_ID, request_id_from
from shequ.core.observability.logs import JsonFormatter

ID_NUMBER = "110101199003074258"  # valid in form (GB 11643 check digit), not a real person
PHONE = "13812345678"


def request_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def captured(settings: Any) -> Iterator[io.StringIO]:
    settings.LOG_REQUESTS = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_request_writes_one_json_line_with_its_fields(db: None, captured: io.StringIO) -> None:
    response = Client().get("/api/v1/health", HTTP_X_REQUEST_ID="probe-0001-abcd")
    assert response["X-Request-ID"] == "probe-0001-abcd"
    line = next(x for x in request_lines(captured) if x["logger"] == "shequ.request")
    assert line["request_id"] == "probe-0001-abcd"
    assert line["method"] == "GET"
    assert line["route"] == "api/v1/health"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert "user_id" not in line  # nobody logged in
    stamp = datetime.fromisoformat(line["time"])
    assert stamp.utcoffset() is not None  # ISO 8601 with its offset


def test_a_logged_in_user_is_logged_by_id_not_name(
    db: None, captured: io.StringIO, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("zhangsan-staff", password="x")
    client = Client()
    client.force_login(user)
    client.get("/")  # a page that loads the user
    text = captured.getvalue()
    assert "zhangsan-staff" not in text
    lines = [x for x in request_lines(captured) if x["logger"] == "shequ.request"]
    assert any(x.get("user_id") == user.pk for x in lines)


def test_a_request_without_an_id_gets_one_made_and_returned(
    db: None, captured: io.StringIO
) -> None:
    first = Client().get("/api/v1/health")["X-Request-ID"]
    second = Client().get("/api/v1/health")["X-Request-ID"]
    assert len(first) == 32 and first != second
    ids = [x["request_id"] for x in request_lines(captured) if x["logger"] == "shequ.request"]
    assert ids == [first, second]


@pytest.mark.parametrize(
    "header",
    ["short", "has space inside", "x" * 200, f"req-{ID_NUMBER}", f"req-{PHONE}", "<script>1234"],
)
def test_a_malformed_or_personal_request_id_is_replaced(header: str) -> None:
    made = request_id_from(header)
    assert made != header and len(made) == 32


def test_an_id_number_in_the_query_string_stays_out_of_the_log(
    db: None, captured: io.StringIO
) -> None:
    response = Client().get(f"/api/v1/health?id_number={ID_NUMBER}&phone={PHONE}")
    assert response.status_code == 200
    Client().get(f"/no/such/page/?id_number={ID_NUMBER}")  # Django logs a 404 warning too
    text = captured.getvalue()
    assert text  # something was logged
    assert ID_NUMBER not in text and PHONE not in text
    assert "id_number" not in text  # no query string at all


def test_a_log_line_inside_a_request_carries_its_id(captured: io.StringIO) -> None:
    token = REQUEST_ID.set("inside-request-42")
    try:
        logging.getLogger("shequ.test").warning("something happened")
    finally:
        REQUEST_ID.reset(token)
    logging.getLogger("shequ.test").warning("outside")
    inside, outside = request_lines(captured)
    assert inside["request_id"] == "inside-request-42"
    assert inside["message"] == "something happened"
    assert "request_id" not in outside


def test_personal_values_in_messages_and_tracebacks_are_masked(captured: io.StringIO) -> None:
    log = logging.getLogger("shequ.test")
    log.warning("no resident with id %s or phone %s", ID_NUMBER, PHONE)
    try:
        raise ValueError(f"bad id {ID_NUMBER}")
    except ValueError:
        log.exception("failed")
    text = captured.getvalue()
    assert ID_NUMBER not in text and PHONE not in text
    first, second = request_lines(captured)
    assert first["message"].startswith("no resident with id 1101")
    assert "ValueError" in second["exception"]


def test_the_log_format_is_json_in_production_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ import config

    monkeypatch.delenv("SHEQU_LOG_FORMAT", raising=False)
    monkeypatch.setenv("SHEQU_ENV", "production")
    assert config.log_format() == "json"
    monkeypatch.setenv("SHEQU_ENV", "development")
    assert config.log_format() == "text"
    monkeypatch.setenv("SHEQU_LOG_FORMAT", "xml")
    with pytest.raises(config.ConfigError, match="SHEQU_LOG_FORMAT must be json or text"):
        config.log_format()
