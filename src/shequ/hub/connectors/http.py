"""HTTP JSON API connector: walk an upstream API's pages and keep every item as a JSON line.

Upstream platforms answer ``{"code": 0, "data": {"records": [...], "total": 1234}}`` or a
bare list; ``items_path`` says where the list is. Paging is by page number, by offset or by
an opaque cursor. Transient failures (connection errors, timeouts, 429, 5xx) are retried
with exponential backoff; any other 4xx fails at once, since asking again will not help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, ClassVar

import httpx

from shequ.hub.ingest.staging import IngestError

from .base import (
    Connector,
    Errors,
    Fetched,
    http_url,
    number_value,
    reject_unknown,
    require_mapping,
    text_value,
)

# Tests replace this so that retries do not make them slow.
sleep: Callable[[float], None] = time.sleep

MAX_WAIT = 60.0  # seconds: cap on both backoff and a server's Retry-After
STYLES = ("none", "page", "offset", "cursor")
PAGING_DEFAULTS: dict[str, Any] = {
    "style": "none",
    "page_param": "page",
    "size_param": "size",
    "size": 500,
    "offset_param": "offset",
    "limit_param": "limit",
    "cursor_param": "cursor",
    "next_cursor_path": "data.next",
}
STOP = object()  # no next page
CONFIG_KEYS = {"url", "items_path", "paging", "headers", "params", "timeout", "retries"}
CONFIG_KEYS |= {"backoff", "max_pages"}


class HttpConnector(Connector):
    """Pages of a JSON API → ``http.jsonl``, one item a line."""

    kind: ClassVar[str] = "http"
    secret_keys: ClassVar[tuple[str, ...]] = ("headers",)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        config = require_mapping(config)
        errors = Errors()
        reject_unknown(config, CONFIG_KEYS, errors)
        clean = {
            "url": http_url(text_value(config, "url", errors, required=True), "url", errors),
            "items_path": text_value(config, "items_path", errors, required=False),
            "paging": _paging(config.get("paging"), errors),
            "headers": _headers(config.get("headers"), errors),
            "params": _params(config.get("params"), errors),
            "timeout": number_value(config, "timeout", errors, default=30, minimum=0.1),
            "retries": number_value(config, "retries", errors, default=3, minimum=0, integer=True),
            "backoff": number_value(config, "backoff", errors, default=1.0, minimum=0),
            "max_pages": number_value(
                config, "max_pages", errors, default=10000, minimum=1, integer=True
            ),
        }
        errors.raise_if_any()
        return clean

    @classmethod
    def fetch(cls, config: Mapping[str, Any], workdir: Path) -> Fetched:
        cfg = cls.checked_config(config)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "http.jsonl"
        client = httpx.Client(headers=cfg["headers"], timeout=cfg["timeout"], follow_redirects=True)
        with client, path.open("w", encoding="utf-8") as out:
            pages, items = _walk(client, cfg, out)
        notes = [f"{items} items from {pages} page{'s' if pages != 1 else ''}"]
        return Fetched(path=path, format="jsonl", name=cfg["url"], notes=notes)


def _walk(client: httpx.Client, cfg: dict[str, Any], out: IO[str]) -> tuple[int, int]:
    """Request page after page, writing items as they come; return (pages, items)."""
    paging = cfg["paging"]
    position: Any = paging["start"] if paging["style"] in ("page", "offset") else None
    total = 0
    for page_no in range(1, cfg["max_pages"] + 1):
        params = {**cfg["params"], **_page_params(paging, position)}
        # copy_merge_params keeps a query already in the URL (build_request would drop it).
        request = client.build_request("GET", httpx.URL(cfg["url"]).copy_merge_params(params))
        where = f"page {page_no} of {request.url}"
        response = send(
            client, request, where=where, retries=cfg["retries"], backoff=cfg["backoff"]
        )
        answer = _json(response, where)
        items = _items(answer, cfg["items_path"], where)
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False))
            out.write("\n")
        total += len(items)
        position = _next_position(paging, position, items, answer, where)
        if position is STOP:
            return page_no, total
    raise IngestError(
        f"{cfg['url']}: still more pages after max_pages={cfg['max_pages']}; "
        "raise max_pages or check the paging settings"
    )


def _next_position(
    paging: dict[str, Any], position: Any, items: list[Any], answer: Any, where: str
) -> Any:
    """The next page number, offset or cursor; STOP after an empty, short or last page."""
    style = paging["style"]
    if style == "none" or not items:
        return STOP
    if style in ("page", "offset"):
        if len(items) < paging["size"]:
            return STOP
        return position + 1 if style == "page" else position + len(items)
    found, cursor = dig(answer, paging["next_cursor_path"])
    if not found or cursor in (None, ""):
        return STOP
    if cursor == position:
        raise IngestError(f"{where}: the API returned the same cursor {cursor!r} again")
    return cursor


def _page_params(paging: dict[str, Any], position: Any) -> dict[str, Any]:
    style = paging["style"]
    named: dict[str, Any] = {}
    if style == "page":
        named = {paging["page_param"]: position, paging["size_param"]: paging["size"]}
    elif style == "offset":
        named = {paging["offset_param"]: position, paging["limit_param"]: paging["size"]}
    elif style == "cursor":
        named = {paging["size_param"]: paging["size"]}
        if position is not None:
            named[paging["cursor_param"]] = position
    return {key: value for key, value in named.items() if key}  # "" = don't send


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    where: str,
    retries: int,
    backoff: float,
    stream: bool = False,
    accept: Collection[int] = (),
) -> httpx.Response:
    """Send with retries on transient failures; return a 2xx/3xx response or raise IngestError.

    Statuses in ``accept`` are returned too, for callers that read an error answer themselves.
    """
    for attempt in range(retries + 1):
        response: httpx.Response | None = None
        try:
            response = client.send(request, stream=stream)
        except httpx.UnsupportedProtocol as exc:
            raise IngestError(f"{where}: {exc}") from exc
        except httpx.TimeoutException:
            problem = "timed out"
        except httpx.TransportError as exc:
            problem = f"connection failed ({type(exc).__name__}: {exc})"
        else:
            if response.status_code < 400 or response.status_code in accept:
                return response
            problem = f"HTTP {response.status_code} {response.reason_phrase}"
            if not _transient(response.status_code):
                raise IngestError(f"{where}: {problem}{_snippet(response)}")
            response.close()
        if attempt == retries:
            tries = f"{retries + 1} attempt{'s' if retries else ''}"
            raise IngestError(f"{where}: {problem}; gave up after {tries}")
        sleep(retry_wait(response, attempt, backoff))
    raise AssertionError("unreachable")


def _transient(status: int) -> bool:
    return status == 429 or status >= 500


def retry_wait(response: httpx.Response | None, attempt: int, backoff: float) -> float:
    """Seconds before the next attempt: the server's Retry-After if any, else backoff·2^n."""
    header = response.headers.get("Retry-After", "").strip() if response is not None else ""
    if header:
        try:
            seconds = float(header)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(header).timestamp() - time.time()
            except (TypeError, ValueError, IndexError):
                seconds = backoff * 2**attempt
        return min(max(seconds, 0.0), MAX_WAIT)
    return min(backoff * 2**attempt, MAX_WAIT)


