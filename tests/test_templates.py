"""Every template of the project compiles: its tags, filters and blocks all exist.

The pages themselves are rendered with real data by the view tests and the system tier's crawl;
this catches a template no test reaches yet (a mail, a partial) before a user does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template.loader import get_template

import shequ

ROOT = Path(shequ.__file__).parent
TEMPLATES = sorted(
    str(path.relative_to(folder))
    for folder in ROOT.glob("*/templates")
    for path in folder.rglob("*")
    if path.suffix in {".html", ".txt", ".xml", ".svg"}
)


def test_templates_are_found() -> None:
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_compiles(name: str) -> None:
    get_template(name)
