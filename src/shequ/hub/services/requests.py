"""Data requests and grants (数据申请与授权): submit, decide, withdraw, revoke, remind.

The pages, the API and the reminder job all come through these functions. The rules:

Requesting
- A hub user (``Perm.HUB``) requests a dataset they can see in the catalog, for themself or for
  one of their departments (the grant then goes to the department).
- Not shared (不予共享): cannot be requested.
- Columns are required and must be in the schema (minimum necessary: no "all columns" by
  default); columns in clear must be among them and be personal columns; purpose and legal
  basis are required; the period ends after it starts and not before today.
- One pending request per requester, department and dataset.

Deciding
- Unconditional (无条件共享): a request from a hub user of the dataset's region tree (the same
  rule that lets them read it masked), asking for nothing in clear, is approved at once with a
  grant issued by nobody (audit ``hub.grant.auto``). Personal data in clear always needs a
  person's decision, and a request from outside the tree goes to the approvers.
- Conditional (有条件共享), and the cases above: pending, decision due after
  ``SHEQU_HUB_APPROVAL_DAYS`` working days (Monday to Friday; public holidays are not known to
  the platform). The approvers get an inbox message, and one reminder a day once overdue.
- Approvers of a dataset: hub managers (``Perm.MANAGE_HUB``: street staff, platform admins) of
  the dataset's region or a region above it (a dataset of the shared catalog, without a region:
  platform-wide managers only), and members of the owning department (``Dataset.department``)
  who are department analysts, street staff or community staff. The requester never decides
  their own request. Messages go to the regional and departmental approvers; platform-wide
  ones only when there is nobody else.
- An approver may narrow, never widen, the columns in clear and the period, and may extend the
  rows to regions inside the dataset's region and their own (default: the grantee's regions).
- A refusal needs a reason. Only the requester withdraws, and only while the request is pending.

Grants
- A grant never changes. Revoking writes a second record (``kind=revoke``) with a reason; the
  approvers of the dataset and the grantee (the user, or a member of the granted department)
  may revoke; a second revocation is refused. An expired grant stops working at once
  (``shequ.hub.access.active_grants`` compares with the current time on every query).

Every step is audited: ``hub.request.submit|approve|refuse|withdraw|remind`` and
``hub.grant.issue|auto|revoke``. Inbox messages are written in the platform's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequ.core.models import Department, InboxMessage, Membership, Region, Role
from shequ.core.permissions import ROLE_PERMS, Perm, can, has_global, perms_of, prefixes_for
from shequ.core.services.audit import record
from shequ.hub.access import _in_tree
from shequ.hub.models import DataRequest, Dataset, Grant, Sharing
from shequ.hub.services.catalog import visible_datasets
from shequ.hub.tableschema import TableSchema

APPROVING_DEPARTMENT_ROLES = (Role.DEPARTMENT_ANALYST, Role.STREET_STAFF, Role.COMMUNITY_STAFF)
MANAGING_ROLES = tuple(r for r, perms in ROLE_PERMS.items() if Perm.MANAGE_HUB in perms)


def approval_days() -> int:
    return int(getattr(settings, "HUB_APPROVAL_DAYS", 5))


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday), at the same local time."""
    moment = timezone.localtime(start)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date) -> datetime:
    """The last moment of a local day: a grant "until 30 November" works all that day."""
    return timezone.make_aware(datetime.combine(day, time.max))


# --------------------------------------------------------------------------------------------
# Who may do what
# --------------------------------------------------------------------------------------------


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _department_ids(user: Any, roles: Iterable[str] | None = None) -> set[int]:
    if not _active(user):
        return set()
    qs = Membership.objects.filter(user=user, department__isnull=False)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return set(qs.values_list("department_id", flat=True))


def is_approver(user: Any, dataset: Dataset) -> bool:
    """True when user may decide requests for dataset and revoke its grants (see module doc)."""
    if not _active(user):
        return False
    if dataset.region is None:
        if has_global(user, Perm.MANAGE_HUB):
            return True
    elif can(user, Perm.MANAGE_HUB, dataset.region):
        return True
    return dataset.department_id is not None and dataset.department_id in _department_ids(
        user, APPROVING_DEPARTMENT_ROLES
    )


