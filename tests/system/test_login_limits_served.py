"""Login limits hold across the processes of `shequ serve --workers 2`.

A platform of its own (the tier's demo must not be locked out): `shequ createadmin`, then
`shequ serve --workers 2` behind a pretend proxy (SHEQU_TRUSTED_PROXIES=127.0.0.1). Guesses
arrive in parallel, each on a new connection, so both processes answer them; the counts are in
the database, so exactly the configured number of failures passes before 429.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from system_support import SHEQU, Platform, csrf_token, throwaway_database

PER_NAME = 6
PER_ADDRESS = 12


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    database = throwaway_database("shequ_login")
    url = next(database)
    root = tmp_path_factory.mktemp("login-limits")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_", "DJANGO_"))}
    env.update(
        SHEQU_VAR_DIR=str(root / "var"),
        SHEQU_LOGIN_MAX_FAILURES=str(PER_NAME),
        SHEQU_LOGIN_MAX_FAILURES_PER_ADDRESS=str(PER_ADDRESS),
        SHEQU_TRUSTED_PROXIES="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    if url:
        env["SHEQU_DATABASE_URL"] = url
    plat = Platform(var_dir=root / "var", env=env)
    made = subprocess.run(
        [str(SHEQU), "createadmin", "guarded", "--password", "guarded-Passw0rd-2026"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    plat.start("web", "serve", "--workers", "2")
    try:
        plat.wait_healthy("web")
        yield plat
    finally:
        plat.stop_all()
        next(database, None)


def guess(platform: Platform, username: str, client_address: str) -> httpx.Response:
    """One wrong password on a fresh connection, as if forwarded by the proxy for a client."""
    headers = {"X-Forwarded-For": client_address}
    with httpx.Client(base_url=platform.base, headers=headers, timeout=60) as client:
        token = csrf_token(client.get("/login/").text)
        return client.post(
            "/login/",
            data={"username": username, "password": "wrong", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{platform.base}/login/"},
        )


def test_a_name_is_locked_after_its_failures_counted_by_both_processes(
    served: Platform,
) -> None:
    attempts = PER_NAME * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        # Each guess from its own address: only the per-name count can lock.
        answers = list(
            pool.map(lambda n: guess(served, "guarded", f"198.51.100.{n + 1}"), range(attempts))
        )
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == PER_NAME - 1, statuses
    assert statuses.count(429) == attempts - (PER_NAME - 1), statuses
    locked = [a for a in answers if a.status_code == 429]
    assert all(0 < int(a.headers["Retry-After"]) <= 15 * 60 for a in locked)
    # Locked for the right password too.
    with httpx.Client(base_url=served.base, timeout=60) as client:
        token = csrf_token(client.get("/login/").text)
        right = client.post(
            "/login/",
            data={
                "username": "guarded",
                "password": "guarded-Passw0rd-2026",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{served.base}/login/", "X-Forwarded-For": "203.0.113.200"},
        )
    assert right.status_code == 429


def test_a_client_address_is_locked_for_every_name_but_others_behind_the_proxy_are_not(
    served: Platform,
) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(
            pool.map(
                lambda n: guess(served, f"nobody{n}", "192.0.2.77").status_code,
                range(PER_ADDRESS + 6),
            )
        )
    assert statuses.count(200) == PER_ADDRESS - 1, statuses
    assert guess(served, "someone-else", "192.0.2.78").status_code == 200
    assert "Traceback" not in served.log("web")
