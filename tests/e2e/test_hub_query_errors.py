"""The SQL console's errors in the browser: the user's language, where, and "did you mean …?".

Community staff type a misspelt column over a dataset named by its Chinese title; the console
says in Chinese (or English) at which line and column, marks the token in the SQL, and offers
the field they meant, at phone and desktop size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from hub.factories import HOME, grant, ingest, make_hub_dataset, rows_of
from shequ.core.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SQL = "SELECT person_id, nmae, age\nFROM 户籍人口信息\nORDER BY age"
SAYS = {
    "zh": ("第 1 行第 19 列", "您是不是要找 name (姓名)？"),
    "en": ("Line 1, column 19", "Did you mean name (姓名)?"),
}

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("desktop", "zh"), ("desktop", "en")])
def test_the_console_explains_a_misspelt_column_in_the_users_language(
    new_page: NewPage,
    snap: Snap,
    make_user: Any,
    regions: dict[str, Any],
    tmp_path: Path,
    size: str,
    lang: str,
) -> None:
    people = make_hub_dataset("people")
    people.title, people.title_en = "户籍人口信息", "Household register"
    people.save()
    ingest(people, rows_of("people")[:30], tmp_path)
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="shequ", first_name="陈静")
    grant(staff, people)

    page = new_page(size)
    log_in(page, "shequ", lang)
    page.goto("/hub/query/")
    form = page.get_by_test_id("query-form")
    form.locator("textarea[name=sql]").fill(SQL)
    page.get_by_test_id("query-run").click()
    error = page.get_by_test_id("query-error")
    expect(error).to_be_visible()
    where, suggestion = SAYS[lang]
    expect(error).to_contain_text(where)
    expect(error).to_contain_text(suggestion)
    expect(page.get_by_test_id("query-error-at").locator("mark")).to_have_text("nmae")
    text = error.inner_text()
    for internal in ("Binder", "duckdb", "sqlglot", "<class"):
        assert internal not in text
    assert_fits(page)
    snap(page, f"hub-query-error-{lang}-{size}")