def approvers(dataset: Dataset) -> list[Any]:
    """The users who may decide requests for dataset, platform-wide managers last."""
    condition = Q(is_superuser=True) | Q(memberships__role=Role.PLATFORM_ADMIN)
    if dataset.region is not None:
        covering = [r.code for r in [dataset.region, *dataset.region.ancestors()]]
        condition |= Q(memberships__role__in=MANAGING_ROLES, memberships__region__code__in=covering)
    if dataset.department_id is not None:
        condition |= Q(
            memberships__department_id=dataset.department_id,
            memberships__role__in=APPROVING_DEPARTMENT_ROLES,
        )
    users = get_user_model().objects.filter(condition, is_active=True).distinct().order_by("pk")
    found = [u for u in users if is_approver(u, dataset)]
    return sorted(found, key=lambda u: has_global(u, Perm.MANAGE_HUB))


def _to_notify(dataset: Dataset, exclude: Any) -> list[Any]:
    everyone = [u for u in approvers(dataset) if u.pk != exclude.pk]
    local = [u for u in everyone if not has_global(u, Perm.MANAGE_HUB)]
    return local or everyone


def approvable(user: Any) -> Q:
    """A filter on DataRequest (or on Grant) for the datasets whose requests user decides.

    "Every dataset" is a condition that matches every row, never an empty ``Q()``: OR-ed with
    another condition an empty ``Q()`` is dropped, and the platform administrator lost sight of
    the requests the awaiting list showed them.
    """
    if not _active(user):
        return Q(pk__in=[])
    if has_global(user, Perm.MANAGE_HUB):
        return Q(pk__isnull=False)
    condition = Q(pk__in=[])
    for prefix in prefixes_for(user, Perm.MANAGE_HUB):
        condition |= Q(dataset__region__code__startswith=prefix)
    departments = _department_ids(user, APPROVING_DEPARTMENT_ROLES)
    if departments:
        condition |= Q(dataset__department__in=departments)
    return condition


def can_decide(user: Any, request: DataRequest) -> bool:
    return (
        request.status == DataRequest.Status.PENDING
        and request.requester_id != getattr(user, "pk", None)
        and is_approver(user, request.dataset)
    )


def can_withdraw(user: Any, request: DataRequest) -> bool:
    return request.status == DataRequest.Status.PENDING and request.requester_id == getattr(
        user, "pk", None
    )


def can_see_request(user: Any, request: DataRequest) -> bool:
    if not _active(user):
        return False
    if request.requester_id == user.pk or is_approver(user, request.dataset):
        return True
    return request.department_id is not None and request.department_id in _department_ids(user)


def is_grantee(user: Any, grant: Grant) -> bool:
    if not _active(user):
        return False
    if grant.grantee_id is not None:
        return bool(grant.grantee_id == user.pk)
    return grant.grantee_department_id in _department_ids(user)


def can_revoke(user: Any, grant: Grant) -> bool:
    return grant.kind == Grant.Kind.ISSUE and (
        is_approver(user, grant.dataset) or is_grantee(user, grant)
    )


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------


def _requests() -> QuerySet[DataRequest]:
    return DataRequest.objects.select_related(
        "dataset", "dataset__region", "requester", "department", "decided_by"
    )


def my_requests(user: Any) -> QuerySet[DataRequest]:
    """The user's own requests and those made for their departments, newest first."""
    if not _active(user):
        return DataRequest.objects.none()
    departments = _department_ids(user)
    return _requests().filter(Q(requester=user) | Q(department__in=departments))


def awaiting(user: Any) -> QuerySet[DataRequest]:
    """Pending requests the user may decide (never their own), the most urgent first."""
    if not _active(user):
        return DataRequest.objects.none()
    return (
        _requests()
        .filter(approvable(user), status=DataRequest.Status.PENDING)
        .exclude(requester=user)
        .order_by("due_at", "created", "id")
    )


