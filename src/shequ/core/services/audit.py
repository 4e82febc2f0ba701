"""The audit helper every app calls."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from shequ.core.models import AuditEvent, Region
from shequ.core.models.regions import prefix_of_code
from shequ.core.types import Requester, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: behind a trusted proxy, the last one X-Forwarded-For names
    that is not itself a trusted proxy (what a client writes there before it is ignored)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _trusted(remote):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop):
            return hop if _parses(hop) else remote
    return remote


def _parses(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _trusted(address: str) -> bool:
    proxies = settings.TRUSTED_PROXIES
    if not proxies or not _parses(address):
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in proxies)


def record(
    action: str,
    *,
    actor: Requester | None = None,
    obj: Model | None = None,
    region_code: str = "",
    request: HttpRequest | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one audit event. ``details`` must be JSON-serialisable and free of clear PII."""
    if actor is None and request is not None:
        actor = request.user
    if not isinstance(actor, User):  # anonymous
        actor = None
    if not region_code and obj is not None:
        region = obj if isinstance(obj, Region) else getattr(obj, "region", None)
        region_code = getattr(region, "code", "") or ""
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        region_code=region_code,
        ip=client_ip(request),
        details=details,
    )


def search(
    user: User,
    *,
    action: str | None = None,
    actor: str | None = None,
    region_code: str | None = None,
    object_type: str | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events the user may see (their regions' events), newest first, filtered."""
    from shequ.core.permissions import Perm, has_global, prefixes_for

    qs = AuditEvent.objects.all()
    if not has_global(user, Perm.VIEW_AUDIT):
        condition = Q()
        for prefix in prefixes_for(user, Perm.VIEW_AUDIT):
            condition |= Q(region_code__startswith=prefix)
        qs = qs.filter(condition) if condition else qs.none()
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_name=actor)
    if region_code:
        qs = qs.filter(region_code__startswith=prefix_of_code(region_code))
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs
