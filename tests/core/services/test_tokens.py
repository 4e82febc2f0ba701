"""Per-user API tokens and browser sessions on /api/v1/: issue, use, expire, revoke, CSRF."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from shequ.core.models import ApiToken, AuditEvent, Role
from shequ.core.services import tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

CSRF_SECRET = "a" * 32  # any 32 alphanumerics are a well-formed CSRF secret


def bearer(raw: str, **extra: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **extra)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    return error


@pytest.fixture
def browser(staff: Any) -> Client:
    """A browser with a logged-in session that enforces CSRF like a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    return client


# --- issuing --------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_in_the_create_response_and_never_listed_again(
    api: Client,
) -> None:
    response = api.post("/api/v1/tokens", {"name": "ci"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("shq_")
    assert body["prefix"] == body["token"][:10]
    assert body["name"] == "ci"
    assert body["revoked_at"] is None

    listed = api.get("/api/v1/tokens").json()
    assert body["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    assert body["token"] not in api.get("/api/v1/tokens").content.decode()


def test_no_column_of_the_stored_token_contains_the_clear_token(api: Client) -> None:
    raw = api.post("/api/v1/tokens", {"name": "ci"}, content_type="application/json").json()[
        "token"
    ]
    row = ApiToken.objects.filter(prefix=raw[:10]).values().get()
    for column, value in row.items():
        assert raw not in str(value), column
        assert raw[10:] not in str(value), column
    assert row["digest"] == hashlib.sha256(raw.encode()).hexdigest()


def test_the_audit_trail_records_the_issue_without_the_clear_token(api: Client) -> None:
    raw = api.post("/api/v1/tokens", {"name": "ci"}, content_type="application/json").json()[
        "token"
    ]
    events = AuditEvent.objects.filter(action="token.issue")
    assert events.exists()
    for event in events.values():
        assert all(raw not in str(value) for value in event.values())


def test_a_token_with_days_expires_that_many_days_from_now(api: Client) -> None:
    body = api.post(
        "/api/v1/tokens", {"name": "short", "days": 7}, content_type="application/json"
    ).json()
    expires = ApiToken.objects.get(pk=body["id"]).expires_at
    assert expires is not None
    assert abs(expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"name": ""}, "name"), ({}, "name"), ({"name": "x", "days": 0}, "days")],
)
def test_an_invalid_token_request_is_a_422_naming_the_field(
    api: Client, payload: dict[str, Any], field: str
) -> None:
    before = ApiToken.objects.count()
    response = api.post("/api/v1/tokens", payload, content_type="application/json")
    error = assert_error(response, 422, "invalid")
    assert field in error["fields"]
    assert field in error["message"]
    assert ApiToken.objects.count() == before


# --- using ----------------------------------------------------------------------------------


def test_an_issued_token_authenticates_as_its_user_with_a_bearer_header(staff: Any) -> None:
    _token, raw = tokens.issue(staff, "t")
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "staff"


def test_the_x_api_token_header_works_as_well(staff: Any) -> None:
    _token, raw = tokens.issue(staff, "t")
    response = Client(HTTP_X_API_TOKEN=raw).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "staff"


def test_using_a_token_records_when_it_was_last_used(staff: Any) -> None:
    token, raw = tokens.issue(staff, "t")
    assert token.last_used is None
    bearer(raw).get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used is not None


def test_a_token_client_can_post_without_a_csrf_token(staff: Any) -> None:
    _token, raw = tokens.issue(staff, "t")
    client = bearer(raw, enforce_csrf_checks=True)
    response = client.post("/api/v1/tokens", {"name": "n"}, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer shq_not-a-real-token"},
        {"HTTP_AUTHORIZATION": "Bearer something-else"},
        {"HTTP_AUTHORIZATION": "Basic c3RhZmY6cGFzcw=="},
        {"HTTP_X_API_TOKEN": "shq_not-a-real-token"},
    ],
    ids=["none", "unknown", "no-prefix", "basic", "x-api-token-unknown"],
)
def test_a_request_without_a_valid_token_is_a_401_with_the_error_shape(
    staff: Any, headers: dict[str, str]
) -> None:
    response = Client(**headers).get("/api/v1/me")
    error = assert_error(response, 401, "unauthenticated")
    assert "token" in error["message"].lower()


