"""Every demo role follows every link it can reach and calls every GET operation of the API.

Zero 5xx, zero tracebacks, every answer within 10 s, and no hub-backed page showing an error
box. Links are followed breadth first from the home page; a URL shape (digits replaced) is
visited at most a few times, so the crawl is bounded and still reaches every page kind.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from system_support import ROLES, Platform, assert_clean, json_items

HREF = re.compile(r'href="([^"#]+)')
SKIP = re.compile(r"^/(static/|logout/|i18n/|admin/.+)|/(export|download)\b|\.(svg|png|csv|xlsx)$")
ERROR_BOX = re.compile(r'data-testid="query-error"|class="[^"]*\bhub-error\b')
PER_SHAPE = {"zh-hans": 3, "en": 1}
MAX_PAGES = 400


def shape(url: str) -> str:
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + (
        "?" + parts.query.split("=")[0] if parts.query else ""
    )


def crawl(client: httpx.Client, language: str) -> tuple[dict[str, int], list[str]]:
    """Visit what ROLE can reach; returns status per URL and the problems found."""
    seen: set[str] = {"/"}
    shapes: Counter[str] = Counter()
    todo: deque[str] = deque(["/"])
    statuses: dict[str, int] = {}
    problems: list[str] = []

    def fetch(url: str) -> tuple[str, httpx.Response | Exception]:
        try:
            return url, client.get(url, timeout=10)
        except Exception as exc:  # a timeout is a finding, not a crash of the crawl
            return url, exc

    with ThreadPoolExecutor(max_workers=3) as pool:
        while todo and len(statuses) < MAX_PAGES:
            batch = [todo.popleft() for _ in range(min(len(todo), 6))]
            for url, answer in pool.map(fetch, batch):
                if isinstance(answer, Exception):
                    problems.append(f"{url}: no answer ({type(answer).__name__})")
                    continue
                statuses[url] = answer.status_code
                if answer.status_code >= 500 or ERROR_BOX.search(answer.text):
                    problems.append(f"{url}: {answer.status_code} {answer.text[:300]!r}")
                try:
                    assert_clean(answer, url)
                except AssertionError as exc:
                    problems.append(str(exc)[:500])
                if answer.status_code in (301, 302):
                    links = [answer.headers["location"]]
                elif "html" in answer.headers.get("content-type", ""):
                    links = HREF.findall(answer.text)
                else:
                    links = []
                for link in links:
                    target = urljoin(url, link.replace("&amp;", "&"))
                    if target.startswith(str(client.base_url)):
                        target = target[len(str(client.base_url)) :]
                    if not target.startswith("/") or target in seen or SKIP.search(target):
                        continue
                    seen.add(target)
                    if shapes[shape(target)] >= PER_SHAPE[language]:
                        continue
                    shapes[shape(target)] += 1
                    todo.append(target)
    return statuses, problems


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_answers(platform: Platform, role: str, language: str) -> None:
    client = platform.client(role, language)
    try:
        statuses, problems = crawl(client, language)
    finally:
        client.close()
    assert not problems, f"{role} ({language}), {len(statuses)} pages:\n" + "\n".join(problems)
    ok = [url for url, status in statuses.items() if status == 200]
    # The home page and its menus lead somewhere for every role.
    assert len(ok) >= 3, f"{role} reached only {sorted(statuses.items())}"


def _ids_from(body: Any) -> list[dict[str, Any]]:
    items = json_items(body)
    return [item for item in items if isinstance(item, dict)][:3]


PARAM = re.compile(r"\{(\w+)\}")
ID_FIELDS = {"key": ("key",), "code": ("code",), "slug": ("slug", "code"), "number": ("number",)}


def _values_for(name: str, found: list[dict[str, Any]]) -> list[str]:
    fields = ID_FIELDS.get(name, ("id",))
    values = []
    for item in found:
        for f in fields:
            if item.get(f) not in (None, ""):
                values.append(str(item[f]).lower() if name == "slug" else str(item[f]))
                break
    return values


def _operations(platform: Platform) -> list[str]:
    spec = httpx.get(f"{platform.base}/api/v1/openapi.json", timeout=10).json()
    return [path for path, ops in spec["paths"].items() if "get" in ops]


@pytest.mark.parametrize("role", ROLES)
def test_every_get_operation_answers_for_every_role(platform: Platform, role: str) -> None:
    paths = _operations(platform)
    problems: list[str] = []
    listed: dict[str, list[dict[str, Any]]] = {}
    called = 0
    client = platform.client(role)
    try:
        for path in sorted(paths, key=lambda p: p.count("{")):
            names = PARAM.findall(path)
            if not names:
                urls = [path]
            else:
                # Real ids come from the list whose path is this one's prefix.
                prefix = path[: path.index("{")].rstrip("/")
                values = _values_for(names[0], listed.get(prefix, []))
                if len(names) > 1 or not values:
                    continue
                urls = [PARAM.sub(v, path, count=1) for v in values[:2]]
            for url in urls:
                try:
                    answer = client.get(url, timeout=10)
                except httpx.TimeoutException:
                    problems.append(f"{url}: no answer within 10 s")
                    continue
                called += 1
                if answer.status_code >= 500 or "Traceback" in answer.text:
                    problems.append(f"{url}: {answer.status_code} {answer.text[:300]}")
                if answer.status_code == 200 and not names:
                    with contextlib.suppress(ValueError):
                        listed[path.rstrip("/")] = _ids_from(answer.json())
    finally:
        client.close()
    assert not problems, f"{role}:\n" + "\n".join(problems)
    assert called >= 20, f"{role} could call only {called} GET operations"