def visible_requests(user: Any) -> QuerySet[DataRequest]:
    """Every request the user may open: their own, their departments', those they decide."""
    if not _active(user):
        return DataRequest.objects.none()
    departments = _department_ids(user)
    return _requests().filter(Q(requester=user) | Q(department__in=departments) | approvable(user))


def grants_of(user: Any, dataset: Dataset) -> QuerySet[Grant]:
    """Issued grants of dataset the user may see: all for approvers, else their own.

    Each carries its revocation (``grant.revocation``) when there is one.
    """
    qs = Grant.objects.filter(dataset=dataset, kind=Grant.Kind.ISSUE).select_related(
        "grantee",
        "grantee_department",
        "issued_by",
        "request",
        "revocation",
        "revocation__issued_by",
    )
    if is_approver(user, dataset):
        return qs
    if not _active(user):
        return qs.none()
    return qs.filter(Q(grantee=user) | Q(grantee_department__in=_department_ids(user)))


def revocation_of(grant: Grant) -> Grant | None:
    try:
        return grant.revocation  # type: ignore[no-any-return]
    except Grant.DoesNotExist:
        return None


def grant_state(grant: Grant, now: datetime | None = None) -> str:
    """``active``, ``scheduled`` (starts later), ``expired`` or ``revoked``."""
    now = now or timezone.now()
    if revocation_of(grant) is not None:
        return "revoked"
    if grant.valid_until is not None and grant.valid_until <= now:
        return "expired"
    if grant.valid_from > now:
        return "scheduled"
    return "active"


def is_overdue(request: DataRequest, now: datetime | None = None) -> bool:
    return (
        request.status == DataRequest.Status.PENDING
        and request.due_at is not None
        and request.due_at < (now or timezone.now())
    )


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


def _check_department(user: Any, department: Department | None) -> None:
    if department is not None and department.pk not in _department_ids(user):
        raise ValidationError({"department": [_("You are not a member of this department.")]})


def _granted_at_once(
    user: Any, dataset: Dataset, department: Department | None, clear: list[str]
) -> bool:
    """Unconditional sharing, nothing in clear, requester (and department) in the tree."""
    if dataset.sharing != Sharing.UNCONDITIONAL or clear:
        return False
    if not (has_global(user, Perm.HUB) or _in_tree(user, dataset)):
        return False
    if department is None or dataset.region is None:
        return True
    code, own = department.region.code, dataset.region.prefix
    return code.startswith(own) or dataset.region.code.startswith(department.region.prefix)


def _audit_region(dataset: Dataset, user: Any = None) -> str:
    if dataset.region is not None:
        return dataset.region.code
    membership = (
        Membership.objects.filter(user=user).select_related("region").first() if user else None
    )
    return membership.region.code if membership else ""


def submit_request(
    user: Any,
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
            region_code=_audit_region(dataset, user),
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
            _tell_approvers(req, reminder=False)
    return req


def _auto_grant(req: DataRequest, now: datetime) -> Grant:
    DataRequest.objects.filter(pk=req.pk).update(status=DataRequest.Status.APPROVED, decided_at=now)
    req.status, req.decided_at = DataRequest.Status.APPROVED, now
    grant = _issue(req, issued_by=None, clear=[], valid_until=end_of(req.period_until))
    record(
        "hub.grant.auto",
        obj=grant,
        region_code=_audit_region(req.dataset, req.requester),
        request_id=req.pk,
        dataset=req.dataset.key,
        grantee=req.requester.get_username(),
        columns=grant.columns,
    )
    return grant


def _issue(
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


# --------------------------------------------------------------------------------------------
# Deciding
# --------------------------------------------------------------------------------------------


def _require_decider(user: Any, req: DataRequest) -> None:
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


def _claim(req: DataRequest, status: str, user: Any, reason: str = "") -> datetime:
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


def _clean_row_scope(approver: Any, dataset: Dataset, codes: Sequence[str]) -> list[str]:
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
    approver: Any,
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
        grant = _issue(request, issued_by=approver, clear=clear, valid_until=until, row_scope=scope)
        region = _audit_region(dataset, request.requester)
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
        _tell_requester(request)
    return grant


def refuse(approver: Any, request: DataRequest, reason: str) -> DataRequest:
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
            region_code=_audit_region(request.dataset, request.requester),
            reason=reason,
        )
        _tell_requester(request, reason)
    return request


def withdraw(user: Any, request: DataRequest) -> DataRequest:
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
            region_code=_audit_region(request.dataset, user),
        )
    return request


