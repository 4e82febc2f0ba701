"""CKAN connector: harvest one resource of a dataset on an open-data portal (开放数据平台).

Asks the portal's Action API for the dataset (``package_show``), picks a resource (the one
named in the config, or the first CSV/XLSX/XLS/JSON one) and downloads its file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from shequ.hub.ingest.staging import IngestError

from .base import (
    Connector,
    Errors,
    Fetched,
    format_for,
    http_url,
    number_value,
    reject_unknown,
    require_mapping,
    safe_file_name,
    text_value,
)
from .http import send

DEFAULT_FORMATS = ("csv", "xlsx", "xls", "json")  # picked when no resource is named
# What portals put in a resource's "format" (or "mimetype") → reader format.
FORMAT_NAMES = {
    "csv": "csv",
    "text/csv": "csv",
    "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "xls": "xls",
    "application/vnd.ms-excel": "xls",
    "json": "json",
    "application/json": "json",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
}
# CKAN answers these with a JSON body saying what is wrong.
ACTION_ERRORS = (400, 403, 404, 409)


class CkanConnector(Connector):
    """A CKAN dataset's resource → its file in the workdir."""

    kind: ClassVar[str] = "ckan"
    secret_keys: ClassVar[tuple[str, ...]] = ("api_key",)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        config = require_mapping(config)
        errors = Errors()
        keys = {"url", "dataset", "resource", "api_key", "timeout", "retries", "backoff"}
        reject_unknown(config, keys, errors)
        clean = {
            "url": http_url(text_value(config, "url", errors, required=True), "url", errors),
            "dataset": text_value(config, "dataset", errors, required=True),
            "resource": text_value(config, "resource", errors, required=False),
            "api_key": text_value(config, "api_key", errors, required=False),
            "timeout": number_value(config, "timeout", errors, default=60, minimum=0.1),
            "retries": number_value(config, "retries", errors, default=3, minimum=0, integer=True),
            "backoff": number_value(config, "backoff", errors, default=1.0, minimum=0),
        }
        errors.raise_if_any()
        return clean

    @classmethod
    def fetch(cls, config: Mapping[str, Any], workdir: Path) -> Fetched:
        cfg = cls.checked_config(config)
        portal = cfg["url"].rstrip("/")
        with httpx.Client(timeout=cfg["timeout"], follow_redirects=True) as client:
            package = _package_show(client, portal, cfg)
            resource, fmt = choose_resource(package, cfg["resource"], portal)
            url = urljoin(portal + "/", str(resource["url"]))
            path = _download(client, url, fmt, workdir, cfg, portal)
        notes = [
            f"CKAN dataset {package.get('name') or cfg['dataset']}, "
            f"resource {resource.get('name') or ''} ({resource.get('id') or 'no id'}), "
            f"format {fmt}"
        ]
        if resource.get("last_modified"):
            notes.append(f"resource last modified {resource['last_modified']}")
        return Fetched(path=path, format=fmt, name=url, notes=notes)