def _snippet(response: httpx.Response) -> str:
    """The start of an error answer: upstream platforms put the reason there."""
    try:
        text = response.read().decode(response.encoding or "utf-8", errors="replace")
    except httpx.HTTPError:
        return ""
    finally:
        response.close()
    text = " ".join(text.split())
    return f": {text[:200]}" if text else ""


def _json(response: httpx.Response, where: str) -> Any:
    try:
        return json.loads(response.text)
    except ValueError as exc:
        kind = response.headers.get("Content-Type", "no Content-Type")
        start = " ".join(response.text[:80].split())
        raise IngestError(f"{where}: the answer is not JSON ({kind}): {start!r}") from exc


def _items(answer: Any, items_path: str, where: str) -> list[Any]:
    found, items = dig(answer, items_path)
    shown = items_path or "(the whole answer)"
    if not found:
        raise IngestError(f"{where}: items_path {shown!r} not found; {_shape(answer, items_path)}")
    if items is None:
        return []
    if not isinstance(items, list):
        kind = type(items).__name__
        raise IngestError(f"{where}: items_path {shown!r} holds a {kind}, not a list")
    return items


def _shape(answer: Any, dotted: str) -> str:
    """Where a dotted path stops and what is there: keys only, since values may be personal."""
    reached: list[str] = []
    value = answer
    for part in dotted.split("."):
        found, inner = dig(value, part)
        if not found:
            break
        reached.append(part)
        value = inner
    at = ".".join(reached) or "the top level"
    if isinstance(value, dict):
        keys = ", ".join(list(map(str, value))[:20]) or "none"
        return f"at {at} the keys are: {keys}"
    return f"at {at} there is a {type(value).__name__}"


