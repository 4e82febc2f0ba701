"""Residents log in with phone and one-time code: sent, hashed, expiring, limited, locked."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parking.factories import post
from shequ.core.models import Membership, Role
from shequ.parking.models import Estate, PhoneCode, ResidentAccount

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


def ask(client: Client, phone: str = PHONE, estate: str | None = "jinxiu") -> Any:
    return post(client, "/login/code", {"phone": phone, "estate": estate})


def printed_code(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    codes = re.findall(r"login code for 138\*\*\*\*5678: (\d{6})", out)
    assert codes, out
    return codes[-1]


def test_a_resident_logs_in_with_the_printed_code(
    capsys: pytest.CaptureFixture[str], estate: Estate
) -> None:
    client = Client()
    answer = ask(client)
    assert answer.status_code == 202, answer.content
    code = printed_code(capsys)
    stored = PhoneCode.objects.get()
    assert code not in stored.code_hash and PHONE not in stored.phone_hash
    login = post(client, "/login/verify", {"phone": "+86 138-1234-5678", "code": code})
    assert login.status_code == 200, login.content
    body = login.json()
    assert body["phone"] == "138****5678" and body["estate"] == "jinxiu"
    account = ResidentAccount.objects.get()
    assert PHONE not in account.phone_enc
    assert Membership.objects.filter(user=account.user, role=Role.RESIDENT, region=estate.region)
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert token_client.get("/api/v1/parking/me/passes").status_code == 200
    # The session works too (the phone page uses it).
    assert client.get("/api/v1/parking/me/applications").status_code == 200
    # A code is spent once.
    again = post(Client(), "/login/verify", {"phone": PHONE, "code": code})
    assert again.status_code == 422


def test_the_same_phone_is_the_same_resident(
    capsys: pytest.CaptureFixture[str], estate: Estate
) -> None:
    for _ in range(2):
        ask(Client())
        code = printed_code(capsys)
        assert post(Client(), "/login/verify", {"phone": PHONE, "code": code}).status_code == 200
        PhoneCode.objects.update(created=timezone.now() - timedelta(minutes=2))
    assert ResidentAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("phone", "status", "field"),
    [("12345", 422, "phone"), ("", 422, "phone"), (PHONE, 404, None)],
)
def test_bad_requests_for_a_code(
    estate: Estate, phone: str, status: int, field: str | None
) -> None:
    answer = ask(Client(), phone, estate="nowhere" if field is None else "jinxiu")
    assert answer.status_code == status
    if field:
        assert field in answer.json()["error"]["fields"]
    assert not PhoneCode.objects.exists()


def test_codes_are_rate_limited(capsys: pytest.CaptureFixture[str], estate: Estate) -> None:
    assert ask(Client()).status_code == 202
    too_soon = ask(Client())
    assert too_soon.status_code == 429 and too_soon.json()["error"]["code"] == "throttled"
    for _ in range(4):
        PhoneCode.objects.update(created=timezone.now() - timedelta(minutes=5))
        assert ask(Client()).status_code == 202
    PhoneCode.objects.update(created=timezone.now() - timedelta(minutes=5))
    assert ask(Client()).status_code == 429  # five an hour
    assert PhoneCode.objects.count() == 5


def test_an_expired_code_is_refused(capsys: pytest.CaptureFixture[str], estate: Estate) -> None:
    ask(Client())
    code = printed_code(capsys)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = post(Client(), "/login/verify", {"phone": PHONE, "code": code})
    assert answer.status_code == 422 and "code" in answer.json()["error"]["fields"]
    assert not ResidentAccount.objects.exists()


def test_wrong_codes_lock_the_phone_out(
    capsys: pytest.CaptureFixture[str], estate: Estate, settings: Any
) -> None:
    settings.LOGIN_MAX_FAILURES = 5
    ask(Client())
    code = printed_code(capsys)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [
        post(Client(), "/login/verify", {"phone": PHONE, "code": wrong}).status_code
        for _ in range(5)
    ]
    assert statuses == [422, 422, 422, 422, 429]
    # Locked: even the right code is refused now, and no new code is sent.
    assert post(Client(), "/login/verify", {"phone": PHONE, "code": code}).status_code == 429
    PhoneCode.objects.update(created=timezone.now() - timedelta(minutes=5))
    assert ask(Client()).status_code == 429
    assert not ResidentAccount.objects.exists()


def test_without_a_channel_or_console_no_code_is_made(settings: Any, estate: Estate) -> None:
    settings.PARKING_OTP_CONSOLE = False
    answer = ask(Client())
    assert answer.status_code == 503 and "OTP_CHANNEL" in answer.json()["error"]["message"]
    assert not PhoneCode.objects.exists()
