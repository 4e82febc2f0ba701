"""Numbers group thousands the same way in zh-Hans and English (issue 13)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_large_numbers_are_grouped_by_thousands_in_both_languages(language: str) -> None:
    template = Template('{{ n|floatformat:"0g" }} {{ x|floatformat:"2g" }}')
    with translation.override(language):
        text = template.render(Context({"n": 1_700_000_000, "x": 12345.5}))
    assert text == "1,700,000,000 12,345.50"
