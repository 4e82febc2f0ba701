"""Fixed-window request counters for rate limits, kept in the Django cache.

With ``SHEQU_REDIS_URL`` the cache is Redis and every server process (and server) shares one
count per key. Without it each process counts in its own memory, so a client whose requests
spread over N processes may make up to N times the limit: still a bound on a runaway device,
and the login limits, which must hold exactly, are counted in the database instead
(``core.services.login``). A cache that cannot be reached lets the request through and logs
it: a door must open even when Redis is down.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from shequ.core.errors import Throttled

log = logging.getLogger(__name__)


def hit(key: str, limit: int, window: int) -> int | None:
    """Count one request against key; None within limit, else the seconds until it resets."""
    if limit <= 0 or window <= 0:
        return None
    now = time.time()
    start = int(now // window) * window
    counter = f"rl:{key}:{start}"
    try:
        cache.add(counter, 0, timeout=window + 1)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=window + 1)
            count = 1
    except Exception:  # any cache backend's own errors: count nothing, serve
        log.warning("rate limit cache unavailable; %s not counted", key, exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, math.ceil(start + window - now))


def throttle_device(key: str) -> None:
    """Raise ``Throttled`` (429, Retry-After) when a device token passes its limit."""
    limit, window = int(settings.DEVICE_RATE_LIMIT), int(settings.DEVICE_RATE_WINDOW)
    retry = hit(f"device:{key}", limit, window)
    if retry is not None:
        raise Throttled(
            _("This device made more than %(limit)s requests in %(window)s seconds.")
            % {"limit": limit, "window": window},
            retry_after=retry,
        )
