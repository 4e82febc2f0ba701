"""The one place transports talk HTTP: POST a JSON body and classify failures.

Destination URLs are configured by staff, so no SSRF filtering happens here. URLs of group
robots carry their access token in the query string, so error messages name only the host.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Mapping
from typing import Any

import httpx

from shequ.core.transports.base import TransportError

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "shequ-notify/1"
BODY_SNIPPET_CHARS = 200


def dump_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON with non-ASCII text kept as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def post_json(
    url: str,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """POST ``payload`` as JSON and return the 2xx response.

    ``payload`` may be already-serialized ``bytes`` (sent verbatim, e.g. when they are signed).
    Raises :class:`TransportError`: transient for timeouts, connection errors, 429 and 5xx;
    permanent for any other non-2xx status and for unusable URLs. Redirects are not followed.
    """
    content = payload if isinstance(payload, bytes) else dump_json(payload)
    request_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        **(headers or {}),
    }
    where = _host(url)
    try:
        response = httpx.post(url, content=content, headers=request_headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise TransportError(f"{where}: timed out after {timeout:g}s") from exc
    except httpx.UnsupportedProtocol as exc:
        raise TransportError(f"{where}: unsupported URL scheme", permanent=True) from exc
    except httpx.ConnectError as exc:
        if _is_refused(exc):
            raise TransportError(f"{where}: connection refused") from exc
        raise TransportError(f"{where}: connection failed: {exc}") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{where}: {type(exc).__name__}: {exc}") from exc
    except httpx.InvalidURL as exc:
        raise TransportError(f"invalid URL: {exc}", permanent=True) from exc

    status = response.status_code
    if 200 <= status < 300:
        return response
    snippet = response.text[:BODY_SNIPPET_CHARS]
    detail = f"{where}: HTTP {status}" + (f": {snippet}" if snippet else "")
    if status == 429 or status >= 500:
        raise TransportError(detail)
    raise TransportError(detail, permanent=True)


def json_object(response: httpx.Response, service: str) -> dict[str, Any]:
    """The response body as a JSON object; anything else is a permanent error."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        snippet = response.text[:BODY_SNIPPET_CHARS]
        raise TransportError(f"{service}: unexpected response: {snippet!r}", permanent=True)
    return data


def check_errcode(data: dict[str, Any], service: str, transient: frozenset[int]) -> None:
    """Raise for a group-robot answer whose ``errcode`` is not 0; ``transient`` codes retry."""
    try:
        errcode = int(data["errcode"])
    except (KeyError, TypeError, ValueError):
        raise TransportError(
            f"{service}: response without a valid errcode: {str(data)[:BODY_SNIPPET_CHARS]}",
            permanent=True,
        ) from None
    if errcode == 0:
        return
    errmsg = str(data.get("errmsg", ""))[:BODY_SNIPPET_CHARS]
    raise TransportError(f"{service} error {errcode}: {errmsg}", permanent=errcode not in transient)


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    host = parsed.host or "<no host>"
    return f"{host}:{parsed.port}" if parsed.port else host


def _is_refused(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or (
            isinstance(current, OSError) and current.errno == errno.ECONNREFUSED
        ):
            return True
        current = current.__cause__ or current.__context__
    return "refused" in str(exc).lower()
