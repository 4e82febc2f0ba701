"""QR visitor passes: issue (resident or staff), show, revoke, and use at the door."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessPoint, VisitorPass
from shequ.access.services.access import is_staff_for
from shequ.core import pii
from shequ.core.errors import Forbidden, Invalid
from shequ.core.models import Region
from shequ.core.services.audit import record
from shequ.core.types import User

TOKEN_PREFIX = "vp_"
MAX_DAYS = 7
MAX_USES = 20


def token_hash(token: str) -> str:
    return pii.lookup_hash("access_pass", token.strip())


def may_issue(user: User, region: Region) -> bool:
    """Staff of the region, or a resident with an active credential there."""
    if is_staff_for(user, region.code):
        return True
    return user.access_credentials.filter(region=region, active=True).exists()


def issue(
    actor: User,
    region: Region,
    estate: str,
    *,
    visitor: str,
    valid_from: datetime,
    valid_until: datetime,
    max_uses: int = 1,
) -> tuple[VisitorPass, str]:
    if not may_issue(actor, region):
        raise Forbidden(_("Only residents and staff of this community may issue passes."))
    errors: dict[str, list[str]] = {}
    if not AccessPoint.objects.filter(region=region, estate=estate).exists():
        errors["estate"] = [_("No estate of that name here.")]
    if valid_until <= valid_from:
        errors["valid_until"] = [_("Must be after the start.")]
    elif valid_until - valid_from > timedelta(days=MAX_DAYS):
        errors["valid_until"] = [_("At most %(days)d days.") % {"days": MAX_DAYS}]
    if valid_until <= timezone.now():
        errors.setdefault("valid_until", []).append(_("Already over."))
    if not 1 <= max_uses <= MAX_USES:
        errors["max_uses"] = [_("Between 1 and %(n)d.") % {"n": MAX_USES}]
    if len(visitor.strip()) > 50:
        errors["visitor"] = [_("At most 50 characters.")]
    if errors:
        raise Invalid(_("The pass is not valid."), fields=errors)
    token = TOKEN_PREFIX + secrets.token_urlsafe(18)
    name = visitor.strip()
    with transaction.atomic():
        visitor_pass = VisitorPass.objects.create(
            region=region,
            estate=estate,
            issued_by=actor,
            visitor_enc=pii.encrypt(name) if name else "",
            visitor_masked=pii.mask("name", name) or "" if name else "",
            token_enc=pii.encrypt(token),
            token_hash=token_hash(token),
            valid_from=valid_from,
            valid_until=valid_until,
            max_uses=max_uses,
        )
        record("access.pass.issue", actor=actor, obj=visitor_pass, max_uses=max_uses)
    return visitor_pass, token


def passes_for(user: User) -> QuerySet[VisitorPass]:
    return VisitorPass.objects.filter(issued_by=user).select_related("region")


def token_of(actor: User, visitor_pass: VisitorPass) -> str:
    """The pass's token, to show as a QR: its issuer only."""
    if visitor_pass.issued_by_id != actor.pk:
        raise Forbidden(_("Only the issuer may show this pass."))
    return pii.decrypt(visitor_pass.token_enc)


def revoke(actor: User, visitor_pass: VisitorPass) -> VisitorPass:
    if visitor_pass.issued_by_id != actor.pk and not is_staff_for(actor, visitor_pass.region.code):
        raise Forbidden(_("Only the issuer or staff may revoke this pass."))
    if visitor_pass.revoked_at is None:
        visitor_pass.revoked_at = timezone.now()
        visitor_pass.save(update_fields=["revoked_at"])
        record("access.pass.revoke", actor=actor, obj=visitor_pass)
    return visitor_pass


def find(token: str) -> VisitorPass | None:
    if not token.strip().startswith(TOKEN_PREFIX):
        return None
    return VisitorPass.objects.filter(token_hash=token_hash(token)).first()


def refusal(visitor_pass: VisitorPass, point: AccessPoint, at: datetime) -> str:
    """Why the pass does not open this door at ``at`` ("" when it does)."""
    if visitor_pass.revoked_at is not None:
        return "pass_revoked"
    if visitor_pass.region_id != point.region_id or visitor_pass.estate != point.estate:
        return "pass_other_estate"
    if at < visitor_pass.valid_from:
        return "pass_not_yet_valid"
    if at >= visitor_pass.valid_until:
        return "pass_expired"
    if visitor_pass.uses >= visitor_pass.max_uses:
        return "pass_used_up"
    return ""


def use(visitor_pass: VisitorPass) -> bool:
    """Count one use, if one is left (a conditional UPDATE: two doors cannot both take the last)."""
    taken = VisitorPass.objects.filter(
        Q(pk=visitor_pass.pk), Q(uses__lt=F("max_uses")), Q(revoked_at__isnull=True)
    ).update(uses=F("uses") + 1)
    return bool(taken)
