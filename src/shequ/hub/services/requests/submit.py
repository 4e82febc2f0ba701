"""Submitting a request: checks, the one-pending rule, and grants issued at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Department
from shequ.core.permissions import Perm, has_global, perms_of
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.access import in_tree
from shequ.hub.models import DataRequest, Dataset, Grant, Sharing
from shequ.hub.services.catalog import visible_datasets
from shequ.hub.services.requests.notices import tell_approvers
from shequ.hub.services.requests.rules import (
    add_working_days,
    approval_days,
    audit_region,
    department_ids,
    end_of,
    start_of,
)
from shequ.hub.tableschema import TableSchema

# --------------------------------------------------------------------------------------------
# Submitting
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cleaned:
    columns: list[str]
    clear: list[str]
    purpose: str
    legal_basis: str


def _check_columns(
    schema: TableSchema, columns: Sequence[str], clear: Sequence[str], errors: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    names = set(schema.names)
    wanted = {str(c) for c in columns}
    unknown = sorted(wanted - names)
    if not wanted:
        errors.setdefault("columns", []).append(_("Choose the columns you need."))
    elif unknown:
        errors.setdefault("columns", []).append(
            _("Not in the dataset's schema: %(names)s.") % {"names": ", ".join(unknown)}
        )
    in_clear = {str(c) for c in clear}
    pii = schema.pii_fields()
    not_pii = sorted(in_clear - set(pii))
    not_asked = sorted(in_clear - wanted)
    if not_pii:
        errors.setdefault("clear_columns", []).append(
            _("Not personal columns (only personal columns are masked): %(names)s.")
            % {"names": ", ".join(not_pii)}
        )
    elif not_asked:
        errors.setdefault("clear_columns", []).append(
            _("Columns in clear must also be requested: %(names)s.")
            % {"names": ", ".join(not_asked)}
        )
    else:
        partial = sorted(in_clear - schema.clear_allowed(in_clear))
        if partial:
            wholes = sorted({w for n in partial for w in schema.field(n).part_of} - in_clear)
            errors.setdefault("clear_columns", []).append(
                _(
                    "%(names)s can be read in clear only together with %(wholes)s, of which "
                    "they are part (alone they would give it back)."
                )
                % {"names": ", ".join(partial), "wholes": ", ".join(wholes)}
            )
    ordered = [n for n in schema.names if n in wanted]
    return ordered, [n for n in ordered if n in in_clear]


def _clean(
    dataset: Dataset,
    columns: Sequence[str],
    clear_columns: Sequence[str],
    purpose: str,
    legal_basis: str,
    period_from: date,
    period_until: date,
) -> _Cleaned:
    errors: dict[str, list[str]] = {}
    if dataset.sharing == Sharing.NOT_SHARED:
        errors["dataset"] = [_("This dataset is not shared (不予共享): it cannot be requested.")]
    schema = TableSchema.from_dict(dataset.schema)
    cols, clear = _check_columns(schema, columns, clear_columns, errors)
    purpose, legal_basis = (purpose or "").strip(), (legal_basis or "").strip()
    if not purpose:
        errors["purpose"] = [_("Say what the data is for.")]
    if not legal_basis:
        errors["legal_basis"] = [_("Name the legal basis (law, regulation or agreement).")]
    elif len(legal_basis) > 200:
        errors["legal_basis"] = [_("At most 200 characters.")]
    if period_until <= period_from:
        errors["period_until"] = [_("The period must end after it starts.")]
    elif period_until < timezone.localdate():
        errors["period_until"] = [_("The period must not end in the past.")]
    if errors:
        raise ValidationError(errors)
    return _Cleaned(cols, clear, purpose, legal_basis)


def _check_department(user: User, department: Department | None) -> None:
    if department is not None and department.pk not in department_ids(user):
        raise ValidationError({"department": [_("You are not a member of this department.")]})


def _granted_at_once(
    user: User, dataset: Dataset, department: Department | None, clear: list[str]
) -> bool:
    """Unconditional sharing, nothing in clear, requester (and department) in the tree."""
    if dataset.sharing != Sharing.UNCONDITIONAL or clear:
        return False
    if not (has_global(user, Perm.HUB) or in_tree(user, dataset)):
        return False
    if department is None or dataset.region is None:
        return True
    code, own = department.region.code, dataset.region.prefix
    return code.startswith(own) or dataset.region.code.startswith(department.region.prefix)


def submit_request(
    user: User,
    dataset: Dataset,
    *,
    columns: Sequence[str],
    clear_columns: Sequence[str] = (),
    purpose: str,
    legal_basis: str,
    period_from: date,
    period_until: date,
    department: Department | None = None,
) -> DataRequest:
    """File a request; approved at once with a grant, or pending for the approvers."""
    if Perm.HUB not in perms_of(user) or not visible_datasets(user).filter(pk=dataset.pk).exists():
        raise PermissionDenied(_("You cannot request datasets you do not see in the hub."))
    cleaned = _clean(
        dataset, columns, clear_columns, purpose, legal_basis, period_from, period_until
    )
    _check_department(user, department)
    with transaction.atomic():
        duplicate = DataRequest.objects.filter(
            requester=user,
            dataset=dataset,
            department=department,
            status=DataRequest.Status.PENDING,
        ).first()
        if duplicate is not None:
            raise ValidationError(
                _("You already have a pending request for this dataset (no. %(id)s).")
                % {"id": duplicate.pk}
            )
        now = timezone.now()
        req = DataRequest.objects.create(
            requester=user,
            department=department,
            dataset=dataset,
            columns=cleaned.columns,
            clear_columns=cleaned.clear,
            purpose=cleaned.purpose,
            legal_basis=cleaned.legal_basis,
            period_from=period_from,
            period_until=period_until,
        )
        record(
            "hub.request.submit",
            actor=user,
            obj=req,
            region_code=audit_region(dataset, user),
            dataset=dataset.key,
            columns=cleaned.columns,
            clear_columns=cleaned.clear,
            department=department.pk if department else None,
        )
        if _granted_at_once(user, dataset, department, cleaned.clear):
            _auto_grant(req, now)
        else:
            req.due_at = add_working_days(req.created, approval_days())
            req.save(update_fields=["due_at"])
            tell_approvers(req, reminder=False)
    return req


def _auto_grant(req: DataRequest, now: datetime) -> Grant:
    DataRequest.objects.filter(pk=req.pk).update(status=DataRequest.Status.APPROVED, decided_at=now)
    req.status, req.decided_at = DataRequest.Status.APPROVED, now
    grant = issue(req, issued_by=None, clear=[], valid_until=end_of(req.period_until))
    record(
        "hub.grant.auto",
        obj=grant,
        region_code=audit_region(req.dataset, req.requester),
        request_id=req.pk,
        dataset=req.dataset.key,
        grantee=req.requester.get_username(),
        columns=grant.columns,
    )
    return grant


def issue(
    req: DataRequest,
    *,
    issued_by: Any,
    clear: list[str],
    valid_until: datetime,
    row_scope: list[str] | None = None,
) -> Grant:
    now = timezone.now()
    return Grant.objects.create(
        kind=Grant.Kind.ISSUE,
        dataset=req.dataset,
        grantee=None if req.department_id else req.requester,
        grantee_department=req.department,
        columns=list(req.columns),
        clear_columns=clear,
        row_scope=row_scope or [],
        purpose=req.purpose,
        valid_from=max(now, start_of(req.period_from)),
        valid_until=valid_until,
        request=req,
        issued_by=issued_by,
    )
