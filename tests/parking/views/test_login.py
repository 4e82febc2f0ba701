"""Residents log in on the phone login page: a code by SMS; a staff or password login confirming
a phone stays who it is."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from parking.factories import code_from, logged_in
from shequ.parking.models import (
    Estate,
)

pytestmark = pytest.mark.django_db

PHONE = "13900001111"


def test_a_resident_logs_in_with_phone_and_code(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sent = client.post(
        "/parking/login/",
        {"step": "phone", "phone": "139 0000 1111", "estate": "jinxiu", "next": "/parking/me/"},
    )
    assert sent.status_code == 200 and 'data-testid="code-form"' in sent.content.decode()
    assert "139****1111" in sent.content.decode()
    code = code_from(capsys.readouterr().out)
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post("/parking/login/", {"step": "code", "phone": PHONE, "code": wrong})
    assert "The code is wrong or has expired." in refused.content.decode()
    assert client.get("/parking/me/").status_code == 302  # still not logged in
    done = client.post(
        "/parking/login/",
        {"step": "code", "phone": PHONE, "code": code, "next": "/parking/e/jinxiu/apply/"},
    )
    assert done.status_code == 302 and done["Location"] == "/parking/e/jinxiu/apply/"
    assert client.get("/parking/me/").status_code == 200


def test_login_refuses_a_bad_phone_and_an_outside_next(estate: Estate) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    bad = client.post("/parking/login/", {"step": "phone", "phone": "12345"})
    assert 'data-testid="login-error"' in bad.content.decode()
    page = client.get("/parking/login/?next=https://evil.example/")
    assert '<input type="hidden" name="next" value="/parking/me/">' in page.content.decode()


def test_resident_pages_send_strangers_to_the_phone_login(make_user: Any) -> None:
    for client in (Client(), logged_in(make_user(None))):
        answer = client.get("/parking/me/")
        assert answer.status_code == 302
        assert answer["Location"].startswith("/parking/login/?next=%2Fparking%2Fme%2F")


def test_a_resident_logged_in_with_a_password_confirms_a_phone_and_stays_the_same_user(
    make_user: Any, estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.contrib.auth import get_user_model

    from shequ.core.models import Role
    from shequ.parking.services import residents

    user = make_user(Role.RESIDENT, estate.region.code, username="pw_resident")
    client = logged_in(user)
    assert client.get("/parking/me/")["Location"].startswith("/parking/login/")
    client.post("/parking/login/", {"step": "phone", "phone": PHONE, "next": "/parking/me/"})
    code = code_from(capsys.readouterr().out)
    users = get_user_model().objects.count()
    done = client.post("/parking/login/", {"step": "code", "phone": PHONE, "code": code})
    assert done.status_code == 302
    assert get_user_model().objects.count() == users  # no second user for the same person
    account = residents.account_of(user)
    assert account is not None and account.phone_masked == "139****1111"
    assert client.get("/parking/me/").status_code == 200
    assert client.get("/parking/", follow=True).redirect_chain[-1][0] == "/parking/me/"


def test_staff_confirming_a_phone_do_not_turn_into_that_resident(
    staff_jinxiu: Any, estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    from shequ.parking.services import residents

    client = logged_in(staff_jinxiu)
    client.post("/parking/login/", {"step": "phone", "phone": PHONE, "estate": "jinxiu"})
    code = code_from(capsys.readouterr().out)
    client.post("/parking/login/", {"step": "code", "phone": PHONE, "code": code})
    assert residents.account_of(staff_jinxiu) is None  # a separate resident user was made