def _auth(cfg: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": cfg["api_key"]} if cfg["api_key"] else {}


def _package_show(client: httpx.Client, portal: str, cfg: dict[str, Any]) -> dict[str, Any]:
    request = client.build_request(
        "GET",
        f"{portal}/api/3/action/package_show",
        params={"id": cfg["dataset"]},
        headers=_auth(cfg),
    )
    where = f"CKAN {portal}: package_show for dataset {cfg['dataset']!r}"
    response = send(
        client,
        request,
        where=where,
        retries=cfg["retries"],
        backoff=cfg["backoff"],
        accept=ACTION_ERRORS,
    )
    try:
        answer = response.json()
    except ValueError as exc:
        raise IngestError(f"{where}: the answer is not JSON (HTTP {response.status_code})") from exc
    if not isinstance(answer, dict) or answer.get("success") is not True:
        error = answer.get("error") if isinstance(answer, dict) else None
        raise IngestError(f"{where}: failed (HTTP {response.status_code}): {_error_text(error)}")
    result = answer.get("result")
    if not isinstance(result, dict):
        raise IngestError(f"{where}: the answer has no dataset in 'result'")
    return result


def _error_text(error: Any) -> str:
    """CKAN's error object, e.g. {"__type": "Not Found Error", "message": "Not found"}."""
    if not isinstance(error, dict):
        return "success is not true"
    kind = error.get("__type", "error")
    details = [f"{k}: {v}" for k, v in error.items() if k not in ("__type", "message")]
    return "; ".join([f"{kind}: {error.get('message', '')}".strip(": "), *details])


def resource_format(resource: Mapping[str, Any]) -> str | None:
    """The reader format of a resource, from its declared format, mimetype or URL extension."""
    for key in ("format", "mimetype"):
        declared = str(resource.get(key) or "").strip().lower().lstrip(".")
        if declared in FORMAT_NAMES:
            return FORMAT_NAMES[declared]
    return format_for(urlsplit(str(resource.get("url") or "")).path)


def choose_resource(
    package: Mapping[str, Any], wanted: str, portal: str
) -> tuple[dict[str, Any], str]:
    """The named resource (by id, then name), or the first CSV/XLSX/XLS/JSON one."""
    resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
    dataset = package.get("name") or package.get("id") or "?"
    where = f"CKAN {portal}: dataset {dataset!r}"
    if wanted:
        matches = [r for r in resources if r.get("id") == wanted]
        matches = matches or [r for r in resources if str(r.get("name", "")).strip() == wanted]
        if not matches:
            raise IngestError(f"{where} has no resource {wanted!r}; it has: {_listing(resources)}")
        resource, fmt = matches[0], resource_format(matches[0])
        if fmt is None:
            declared = resource.get("format") or "no format"
            raise IngestError(f"{where}: resource {wanted!r} is {declared}, which cannot be read")
    else:
        usable = [(r, resource_format(r)) for r in resources if r.get("url")]
        found = [(r, f) for r, f in usable if f in DEFAULT_FORMATS]
        if not found:
            wanted_formats = "/".join(f.upper() for f in DEFAULT_FORMATS)
            raise IngestError(
                f"{where} has no {wanted_formats} resource; formats found: {_formats(resources)}"
            )
        resource, fmt = found[0]
    if not resource.get("url"):
        raise IngestError(f"{where}: resource {resource.get('id')!r} has no download url")
    assert fmt is not None
    return resource, fmt


def _formats(resources: list[dict[str, Any]]) -> str:
    formats = sorted({str(r.get("format") or "").strip().upper() or "(none)" for r in resources})
    return ", ".join(formats) or "none (the dataset has no resources)"


def _listing(resources: list[dict[str, Any]]) -> str:
    shown = [f"{r.get('name') or '?'} ({r.get('id')}, {r.get('format') or '?'})" for r in resources]
    return "; ".join(shown) or "no resources"


def _download(
    client: httpx.Client, url: str, fmt: str, workdir: Path, cfg: dict[str, Any], portal: str
) -> Path:
    """Stream the resource file into the workdir; the API key goes only to the portal itself."""
    same_site = urlsplit(url)[:2] == urlsplit(portal)[:2]
    request = client.build_request("GET", url, headers=_auth(cfg) if same_site else {})
    where = f"CKAN download {url}"
    response = send(
        client, request, where=where, retries=cfg["retries"], backoff=cfg["backoff"], stream=True
    )
    workdir.mkdir(parents=True, exist_ok=True)
    name = unquote(Path(urlsplit(url).path).name)
    path = workdir / safe_file_name(name, default="resource", suffix=f".{fmt}")
    size = 0
    try:
        with path.open("wb") as out:
            for chunk in response.iter_bytes(1 << 16):
                out.write(chunk)
                size += len(chunk)
    except httpx.HTTPError as exc:
        raise IngestError(f"{where}: download failed after {size} bytes: {exc}") from exc
    finally:
        response.close()
    if size == 0:
        raise IngestError(f"{where}: the file is empty")
    return path