def dig(value: Any, dotted: str) -> tuple[bool, Any]:
    """Follow ``a.b.0.c`` through objects and lists; (False, None) when a step is missing."""
    for part in dotted.split(".") if dotted else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _paging(value: Any, errors: Errors) -> dict[str, Any]:
    paging = dict(PAGING_DEFAULTS)
    if value is None:
        paging["start"] = 0
        return paging
    if not isinstance(value, Mapping):
        errors.add("paging", 'Must be an object such as {"style": "page"}.')
        return {**paging, "start": 0}
    unknown = sorted(set(value) - set(PAGING_DEFAULTS) - {"start"})
    if unknown:
        errors.add("paging", f"Unknown paging setting {unknown[0]!r}.")
    style = value.get("style", "none")
    if style not in STYLES:
        errors.add("paging", f"paging.style must be one of {', '.join(STYLES)}, not {style!r}.")
        style = "none"
    paging["style"] = style
    for key in ("page_param", "size_param", "offset_param", "limit_param", "cursor_param"):
        name = value.get(key, paging[key])
        if not isinstance(name, str):
            errors.add("paging", f"paging.{key} must be text.")
        else:
            paging[key] = name.strip()
    path = value.get("next_cursor_path", paging["next_cursor_path"])
    if not isinstance(path, str) or (style == "cursor" and not path.strip()):
        errors.add("paging", "paging.next_cursor_path must be a dotted path such as data.next.")
    else:
        paging["next_cursor_path"] = path.strip()
    nested = Errors()
    paging["size"] = number_value(value, "size", nested, default=500, minimum=1, integer=True)
    start = 1 if style == "page" else 0  # first page number, or first offset
    paging["start"] = number_value(value, "start", nested, default=start, minimum=0, integer=True)
    for key, message in nested.errors.items():
        errors.add("paging", f"paging.{key}: {message}")
    return paging


def _headers(value: Any, errors: Errors) -> dict[str, str]:
    if value is None:
        return {}
    ok = isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) and "\n" not in v and "\r" not in v
        for k, v in value.items()
    )
    if not ok:
        # Never echo header values: they hold tokens.
        errors.add("headers", "Must be an object of header names to one-line text values.")
        return {}
    return {str(k).strip(): str(v).strip() for k, v in value.items()}


def _params(value: Any, errors: Errors) -> dict[str, Any]:
    if value is None:
        return {}
    scalar = (str, int, float, bool)
    if not isinstance(value, Mapping) or not all(isinstance(v, scalar) for v in value.values()):
        errors.add("params", "Must be an object of query parameter names to text or numbers.")
        return {}
    return dict(value)
