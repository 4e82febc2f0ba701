"""The system tier's pieces: the `shequ` processes on a var dir, logged-in HTTP clients."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest

SHEQU = Path(sys.executable).with_name("shequ")
PASSWORD = "system-tier-Passw0rd"
ROLES = ("admin", "street", "community", "analyst", "garage", "duty", "volunteer", "resident")
START_TIMEOUT = float(os.environ.get("SHEQU_SYSTEM_START_TIMEOUT", "600"))
BROKER = os.environ.get("SHEQU_MQTT_URL") or "mqtt://127.0.0.1:1883"
T = TypeVar("T")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|PanicException|Segmentation fault")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    """A var dir and the `shequ` processes started on it."""

    var_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_path(self, name: str) -> Path:
        return self.var_dir.parent / f"{name}.log"

    def log(self, name: str) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def run(
        self, *argv: str, expect: int = 0, env: dict[str, str] | None = None, timeout: float = 600
    ) -> str:
        """Run `shequ ARGV` to its end in the platform's folder; its output, once it exited
        with *expect* (else the assertion shows the end of its output)."""
        done = subprocess.run(
            [str(SHEQU), *argv],
            cwd=self.var_dir.parent,
            env=self.env if env is None else env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == expect, (
            f"shequ {' '.join(argv)}: exit {done.returncode}\n"
            f"{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
        return done.stdout

    def start(self, name: str, *argv: str, serve: bool = True) -> subprocess.Popen[bytes]:
        """Start `shequ ARGV` as the README does; web commands get this platform's port."""
        args = [str(SHEQU), *argv]
        if serve:
            args += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path(name).open("ab") as out:
            out.write(f"\n$ {' '.join(args)}\n".encode())
            out.flush()
            proc = subprocess.Popen(
                args,
                cwd=self.var_dir.parent,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs[name] = proc
        return proc

    def wait_healthy(self, name: str, timeout: float = START_TIMEOUT) -> None:
        proc = self.procs[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(
                    f"shequ {name} exited with {proc.returncode}:\n{self.log(name)[-4000:]}"
                )
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        pytest.fail(
            f"shequ {name} did not answer within {timeout:.0f} s:\n{self.log(name)[-4000:]}"
        )

    def wait_for_log(self, name: str, text: str, timeout: float = 60) -> None:
        """Wait until process NAME has printed TEXT (it must not exit meanwhile)."""
        proc = self.procs[name]
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if proc.poll() is not None:
                pytest.fail(
                    f"shequ {name} exited with {proc.returncode}:\n{self.log(name)[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"shequ {name} did not print {text!r} in {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                pytest.fail(f"shequ {name} did not stop within {timeout} s of signal {sig}")
        return proc.returncode

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def client(self, role: str | None = None, language: str = "zh-hans") -> httpx.Client:
        """An HTTP client; logged in through the login page as ROLE when given."""
        client = httpx.Client(base_url=self.base, timeout=10, follow_redirects=False)
        client.cookies.set("django_language", language)
        if role:
            login(client, role)
        return client


def broker_reachable(url: str = BROKER) -> bool:
    """Whether the MQTT broker of ``url`` accepts a TCP connection."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), 3):
            return True
    except OSError:
        return False


def wait_until(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Call PROBE until it returns something other than None (or fail after TIMEOUT s)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.3)


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> None:
    page = client.get("/login/")
    assert page.status_code == 200, page.text[:500]
    answer = client.post(
        "/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": csrf_token(page.text),
        },
        headers={"Referer": f"{client.base_url}/login/"},
    )
    assert answer.status_code == 302, f"{username} could not log in: {answer.status_code}"


def api_headers(client: httpx.Client) -> dict[str, str]:
    """Headers for an unsafe API call with the browser session (Django's CSRF check)."""
    token = client.cookies.get("csrftoken") or csrf_token(client.get("/login/").text)
    return {"X-CSRFToken": token, "Referer": f"{client.base_url}/"}


def assert_clean(response: httpx.Response, what: str = "") -> None:
    """No server error and no traceback in the answer."""
    where = what or str(response.request.url)
    assert response.status_code < 500, f"{where}: {response.status_code}\n{response.text[:2000]}"
    assert not TRACEBACK.search(response.text), f"{where}: a traceback in the answer"


def json_items(body: Any) -> list[Any]:
    """The items of a paginated or plain list answer."""
    if isinstance(body, dict) and "items" in body:
        return list(body["items"])
    return list(body) if isinstance(body, list) else []


def throwaway_database(prefix: str) -> Iterator[str]:
    """'' on SQLite (the var dir holds it); on PostgreSQL, a database of its own, dropped
    when the generator is closed or exhausted (``next(gen)`` then ``next(gen, None)``)."""
    url = os.environ.get("SHEQU_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield ""
        return
    import psycopg

    base, _, _name = url.rpartition("/")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
