"""Deciding: approve, refuse, withdraw, revoke; each claims the request first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Region
from shequ.core.permissions import Perm, can
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.models import DataRequest, Dataset, Grant, Sharing
from shequ.hub.services.requests.notices import tell_grantee, tell_requester
from shequ.hub.services.requests.rules import (
    audit_region,
    can_revoke,
    end_of,
    is_approver,
    is_grantee,
)
from shequ.hub.services.requests.submit import issue

# --------------------------------------------------------------------------------------------
# Deciding
# --------------------------------------------------------------------------------------------


def _require_decider(user: User, req: DataRequest) -> None:
    if req.requester_id == getattr(user, "pk", None):
        raise PermissionDenied(_("You cannot decide your own request."))
    if not is_approver(user, req.dataset):
        raise PermissionDenied(_("Only the dataset's approvers decide its requests."))


def _require_pending(req: DataRequest) -> None:
    if req.status != DataRequest.Status.PENDING:
        raise ValidationError(
            _("This request is no longer pending (%(status)s).")
            % {"status": req.get_status_display()}
        )


def _claim(req: DataRequest, status: str, user: User, reason: str = "") -> datetime:
    """Move a pending request on, once: a second decision at the same time finds it taken."""
    now = timezone.now()
    fields: dict[str, Any] = {"status": status, "decided_at": now, "reason": reason}
    if status != DataRequest.Status.WITHDRAWN:
        fields["decided_by"] = user
    moved = DataRequest.objects.filter(pk=req.pk, status=DataRequest.Status.PENDING).update(
        **fields
    )
    if not moved:
        req.refresh_from_db()
        _require_pending(req)
    for name, value in fields.items():
        setattr(req, name, value)
    return now


def _as_until(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return end_of(value)


def _clean_row_scope(approver: User, dataset: Dataset, codes: Sequence[str]) -> list[str]:
    """Region codes -> their prefixes; each inside the dataset's region and the approver's."""
    prefixes: list[str] = []
    for code in codes:
        region = Region.objects.filter(code=str(code).strip()).first()
        if region is None:
            raise ValidationError(
                {"row_scope": [_("Unknown region code %(code)s.") % {"code": code}]}
            )
        inside = dataset.region is None or dataset.region.covers(region)
        if not inside or not can(approver, Perm.HUB, region):
            raise ValidationError(
                {
                    "row_scope": [
                        _("%(region)s is outside the dataset's region or your own.")
                        % {"region": region.name}
                    ]
                }
            )
        prefixes.append(region.prefix)
    return sorted(set(prefixes))


def approve(
    approver: User,
    request: DataRequest,
    *,
    clear_columns: Sequence[str] | None = None,
    valid_until: date | datetime | None = None,
    row_scope: Sequence[str] | None = None,
) -> Grant:
    """Approve a pending request and issue its grant (narrower in clear columns or time)."""
    _require_decider(approver, request)
    _require_pending(request)
    dataset = request.dataset
    if dataset.sharing == Sharing.NOT_SHARED:
        raise ValidationError(_("The dataset is no longer shared; refuse the request."))
    clear = list(request.clear_columns) if clear_columns is None else list(clear_columns)
    extra = sorted(set(clear) - set(request.clear_columns))
    if extra:
        raise ValidationError(
            {
                "clear_columns": [
                    _("Only columns requested in clear may be granted in clear: %(names)s.")
                    % {"names": ", ".join(extra)}
                ]
            }
        )
    until = end_of(request.period_until)
    if valid_until is not None:
        chosen = _as_until(valid_until)
        if chosen <= timezone.now() or chosen > until:
            raise ValidationError(
                {"valid_until": [_("Choose a day from today to the end of the requested period.")]}
            )
        until = chosen
    scope = _clean_row_scope(approver, dataset, row_scope or [])
    clear = [c for c in request.clear_columns if c in set(clear)]
    with transaction.atomic():
        _claim(request, DataRequest.Status.APPROVED, approver)
        grant = issue(request, issued_by=approver, clear=clear, valid_until=until, row_scope=scope)
        region = audit_region(dataset, request.requester)
        record("hub.request.approve", actor=approver, obj=request, region_code=region)
        record(
            "hub.grant.issue",
            actor=approver,
            obj=grant,
            region_code=region,
            request_id=request.pk,
            dataset=dataset.key,
            columns=grant.columns,
            clear_columns=clear,
            row_scope=scope,
            valid_until=until.isoformat(),
        )
        tell_requester(request)
    return grant


def refuse(approver: User, request: DataRequest, reason: str) -> DataRequest:
    """Refuse a pending request; the reason is required and shown to the requester."""
    _require_decider(approver, request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the request is refused.")]})
    _require_pending(request)
    with transaction.atomic():
        _claim(request, DataRequest.Status.REFUSED, approver, reason)
        record(
            "hub.request.refuse",
            actor=approver,
            obj=request,
            region_code=audit_region(request.dataset, request.requester),
            reason=reason,
        )
        tell_requester(request, reason)
    return request


def withdraw(user: User, request: DataRequest) -> DataRequest:
    """The requester takes back a pending request."""
    if request.requester_id != getattr(user, "pk", None):
        raise PermissionDenied(_("Only the requester may withdraw a request."))
    _require_pending(request)
    with transaction.atomic():
        _claim(request, DataRequest.Status.WITHDRAWN, user)
        record(
            "hub.request.withdraw",
            actor=user,
            obj=request,
            region_code=audit_region(request.dataset, user),
        )
    return request


def revoke(user: User, grant: Grant, reason: str) -> Grant:
    """Revoke an issued grant: a new ``kind=revoke`` record; the grant stops working now."""
    if grant.kind != Grant.Kind.ISSUE:
        raise ValidationError(_("This is a revocation record; revoke the issued grant."))
    if not can_revoke(user, grant):
        raise PermissionDenied(
            _("Only the dataset's approvers and the grantee may revoke a grant.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the grant is revoked.")]})
    done = Grant.objects.filter(revokes=grant).first()
    if done is not None:
        raise ValidationError(_already_revoked(done))
    try:
        with transaction.atomic():
            revocation = Grant.objects.create(
                kind=Grant.Kind.REVOKE,
                revokes=grant,
                dataset=grant.dataset,
                grantee=grant.grantee,
                grantee_department=grant.grantee_department,
                columns=grant.columns,
                clear_columns=grant.clear_columns,
                row_scope=grant.row_scope,
                purpose=grant.purpose,
                valid_from=timezone.now(),
                request=grant.request,
                issued_by=user,
                reason=reason,
            )
            record(
                "hub.grant.revoke",
                actor=user,
                obj=revocation,
                region_code=audit_region(grant.dataset, user),
                grant=grant.pk,
                dataset=grant.dataset.key,
                reason=reason,
            )
            if not is_grantee(user, grant):
                tell_grantee(grant, reason)
    except IntegrityError:  # revoked by somebody else a moment ago
        done = Grant.objects.filter(revokes=grant).first()
        raise ValidationError(_already_revoked(done) if done else _("Already revoked.")) from None
    return revocation


def _already_revoked(revocation: Grant) -> str:
    return _("This grant was already revoked on %(when)s.") % {
        "when": timezone.localtime(revocation.issued_at).strftime("%Y-%m-%d %H:%M")
    }
