"""Who sees and decides a data request: a role × action matrix.

Each role must get the same answer from the ``awaiting`` list, the request's API detail, its
approve action and its page: a request a role is shown as awaiting its decision must open and
be approvable by that role (a platform administrator once got 404 on all three: an empty
``Q()`` standing for "every dataset" was dropped when OR-ed with the other conditions).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shequ.core.services import tokens
from shequ.hub.models import DataRequest, Dataset, Grant
from shequ.hub.services import requests as svc

pytestmark = [pytest.mark.django_db]

BASE = "/api/v1/hub"

# role: (in awaiting list, API detail status, approve status, page status)
MATRIX = {
    "admin": (True, 200, 200, 200),
    "street": (True, 200, 200, 200),
    "officer": (True, 200, 200, 200),
    "analyst": (False, 200, 403, 200),  # the requester: sees it, never decides it
    "community": (False, 404, 404, 404),
    "other": (False, 404, 404, 404),
    "resident": (False, 403, 403, 403),
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pending(dataset: Dataset, users: dict[str, Any]) -> DataRequest:
    return svc.submit_request(
        users["analyst"],
        dataset,
        columns=["person_id", "name", "region_code"],
        clear_columns=["name"],
        purpose="核查独居老人",
        legal_basis="《老年人权益保障法》",
        period_from=timezone.localdate(),
        period_until=timezone.localdate() + timedelta(days=30),
    )


def _api(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_role_gets_one_answer_everywhere(
    pending: DataRequest, users: dict[str, Any], who: str
) -> None:
    listed, detail, approve, page = MATRIX[who]
    user = users[who]
    api = _api(user)
    assert (pending in svc.awaiting(user)) is listed
    assert (pending in svc.visible_requests(user)) is (detail == 200)
    if detail != 403:
        items = api.get(f"{BASE}/requests?awaiting=1").json()["items"]
        assert ([r["id"] for r in items] == [pending.pk]) is listed
    assert api.get(f"{BASE}/requests/{pending.pk}").status_code == detail
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    assert browser.get(f"/hub/requests/{pending.pk}/").status_code == page
    response = api.post(
        f"{BASE}/requests/{pending.pk}/approve", json.dumps({}), content_type="application/json"
    )
    assert response.status_code == approve, response.content
    assert Grant.objects.exists() is (approve == 200)


def test_a_platform_administrator_sees_every_request(
    pending: DataRequest, users: dict[str, Any]
) -> None:
    admin = users["admin"]
    assert list(svc.visible_requests(admin)) == list(DataRequest.objects.all())
    assert svc.can_see_request(admin, pending)
