"""Browser tests: a live Django server, headless Debian Chromium, screenshots per page.

Screenshots go to ``$SHEQU_SCREENSHOT_DIR`` or ``var/screenshots/<YYYYmmdd-HHMMSS>`` under the
working directory. The folder is chosen once per run and printed at its end:

* ``pytest tests/e2e`` (with or without ``-n``): this conftest is loaded at start-up, so
  ``pytest_configure`` chooses the folder in the xdist controller, the workers inherit it
  through the environment, and ``pytest_terminal_summary`` prints it.
* ``pytest -n 2 tests`` (``make test``): the controller never imports this conftest (pytest
  only pre-loads ``tests/test*/conftest.py``), so the workers agree on one folder through a
  file keyed by xdist's run id, and ``var/screenshots/LATEST`` names it. CI sets
  ``SHEQU_SCREENSHOT_DIR`` and prints it itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import datetime
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
SCREENSHOT_ENV = "SHEQU_SCREENSHOT_DIR"
DEFAULT_PARENT = Path.cwd() / "var" / "screenshots"
LATEST_FILE = "LATEST"  # in DEFAULT_PARENT: the path of the last run's folder
RUNS_DIR = ".runs"  # in DEFAULT_PARENT: xdist run id -> folder, for workers without the env

# name -> (width, height)
VIEWPORTS: dict[str, tuple[int, int]] = {"phone": (390, 844), "desktop": (1366, 768)}


def skip_or_fail(reason: str) -> None:
    """As tests/conftest.py: skip, or fail in CI (SHEQU_TEST_STRICT=1)."""
    if os.environ.get("SHEQU_TEST_STRICT") == "1":
        pytest.fail(f"{reason} (SHEQU_TEST_STRICT=1: CI must provide it)")
    pytest.skip(reason)


def _new_folder() -> Path:
    return DEFAULT_PARENT / datetime.now().strftime("%Y%m%d-%H%M%S")


def _folder_for_run(run_id: str) -> Path:
    """The folder of xdist run ``run_id``: the first worker to ask picks it, the others read it."""
    runs = DEFAULT_PARENT / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    for old in runs.iterdir():  # forget runs older than a day
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < time.time() - 86_400:
                old.unlink()
    record = runs / re.sub(r"[^A-Za-z0-9_-]", "_", run_id)
    draft = runs / f".{record.name}.{os.getpid()}"
    draft.write_text(str(_new_folder()), encoding="utf-8")
    try:
        os.link(draft, record)  # atomic, and fails if a sibling worker was first
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return Path(record.read_text(encoding="utf-8"))


def screenshot_dir(config: pytest.Config) -> Path:
    """The run's screenshot folder, chosen on first use and shared through the environment."""
    chosen = os.environ.get(SCREENSHOT_ENV)
    if not chosen:
        workerinput = getattr(config, "workerinput", None)
        if workerinput and workerinput.get("testrunuid"):
            chosen = str(_folder_for_run(str(workerinput["testrunuid"])))
        else:
            chosen = str(_new_folder())
        os.environ[SCREENSHOT_ENV] = chosen
    return Path(chosen).resolve()


def pytest_configure(config: pytest.Config) -> None:
    # In the xdist controller this runs before the workers start, so they inherit the folder.
    if not hasattr(config, "workerinput"):
        screenshot_dir(config)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    folder = screenshot_dir(config)
    shots = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "e2e screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshots in {folder}")


@pytest.fixture(scope="session")
def shots_dir(pytestconfig: pytest.Config) -> Path:
    folder = screenshot_dir(pytestconfig)
    folder.mkdir(parents=True, exist_ok=True)
    if folder.parent == DEFAULT_PARENT.resolve():
        with contextlib.suppress(OSError):
            (folder.parent / LATEST_FILE).write_text(f"{folder}\n", encoding="utf-8")
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
    """``new_page("phone")``: a fresh context (no cookies) at that viewport, as a user in China."""
    contexts: list[Any] = []

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
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


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
