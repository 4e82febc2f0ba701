"""Log in as community staff, use the home page in both languages, log out; people at phone size."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shequ.core import pii
from shequ.core.services import people

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORD = "correct horse battery staple"
SIZES = ["phone", "desktop"]
BRAND_ZH = "社区数智平台"  # "Community platform" in shequ's zh_Hans catalogue

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


def html_lang(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or ""


def assert_no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert overflow["scroll"] <= overflow["inner"], f"page scrolls sideways: {overflow}"


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize("size", SIZES)
def test_staff_logs_in_switches_language_and_logs_out(
    new_page: NewPage, snap: Snap, live_server: Any, staff: Any, size: str
) -> None:
    page = new_page(size)

    # The login page, in Chinese by default (browser locale zh-CN).
    page.goto("/login/")
    assert html_lang(page) == "zh-CN"
    # shequ's own zh_Hans catalogue: the product name, the heading, the labels and the button.
    expect(page.locator(".brand-name")).to_have_text(BRAND_ZH)
    expect(page).to_have_title("登录 · 社区数智平台")
    expect(page.locator("h1")).to_have_text("登录")
    expect(page.locator("label[for=id_username]")).to_have_text("用户名")
    expect(page.locator("label[for=id_password]")).to_have_text("密码")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")
    expect(page.locator("footer")).to_contain_text("公共数据，一次采集、多方利用。")
    assert_no_horizontal_scroll(page)
    snap(page, f"login-{size}-zh")

    # The login page in English, and back.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".brand-name")).to_have_text("Community platform")
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.get_by_test_id("login-submit")).to_have_text("Log in")
    assert_no_horizontal_scroll(page)
    snap(page, f"login-{size}-en")
    page.get_by_test_id("lang-zh").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("登录")

    # Log in: the home page with the module cards and the role chip.
    log_in(page, "staff", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("modules")).to_be_visible()
    expect(page.locator("[data-module=people]")).to_be_visible()
    expect(page.locator("[data-module=inbox]")).to_be_visible()
    chip = page.get_by_test_id("role-chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("社区工作人员 · 锦绣社区")
    expect(page.locator("h1")).to_contain_text("您好")
    expect(page.locator("[data-module=people]")).to_contain_text("居民档案")
    expect(page.get_by_test_id("inbox-link")).to_contain_text("消息")
    expect(page.get_by_test_id("logout")).to_have_text("退出登录")
    expect(page.locator(".brand-name")).to_have_text(BRAND_ZH)
    assert html_lang(page) == "zh-CN"
    assert_no_horizontal_scroll(page)
    snap(page, f"home-{size}-zh")

    # Switch to English.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    expect(page.get_by_test_id("role-chip")).to_contain_text("Community staff")
    expect(page.get_by_test_id("modules")).to_contain_text("Residents")
    assert page.url.endswith("/")  # still on the home page
    assert_no_horizontal_scroll(page)
    snap(page, f"home-{size}-en")

    # And back to Chinese.
    page.get_by_test_id("lang-zh").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("logout")).to_have_text("退出登录")
    expect(page.get_by_test_id("role-chip")).to_contain_text("社区工作人员")
    expect(page.get_by_test_id("modules")).to_be_visible()
    assert_no_horizontal_scroll(page)
    snap(page, f"home-{size}-zh-again")

    # Log out: back at the login page, still in Chinese.
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)
    assert html_lang(page) == "zh-CN"
    expect(page.locator("h1")).to_have_text("登录")
    snap(page, f"logout-{size}-zh")

    # The session is gone: the home page sends us to the login page.
    page.goto("/")
    page.wait_for_url("**/login/?next=/")


@pytest.mark.parametrize("size", SIZES)
def test_wrong_password_shows_an_error(
    new_page: NewPage, snap: Snap, staff: Any, size: str
) -> None:
    page = new_page(size)
    page.goto("/login/")
    log_in(page, "staff", "not the password")
    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("密码")  # Django's own message, in Chinese
    assert "/login/" in page.url
    expect(page.get_by_test_id("logout")).to_have_count(0)
    # The user name stays filled in; the password does not.
    expect(page.get_by_test_id("login-username")).to_have_value("staff")
    expect(page.get_by_test_id("login-password")).to_have_value("")
    assert_no_horizontal_scroll(page)
    snap(page, f"login-error-{size}-zh")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_people_page_shows_masked_values(
    new_page: NewPage, snap: Snap, staff: Any, regions: dict[str, Any], size: str, lang: str
) -> None:
    id_number = pii.make_id_number("330106", date(1985, 6, 15), 17)
    people.create_person(
        staff,
        regions["990102001001"],
        name="欧阳小明",
        id_number=id_number,
        phone="13812345678",
        address="示范省示范市临江区望湖街道锦绣社区5幢301室",
    )
    people.create_person(staff, regions["990102001001"], name="张三", phone="13987654321")

    page = new_page(size)
    page.goto("/login/")
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    log_in(page, "staff", PASSWORD)
    expect(page.get_by_test_id("modules")).to_be_visible()
    page.locator("[data-module=people]").click()
    page.wait_for_url("**/people/")

    table = page.get_by_test_id("people-table")
    expect(table).to_be_visible()
    expect(page.locator("h1")).to_have_text({"zh": "居民档案", "en": "Residents"}[lang])
    expect(page.locator("h2")).to_have_text({"zh": "登记居民", "en": "Register a resident"}[lang])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(table).to_contain_text("欧***")
    expect(table).to_contain_text(f"{id_number[:6]}{'*' * 12}")
    expect(table).to_contain_text("138****5678")
    expect(table).to_contain_text("张*")
    content = page.content()
    for clear in ("欧阳小明", id_number, "13812345678", "张三", "13987654321"):
        assert clear not in content, f"clear value {clear!r} on the page"
    # A wide table scrolls inside its box, never the whole page.
    assert_no_horizontal_scroll(page)
    snap(page, f"people-{size}-{lang}")
