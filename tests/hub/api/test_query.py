"""The hub query API with a token client: result pages, exports, and the 4xx shapes.

The router is mounted here on an API like the project's (same authentication, same error
handlers), so these tests do not depend on where the project mounts it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.test import Client
from django.urls import path

from hub.factories import HOME, Hub, hub_person
from shequ.api import ShequAPI, api
from shequ.core.models import AuditEvent, Role
from shequ.core.services import tokens
from shequ.hub.api.query import router

_test_api = ShequAPI(title="hub query test", urls_namespace="hub-query-test", auth=api.auth)
for _exc, _handler in api._exception_handlers.items():
    _test_api.add_exception_handler(_exc, _handler)
_test_api.add_router("/hub", router)
urlpatterns = [path("api/v1/", _test_api.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
BASE = "/api/v1/hub/query"


def client_for(user: Any, language: str = "en") -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE=language)


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def staff_client(hub: Hub) -> Client:
    return client_for(hub.staff)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return dict(body["error"])


def test_a_query_returns_a_page_of_json_safe_rows(staff_client: Client) -> None:
    response = post(
        staff_client,
        BASE,
        {
            "sql": "SELECT person_id, name, seen_at, born, CAST(age / 3 AS DECIMAL(8, 2)) AS d, "
            "active FROM people ORDER BY person_id",
            "page": 2,
            "page_size": 15,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["columns"] == ["person_id", "name", "seen_at", "born", "d", "active"]
    assert body["row_count"] == 40 and body["truncated"] is False
    assert body["page"] == 2 and body["pages"] == 3 and len(body["rows"]) == 15
    first = body["rows"][0]  # the 16th of 锦绣社区's people: P0045
    clear = hub_person(45)
    assert first[:4] == [
        "P0045",
        clear["name"][0] + "*",
        "2026-10-18T21:15:00+08:00",
        clear["born"],
    ]
    assert first[4] == "21.67" and first[5] is True
    assert body["datasets"] == {"people": 0} and body["clear_pii"] == []
    assert isinstance(body["duration_ms"], int)


def test_the_row_limit_truncates(staff_client: Client) -> None:
    body = post(staff_client, BASE, {"sql": "SELECT * FROM parking_events", "limit": 7}).json()
    assert body["row_count"] == 7 and body["truncated"] is True and len(body["rows"]) == 7


def test_versions_per_dataset(staff_client: Client) -> None:
    body = post(
        staff_client,
        BASE,
        {"sql": "SELECT count(*) FROM people", "version": {"people": 0}},
    ).json()
    assert body["rows"] == [[40]]


def test_refused_sql_is_400_with_the_reason(staff_client: Client) -> None:
    error = error_of(
        post(staff_client, BASE, {"sql": "SELECT * FROM read_csv('/etc/passwd')"}), 400
    )
    assert error["code"] == "bad_request" and "read_csv" in error["message"]
    error = error_of(post(staff_client, BASE, {"sql": "SELECT nope FROM people"}), 400)
    assert "nope" in error["message"]


def test_no_grant_is_403_and_unknown_dataset_404(staff_client: Client) -> None:
    error = error_of(post(staff_client, BASE, {"sql": "SELECT * FROM health_records"}), 403)
    assert error["code"] == "forbidden" and "request it in the hub" in error["message"]
    error = error_of(post(staff_client, BASE, {"sql": "SELECT * FROM ghosts"}), 404)
    assert error["code"] == "not_found" and "ghosts" in error["message"]
    error = error_of(post(staff_client, BASE, {"sql": "SELECT * FROM people", "version": 9}), 404)
    assert "no version 9" in error["message"]


def test_a_user_without_the_hub_is_403(hub: Hub, make_user: Any) -> None:
    resident = make_user(Role.RESIDENT, HOME)
    hub.grant(resident, hub["parking_lots"])
    error = error_of(post(client_for(resident), BASE, {"sql": "SELECT 1 FROM parking_lots"}), 403)
    assert "hub" in error["message"]
    event = AuditEvent.objects.get(action="hub.query.refused")
    assert event.actor == resident and event.details["status"] == 403


def test_a_slow_query_is_cancelled_with_408(staff_client: Client) -> None:
    sql = (
        "SELECT count(*) FROM parking_events a, parking_events b, parking_events c, "
        "parking_events d WHERE a.plate || b.plate || c.plate || d.plate = 'x'"
    )
    error = error_of(post(staff_client, BASE, {"sql": sql, "timeout": 0.5}), 408)
    assert "cancelled" in error["message"]


def test_bad_input_is_422_and_no_token_401(hub: Hub, staff_client: Client) -> None:
    error = error_of(post(staff_client, BASE, {"sql": "SELECT 1", "limit": 0}), 422)
    assert "limit" in error["fields"]
    error_of(post(staff_client, BASE, {"limit": 5}), 422)
    error_of(post(Client(), BASE, {"sql": "SELECT 1 FROM parking_lots"}), 401)


def test_exports_are_files_masked_like_the_query(staff_client: Client, tmp_path: Any) -> None:
    body = {"sql": "SELECT person_id, phone, seen_at FROM people ORDER BY person_id"}
    response = post(staff_client, f"{BASE}/export?format=csv", body)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Row-Count"] == "40"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[1] == "P0000,139****0000,2026-10-01T00:15:00+08:00"

    response = post(staff_client, f"{BASE}/export?format=xlsx", body)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet[2]][:2] == ["P0000", "139****0000"]

    response = post(staff_client, f"{BASE}/export?format=parquet", body)
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.num_rows == 40 and table.column("phone")[0].as_py() == "139****0000"

    error_of(post(staff_client, f"{BASE}/export?format=pdf", body), 422)
    error = error_of(post(staff_client, f"{BASE}/export", {"sql": "ATTACH 'x.db'"}), 400)
    assert "ATTACH" in error["message"]


def test_the_allowed_functions_are_listed(staff_client: Client) -> None:
    names = staff_client.get(f"{BASE}/functions").json()
    assert "date_trunc" in names and "getenv" not in names and names == sorted(names)
