"""Lock a user name out after repeated failed logins."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shequ.core.models import LoginLock


def _key(username: str) -> str:
    """The lock's key: case-insensitive, cut to the column's length (also for longer names)."""
    return username.lower()[:150]


def locked_until(username: str) -> datetime | None:
    lock = LoginLock.objects.filter(username=_key(username)).first()
    if lock and lock.locked_until and lock.locked_until > timezone.now():
        return lock.locked_until
    return None


def register_failure(username: str) -> datetime | None:
    """Count a failure; return the lock's end when this failure locks the name."""
    now = timezone.now()
    key = _key(username)
    with transaction.atomic():
        LoginLock.objects.get_or_create(username=key)
        # An atomic increment: concurrent guesses cannot slip past the limit.
        LoginLock.objects.filter(username=key).update(failures=F("failures") + 1, last_failure=now)
        lock = LoginLock.objects.get(username=key)
        if lock.failures >= settings.LOGIN_MAX_FAILURES:
            lock.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            lock.failures = 0
            lock.save(update_fields=["locked_until", "failures"])
            return lock.locked_until
    return None


def register_success(username: str) -> None:
    LoginLock.objects.filter(username=_key(username)).delete()
