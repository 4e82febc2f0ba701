"""The API's paths grouped by first segment resolve exactly as ninja's flat list did."""

from __future__ import annotations

import re

from django.urls import URLPattern, resolve
from django.urls.resolvers import RoutePattern, URLResolver
from ninja import NinjaAPI

from shequ.api import FirstSegment, api, by_first_segment, one_lookup

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
        now, then = resolve(f"/api/v1/{path}"), before.resolve(path)
        assert now.url_name == then.url_name, path
        assert (now.route, now.kwargs) == (f"api/v1/{then.route}", then.kwargs), path


def test_operations_are_grouped_under_their_first_segment() -> None:
    grouped = by_first_segment(list(NinjaAPI._get_urls(api)))
    heads = [str(p.pattern) for p in grouped]
    assert "access/" in heads and "parking/" in heads
    assert len(grouped) < 40  # ~20 prefixes instead of every operation


def test_the_groups_are_found_by_their_first_segment_in_one_look_up() -> None:
    grouped = by_first_segment(list(NinjaAPI._get_urls(api)))
    final = one_lookup(grouped)
    (dispatch,) = [p for p in final if isinstance(p, FirstSegment)]
    assert {"access", "parking", "flood", "regions"} <= set(dispatch.groups)
    heads = [str(p.pattern) for p in grouped if isinstance(p, URLResolver)]
    assert len(dispatch.groups) == len(heads)


def test_a_path_no_group_holds_falls_through_to_the_unknown_endpoint() -> None:
    assert resolve("/api/v1/nosuchapp/x").url_name == "unknown-endpoint"
    assert resolve("/api/v1/access/nosuch").url_name == "unknown-endpoint"
    assert resolve("/api/v1/health").url_name == before_name("health")


def before_name(path: str) -> str | None:
    flat = [p for p in NinjaAPI._get_urls(api) if isinstance(p, URLPattern)]
    return URLResolver(RoutePattern(""), flat).resolve(path).url_name
