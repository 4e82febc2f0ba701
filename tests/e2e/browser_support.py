"""Helpers the browser tests share: the test password, the fit check, logging in."""

from __future__ import annotations

from playwright.sync_api import Page

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user sets


def assert_fits(page: Page) -> None:
    """The page does not scroll sideways (phones must not need it)."""
    size = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert size["scroll"] <= size["inner"], f"{page.url} scrolls sideways: {size}"


def log_in(page: Page, username: str, lang: str = "zh", password: str = PASSWORD) -> None:
    """Log in on the login page (in English when lang is "en") and land on the home page."""
    page.goto("/login/")
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        page.wait_for_load_state()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/")
