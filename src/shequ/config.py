"""Typed readers for SHEQU_* environment variables (the only configuration source)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path


class ConfigError(RuntimeError):
    """A SHEQU_* variable is missing or malformed."""


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"SHEQU_{name}", default)


def envbool(name: str, default: bool) -> bool:
    raw = env(name, "")
    if raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"SHEQU_{name} must be true or false, not {raw!r}")


def envint(name: str, default: int) -> int:
    raw = env(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"SHEQU_{name} must be an integer, not {raw!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def log_format() -> str:
    """SHEQU_LOG_FORMAT: json (one object a line; the default in production) or text."""
    value = env("LOG_FORMAT") or ("json" if env("ENV", "development") == "production" else "text")
    if value not in ("json", "text"):
        raise ConfigError(f"SHEQU_LOG_FORMAT must be json or text, not {value!r}")
    return value


def envnetworks(name: str) -> list[IPv4Network | IPv6Network]:
    """A comma-separated list of addresses or networks (``127.0.0.1, 10.0.0.0/24``)."""
    try:
        return [ip_network(item, strict=False) for item in envlist(name)]
    except ValueError as exc:
        raise ConfigError(
            f"SHEQU_{name} must list addresses or networks such as 127.0.0.1 or 10.0.0.0/24: {exc}"
        ) from exc


def load_dotenv_file(base_dir: Path) -> None:
    """Read an optional .env beside the working directory; real environment wins."""
    path = Path(os.environ.get("SHEQU_DOTENV", base_dir / ".env"))
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def persistent_secret(
    var_dir: Path, filename: str, factory: Callable[[], str] | None = None
) -> str:
    """Return a secret kept in var_dir/filename, creating it (mode 0600) on first use."""
    path = var_dir / filename
    if path.is_file():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50) if factory is None else factory()
    # Write then hard-link: concurrent first starts (test workers) agree on one value.
    tmp = var_dir / f".{filename}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    try:
        os.link(tmp, path)
    except FileExistsError:
        value = path.read_text().strip()
    finally:
        tmp.unlink()
    return value
