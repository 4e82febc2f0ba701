"""Per-user API tokens: the clear token is shown once; only its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from shequ.core.models import ApiToken
from shequ.core.services.audit import record
from shequ.core.types import User

TOKEN_PREFIX = "shq_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user: User, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; return it with the clear value, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=days) if days else None
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "token",
        prefix=raw[:10],
        digest=_digest(raw),
        expires_at=expires,
    )
    record("token.issue", actor=user, obj=token, expires_days=days)
    return token, raw


def authenticate(raw: str) -> Any | None:
    """The active user owning an active token, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    # Touch last_used at most once a minute: a busy client must not write on every call.
    if token.last_used is None or now - token.last_used > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def revoke(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (repeating it is harmless)."""
    token = ApiToken.objects.get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record("token.revoke", actor=user, obj=token)
    return token
