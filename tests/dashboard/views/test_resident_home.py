"""The home page's resident entries: who gets them, where they lead."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dashboard.factories import HOME
from shequ.core.models import Role

pytestmark = pytest.mark.django_db

ENTRIES = ('data-module="community_figures"', 'data-module="rate_service"')


@pytest.mark.parametrize(
    ("role", "shown", "rate_page"),
    [
        (Role.RESIDENT, True, 200),
        (Role.VOLUNTEER, True, 200),
        (Role.COMMUNITY_STAFF, False, 403),
        (Role.GARAGE_OPERATOR, False, 403),
        (None, False, 403),
    ],
)
def test_residents_and_volunteers_get_the_entries(
    make_user: Any, role: str | None, shown: bool, rate_page: int
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(role, HOME))
    home = client.get("/").content.decode()
    for entry in ENTRIES:
        assert (entry in home) is shown, (role, entry)
    if shown:
        assert "The public indicators of 锦绣社区" in home
        assert 'href="/dashboard/phone/"' in home and 'href="/dashboard/feedback/rate/"' in home
        assert client.get("/dashboard/phone/").status_code == 200
    assert client.get("/dashboard/feedback/rate/").status_code == rate_page
