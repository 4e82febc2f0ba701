"""Lock a user name, and a client address, out after repeated failed logins.

A name is keyed as Django reads it before checking the password (stripped, NFKC-normalised)
and case-insensitively, so " name", "name " and full-width variants all count against one lock.
An address has its own, larger limit: one client guessing many names is stopped too. Both
live in ``LoginLock``; an address key starts with ``addr:``, which no user name may contain.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shequ.core.models import LoginLock

ADDRESS_PREFIX = "addr:"


def _key(username: str) -> str:
    """The lock's key: the name as Django reads it, case-insensitive, cut to the column."""
    return unicodedata.normalize("NFKC", username.strip()).lower()[:150]


def _address_key(address: str | None) -> str | None:
    """An IPv4 address as it is; an IPv6 one by its /64 (what one subscriber holds)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6:
        ip = ipaddress.ip_network(f"{ip}/64", strict=False).network_address
    return f"{ADDRESS_PREFIX}{ip}"


def _until(key: str | None) -> datetime | None:
    if key is None:
        return None
    lock = LoginLock.objects.filter(username=key).first()
    if lock and lock.locked_until and lock.locked_until > timezone.now():
        return lock.locked_until
    return None


def locked_until(username: str, address: str | None = None) -> datetime | None:
    """The end of the lock on this name or this address, the later one; None when free."""
    ends = [u for u in (_until(_key(username)), _until(_address_key(address))) if u is not None]
    return max(ends, default=None)


def _count(key: str, limit: int, now: datetime, *, forget_after: timedelta | None) -> bool:
    """Count a failure against key; True when it reaches limit (and locks the key)."""
    with transaction.atomic():
        LoginLock.objects.get_or_create(username=key)
        if forget_after is not None:
            LoginLock.objects.filter(username=key, last_failure__lt=now - forget_after).update(
                failures=0
            )
        # An atomic increment: concurrent guesses cannot slip past the limit.
        LoginLock.objects.filter(username=key).update(failures=F("failures") + 1, last_failure=now)
        lock = LoginLock.objects.get(username=key)
        if lock.locked_until is not None and lock.locked_until > now:
            # A guess that was already checking its password when another one locked the key
            # (another thread or server process): answered as locked too, never as a plain miss.
            return True
        if lock.failures < limit:
            return False
        lock.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        lock.failures = 0
        lock.save(update_fields=["locked_until", "failures"])
        return True


def register_failure(username: str, address: str | None = None) -> datetime | None:
    """Count a failure for the name and the address; the lock's end when one gets locked."""
    now = timezone.now()
    locked = _count(_key(username), settings.LOGIN_MAX_FAILURES, now, forget_after=None)
    address_key = _address_key(address)
    if address_key is not None:
        # An address's failures are forgotten after a quiet lock-out period, and never on a
        # success: whoever guesses could otherwise reset it by logging in to their own account.
        window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        limit = settings.LOGIN_MAX_FAILURES_PER_ADDRESS
        locked = _count(address_key, limit, now, forget_after=window) or locked
    return locked_until(username, address) if locked else None


def register_success(username: str) -> None:
    LoginLock.objects.filter(username=_key(username)).delete()
