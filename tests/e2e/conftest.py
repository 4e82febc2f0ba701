"""Browser tests: a live Django server, headless Debian Chromium, screenshots per page.

The screenshot folder is chosen once per run by tests/conftest.py (``$SHEQU_SCREENSHOT_DIR``
or ``var/screenshots/<YYYYmmdd-HHMMSS>``), inherited by xdist workers and printed at the end.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM would refuse to run
# there ("You cannot call this from an async context") without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# name -> (width, height)
VIEWPORTS: dict[str, tuple[int, int]] = {"phone": (390, 844), "desktop": (1366, 768)}


def skip_or_fail(reason: str) -> None:
    """As tests/conftest.py: skip, or fail in CI (SHEQU_TEST_STRICT=1)."""
    if os.environ.get("SHEQU_TEST_STRICT") == "1":
        pytest.fail(f"{reason} (SHEQU_TEST_STRICT=1: CI must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    folder = Path(os.environ["SHEQU_SCREENSHOT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Callable[[str], Any]]:
    """``new_page("phone")``: a fresh context (no cookies) at that viewport, as a user in China.

    Anything the Content-Security-Policy refuses (an inline script, a handler, a foreign
    source) fails the test: Chromium reports it on the console.
    """
    contexts: list[Any] = []
    refused: list[str] = []

    def watch(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    def make(size: str) -> Any:
        width, height = VIEWPORTS[size]
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            locale="zh-CN",  # Accept-Language: zh-CN, which Django maps to zh-hans
            timezone_id="Asia/Shanghai",
            is_mobile=size == "phone",
            has_touch=size == "phone",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield make
    for context in contexts:
        context.close()
    assert refused == [], "refused by the Content-Security-Policy"


@pytest.fixture
def snap(shots_dir: Path) -> Callable[[Any, str], Path]:
    """``snap(page, "home-phone-en")``: a full-page PNG in the run's screenshot folder."""

    def take(page: Any, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise ValueError(f"bad screenshot name {name!r}")
        path = shots_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take


@pytest.fixture
def immediate_worker() -> Iterator[None]:
    """Queued tasks run at once, in the server's thread (no worker process in these tests)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = was
