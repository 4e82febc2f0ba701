"""The API's paths grouped by first segment resolve exactly as ninja's flat list did."""

from __future__ import annotations

import re

from django.urls import URLPattern, resolve
from django.urls.resolvers import RoutePattern, URLResolver
from ninja import NinjaAPI

from shequ.api import api, by_first_segment

SAMPLES = {
    "int": "7",
    "path": "a/b",
    "slug": "a-b",
    "uuid": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
}


def _sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "", "abc"), route)


def test_every_operation_resolves_to_its_own_view_after_grouping() -> None:
    flat = [p for p in NinjaAPI._get_urls(api) if isinstance(p, URLPattern)]
    assert len(flat) > 100
    before = URLResolver(RoutePattern(""), flat)
    for pattern in flat:
        path = _sample(str(pattern.pattern))
        assert resolve(f"/api/v1/{path}").url_name == before.resolve(path).url_name, path


def test_operations_are_grouped_under_their_first_segment() -> None:
    grouped = by_first_segment(list(NinjaAPI._get_urls(api)))
    heads = [str(p.pattern) for p in grouped]
    assert "access/" in heads and "parking/" in heads
    assert len(grouped) < 40  # ~20 prefixes instead of every operation
