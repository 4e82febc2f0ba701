"""Device tokens (gate cameras, door terminals): shown once, kept as SHA-256, cached briefly.

A device posts every few seconds, so the device a token names (with whatever its loader
selects) is kept in each server process for ``seconds``. A revoked token is refused at once
by the process that revoked it (its receivers call ``forget``) and within ``seconds`` by the
others. Parking's gate devices and access's door devices share this one mechanism.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from shequ.core.services import ratelimit

T = TypeVar("T")

CACHE_LIMIT = 10_000  # tokens guessed at random must not grow the cache forever


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class DeviceTokens(Generic[T]):
    """Issue tokens with ``prefix`` and find the device of one through ``load(digest)``."""

    def __init__(self, prefix: str, load: Callable[[str], T | None], seconds: float = 5.0):
        self.prefix = prefix
        self.load = load
        self.seconds = seconds
        self._cache: dict[str, tuple[float, T | None]] = {}

    def new(self) -> tuple[str, str, str]:
        """``(clear token, its shown prefix, its digest)``; store the last two only."""
        raw = self.prefix + secrets.token_urlsafe(32)
        return raw, raw[:10], digest(raw)

    def find(self, raw: str) -> T | None:
        """The token's device; ``Throttled`` (429) past the device rate limit of settings."""
        if not raw.startswith(self.prefix):
            return None
        key = digest(raw)
        found = self._find(key)
        if found is not None:
            ratelimit.throttle_device(key[:32])
        return found

    def _find(self, key: str) -> T | None:
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        found = self.load(key)
        if len(self._cache) > CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found

    def forget(self) -> None:
        self._cache.clear()