def test_an_expired_token_is_refused(staff: Any) -> None:
    token, raw = tokens.issue(staff, "t", days=1)
    assert bearer(raw).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")


def test_a_token_of_an_inactive_user_is_refused(staff: Any) -> None:
    _token, raw = tokens.issue(staff, "t")
    get_user_model().objects.filter(pk=staff.pk).update(is_active=False)
    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")


# --- revoking -------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_from_then_on(staff: Any) -> None:
    token, raw = tokens.issue(staff, "doomed")
    response = token_api(staff).delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_a_token_can_revoke_itself_and_revoking_twice_is_harmless(staff: Any) -> None:
    token, raw = tokens.issue(staff, "self")
    assert bearer(raw).delete(f"/api/v1/tokens/{token.pk}").status_code == 200
    assert_error(bearer(raw).delete(f"/api/v1/tokens/{token.pk}"), 401, "unauthenticated")
    again = token_api(staff).delete(f"/api/v1/tokens/{token.pk}")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_revoking_another_users_token_is_a_404_and_leaves_it_working(
    staff: Any, make_user: Any
) -> None:
    other = make_user(Role.COMMUNITY_STAFF, "990102001001")
    token, raw = tokens.issue(other, "theirs")
    assert_error(token_api(staff).delete(f"/api/v1/tokens/{token.pk}"), 404, "not_found")
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(raw).get("/api/v1/me").status_code == 200


def test_revoking_a_token_that_does_not_exist_is_a_404(api: Client) -> None:
    assert_error(api.delete("/api/v1/tokens/987654"), 404, "not_found")


def test_a_user_lists_only_their_own_tokens(staff: Any, make_user: Any) -> None:
    other = make_user(Role.COMMUNITY_STAFF, "990102001001")
    theirs, _raw = tokens.issue(other, "theirs")
    mine, _raw = tokens.issue(staff, "mine")
    ids = [t["id"] for t in token_api(staff).get("/api/v1/tokens").json()]
    assert mine.pk in ids
    assert theirs.pk not in ids


def token_api(user: Any) -> Client:
    _token, raw = tokens.issue(user, "admin")
    return bearer(raw)


# --- browser sessions -----------------------------------------------------------------------


def test_a_logged_in_browser_session_can_read_without_a_csrf_token(browser: Client) -> None:
    response = browser.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "staff"


def test_a_session_post_without_a_csrf_token_is_refused_and_writes_nothing(
    browser: Client,
) -> None:
    before = ApiToken.objects.count()
    response = browser.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    error = assert_error(response, 403, "forbidden")
    assert "CSRF" in error["message"]
    assert ApiToken.objects.count() == before


def test_a_session_post_with_a_wrong_csrf_token_is_refused(browser: Client) -> None:
    browser.cookies["csrftoken"] = CSRF_SECRET
    response = browser.post(
        "/api/v1/tokens",
        {"name": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN="b" * 32,
    )
    assert_error(response, 403, "forbidden")


def test_a_session_post_with_the_csrf_token_is_accepted(browser: Client) -> None:
    browser.cookies["csrftoken"] = CSRF_SECRET
    response = browser.post(
        "/api/v1/tokens",
        {"name": "from the browser"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
    )
    assert response.status_code == 201
    assert response.json()["token"].startswith("shq_")


def test_an_anonymous_post_is_a_401_not_a_csrf_error(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert_error(response, 401, "unauthenticated")


def test_a_session_of_a_deactivated_user_is_refused(staff: Any) -> None:
    client = Client()
    client.force_login(staff)
    get_user_model().objects.filter(pk=staff.pk).update(is_active=False)
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")
