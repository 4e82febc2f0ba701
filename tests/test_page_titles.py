"""Browser tab titles carry the brand in the page's language, not the package name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "brand"), [("zh-hans", "社区数智平台"), ("en", "Community platform")]
)
def test_every_tab_title_ends_with_the_brand(language: str, brand: str, make_user: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_user("community_staff", "990102001001"))
    for url in ("/", "/inbox/", "/login/"):
        html = client.get(url, follow=True).content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title and title.group(1).strip().endswith(f"· {brand}"), (url, title)
        assert "shequ" not in title.group(1)
