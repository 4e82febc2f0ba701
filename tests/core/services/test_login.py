"""Logging in on the web: argon2 hashes, lock-out after repeated failures, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.utils import timezone

from shequ.core.models import AuditEvent, LoginLock

PASSWORD = "correct horse battery staple"


ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.fixture(autouse=True)
def _three_strikes_and_fast_hashes(settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    # argon2 costs ~0.3 s a check; only the first tests need it (the lock-out is hasher-blind).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def log_in(client: Client, password: str, username: str = "staff") -> Any:
    return client.post("/login/", {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_passwords_are_hashed_with_argon2(settings: Any, make_user: Any) -> None:
    settings.PASSWORD_HASHERS = [ARGON2]
    user = make_user(None)
    assert user.password.startswith("argon2")
    assert PASSWORD not in user.password


def test_the_platform_configures_argon2_as_the_first_hasher() -> None:
    # The module's fixture replaced settings.PASSWORD_HASHERS: read the platform's own list.
    from shequ import settings as shequ_settings

    assert shequ_settings.PASSWORD_HASHERS[0] == ARGON2


def test_the_right_password_logs_in(settings: Any, client: Client, make_user: Any) -> None:
    settings.PASSWORD_HASHERS = [ARGON2]
    make_user(None, username="argon")
    response = log_in(client, PASSWORD, username="argon")
    assert response.status_code == 302
    assert logged_in(client)


def test_a_wrong_password_is_refused_without_locking(client: Client, staff: Any) -> None:
    response = log_in(client, "wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not logged_in(client)


def test_it_locks_the_name_after_too_many_failures_even_for_the_right_password(
    client: Client, staff: Any
) -> None:
    for _ in range(3):
        log_in(client, "wrong")

    response = log_in(client, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert not logged_in(client)


def test_the_failure_that_reaches_the_limit_is_answered_with_429(
    client: Client, staff: Any
) -> None:
    statuses = [log_in(client, "wrong").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_lock_ignores_the_case_of_the_name(client: Client, staff: Any) -> None:
    for _ in range(3):
        log_in(client, "wrong", username="STAFF")
    assert log_in(client, PASSWORD).status_code == 429


def test_a_locked_attempt_does_not_check_the_password(client: Client, staff: Any) -> None:
    for _ in range(3):
        log_in(client, "wrong")
    checked: list[Any] = []

    def receiver(**kwargs: Any) -> None:
        checked.append(kwargs)

    user_login_failed.connect(receiver)
    try:
        assert log_in(client, "another guess").status_code == 429
    finally:
        user_login_failed.disconnect(receiver)
    assert checked == []
    assert AuditEvent.objects.filter(action="login.locked").get().details == {"username": "staff"}


def test_a_success_before_the_limit_resets_the_counter(client: Client, staff: Any) -> None:
    for _ in range(2):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()

    for _ in range(2):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_lock_expires(client: Client, staff: Any) -> None:
    for _ in range(3):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 429

    LoginLock.objects.filter(username="staff").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )

    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_after_the_lock_expires_the_counter_starts_again(client: Client, staff: Any) -> None:
    for _ in range(3):
        log_in(client, "wrong")
    LoginLock.objects.update(locked_until=timezone.now() - timedelta(seconds=1))

    assert [log_in(client, "wrong").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("username", ["nobody", "n" * 200])
def test_unknown_names_are_locked_like_known_ones(client: Client, db: None, username: str) -> None:
    statuses = [log_in(client, "x", username=username).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_logins_and_failures_are_audited(client: Client, staff: Any) -> None:
    log_in(client, "wrong")
    log_in(client, PASSWORD)

    failure = AuditEvent.objects.get(action="login.failure")
    assert failure.details == {"username": "staff"}
    assert failure.actor is None
    assert failure.ip == "127.0.0.1"
    assert "wrong" not in str(failure.details)
    success = AuditEvent.objects.get(action="login.success")
    assert success.actor == staff
    assert success.ip == "127.0.0.1"


@pytest.mark.parametrize("variant", [" staff", "staff ", "\tstaff\n", "ｓｔａｆｆ", " STAFF "])
def test_padded_and_width_variants_of_a_name_share_its_lock(
    client: Client, staff: Any, variant: str
) -> None:
    # Django strips and NFKC-normalises the name before checking the password, so each
    # variant guesses the same account: it must count against the same lock.
    statuses = [log_in(client, "wrong", username=variant).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert log_in(client, PASSWORD).status_code == 429
    assert log_in(client, PASSWORD, username=variant).status_code == 429


def test_one_address_guessing_many_names_is_locked_out(
    settings: Any, client: Client, staff: Any
) -> None:
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    statuses = [log_in(client, "wrong", username=f"name{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    # The right password of another name from the same address waits too...
    assert log_in(client, PASSWORD).status_code == 429
    # ...while another address is not affected.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="192.0.2.7")
    assert log_in(elsewhere, PASSWORD).status_code == 302


def test_a_success_does_not_reset_the_address_count(
    settings: Any, client: Client, staff: Any
) -> None:
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for i in range(3):
        log_in(client, "wrong", username=f"name{i}")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "wrong", username="name9").status_code == 429


def test_a_lockout_answers_retry_after_and_is_audited(client: Client, staff: Any) -> None:
    statuses = [log_in(client, "wrong") for _ in range(3)]
    locked = statuses[-1]
    assert locked.status_code == 429
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
    lockout = AuditEvent.objects.get(action="login.lockout")
    assert lockout.details == {"username": "staff"}
    again = log_in(client, PASSWORD)
    assert again.status_code == 429 and int(again["Retry-After"]) <= 15 * 60


def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(
    settings: Any, staff: Any
) -> None:
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    settings.LOGIN_MAX_FAILURES = 100
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 2

    def guess(address: str, username: str) -> int:
        proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {address}")
        return int(log_in(proxied, "wrong", username=username).status_code)

    assert [guess("198.51.100.7", name) for name in ("a", "b")] == [200, 429]
    # Another client behind the same proxy is not locked out by the first one's guesses.
    assert guess("203.0.113.9", "c") == 200
    # What a client writes first in X-Forwarded-For is not believed: the proxy's last hop is.
    assert guess("198.51.100.7", "staff") == 429
    assert LoginLock.objects.filter(username="addr:198.51.100.7").exists()
    assert not LoginLock.objects.filter(username="addr:6.6.6.6").exists()


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings: Any, staff: Any) -> None:
    settings.TRUSTED_PROXIES = []
    spoofing = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.99")
    log_in(spoofing, "wrong", username="nobody")
    assert LoginLock.objects.filter(username="addr:192.0.2.1").exists()
    assert not LoginLock.objects.filter(username="addr:198.51.100.99").exists()


def test_a_failure_counted_while_the_name_is_locked_answers_locked(staff: Any) -> None:
    """A guess in flight when another process locked the name gets 429, not a plain miss."""
    from shequ.core.services import login

    for _ in range(3):
        login.register_failure("staff")
    assert login.register_failure("staff") is not None
