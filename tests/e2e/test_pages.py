"""Every page a community staff member reaches from the home page fits a phone and a desktop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shequ.core.models import InboxMessage
from shequ.core.services import people, tokens

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORD = "correct horse battery staple"

# The h1 of each module page, per language: zh from shequ's zh_Hans catalogue.
HEADINGS = {
    "inbox": {"zh": "消息", "en": "Messages"},
    "audit": {"zh": "审计日志", "en": "Audit log"},
    "tokens": {"zh": "接口令牌", "en": "API tokens"},
}
REASON_LABEL = {"zh": "查看明文的事由", "en": "Why do you need the clear values?"}

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


def page_width(page: Page) -> dict[str, int]:
    return page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_module_pages_fit_the_screen(
    new_page: NewPage, snap: Snap, staff: Any, regions: dict[str, Any], size: str, lang: str
) -> None:
    person = people.create_person(
        staff, regions["990102001001"], name="李四", phone="13600001111", address="锦绣路8号"
    )
    tokens.issue(staff, "门禁同步脚本 gate-sync", days=90)
    InboxMessage.objects.create(
        user=staff,
        title="防汛预警:望湖街道水位超过警戒线",
        body="请值班人员立即到岗,检查泵站并通知低洼区域居民。",
        url="/people/",
        level="critical",
    )
    InboxMessage.objects.create(user=staff, title="Weekly data report is ready", level="info")

    page = new_page(size)
    page.goto("/login/")
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("login-username").fill("staff")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("modules")).to_be_visible()
    expect(page.get_by_test_id("inbox-link").locator(".badge")).to_have_text("2")

    for key in ("inbox", "audit", "tokens"):
        page.goto("/")
        page.locator(f"[data-module={key}]").click()
        page.wait_for_url(f"**/{key}/")
        expect(page.locator("h1")).to_have_text(HEADINGS[key][lang])
        assert page_width(page)["scroll"] <= page_width(page)["inner"], key
        snap(page, f"{key}-{size}-{lang}")

    # The audit log lists the registration; the reveal form is reachable from the people page.
    page.goto("/audit/")
    expect(page.locator("table")).to_contain_text("person.create")
    page.goto(f"/people/{person.pk}/reveal/")
    expect(page.locator("#id_reason")).to_be_visible()
    expect(page.locator("label[for=id_reason]")).to_have_text(REASON_LABEL[lang])
    assert page_width(page)["scroll"] <= page_width(page)["inner"]
    snap(page, f"reveal-{size}-{lang}")