def revoke(user: Any, grant: Grant, reason: str) -> Grant:
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
                region_code=_audit_region(grant.dataset, user),
                grant=grant.pk,
                dataset=grant.dataset.key,
                reason=reason,
            )
            if not is_grantee(user, grant):
                _tell_grantee(grant, reason)
    except IntegrityError:  # revoked by somebody else a moment ago
        done = Grant.objects.filter(revokes=grant).first()
        raise ValidationError(_already_revoked(done) if done else _("Already revoked.")) from None
    return revocation


def _already_revoked(revocation: Grant) -> str:
    return _("This grant was already revoked on %(when)s.") % {
        "when": timezone.localtime(revocation.issued_at).strftime("%Y-%m-%d %H:%M")
    }


# --------------------------------------------------------------------------------------------
# Messages and reminders
# --------------------------------------------------------------------------------------------


def _send(users: Iterable[Any], title: str, body: str, url: str, level: str = "info") -> int:
    made = InboxMessage.objects.bulk_create(
        InboxMessage(user=u, title=title[:200], body=body, url=url, level=level) for u in users
    )
    return len(made)


def _request_url(req: DataRequest) -> str:
    return reverse("hub:request", args=[req.pk])


def _tell_approvers(req: DataRequest, *, reminder: bool) -> int:
    users = _to_notify(req.dataset, exclude=req.requester)
    due = timezone.localtime(req.due_at).strftime("%Y-%m-%d %H:%M") if req.due_at else ""
    with translation.override(settings.LANGUAGE_CODE):
        values = {"title": req.dataset.title, "who": _person(req.requester), "due": due}
        if reminder:
            title = _("Overdue data request: %(title)s") % values
            body = _("%(who)s is still waiting for a decision, due %(due)s.") % values
        else:
            title = _("Data request awaiting your approval: %(title)s") % values
            body = _("%(who)s requests this dataset. Please decide by %(due)s.") % values
        return _send(users, title, body, _request_url(req), "warning" if reminder else "info")


def _tell_requester(req: DataRequest, reason: str = "") -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if req.status == DataRequest.Status.APPROVED:
            title = _("Your data request was approved: %(title)s")
        else:
            title = _("Your data request was refused: %(title)s")
        _send([req.requester], title % {"title": req.dataset.title}, reason, _request_url(req))


def _tell_grantee(grant: Grant, reason: str) -> None:
    users = [grant.grantee] if grant.grantee else []
    if grant.request is not None and grant.request.requester not in users:
        users.append(grant.request.requester)
    url = reverse("hub:grants", args=[grant.dataset.key])
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your grant was revoked: %(title)s") % {"title": grant.dataset.title}
        _send(users, title, reason, url, "warning")


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def send_overdue_reminders(now: datetime | None = None) -> int:
    """Remind the approvers of each overdue pending request, at most once a (local) day.

    Claims each request by moving ``reminded_at`` with a conditional update, so two workers
    ticking at once send one reminder, not two. Returns the number of requests reminded.
    """
    now = now or timezone.now()
    today = start_of(timezone.localtime(now).date())
    due = (
        DataRequest.objects.filter(status=DataRequest.Status.PENDING, due_at__lt=now)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=today))
        .select_related("dataset", "dataset__region", "requester")
    )
    reminded = 0
    for req in due:
        with transaction.atomic():
            claimed = DataRequest.objects.filter(
                pk=req.pk, status=DataRequest.Status.PENDING, reminded_at=req.reminded_at
            ).update(reminded_at=now)
            if not claimed:
                continue
            sent = _tell_approvers(req, reminder=True)
            record(
                "hub.request.remind",
                obj=req,
                region_code=_audit_region(req.dataset, req.requester),
                approvers=sent,
            )
            reminded += 1
    return reminded
