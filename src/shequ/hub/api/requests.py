"""Hub endpoints of data requests and grants (数据申请与授权), under /api/v1/hub/.

The rules live in ``shequ.hub.services.requests``; these handlers parse, call and shape.
No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from shequ.core.inputs import Day, Id
from shequ.core.models import Department
from shequ.core.pagination import Pages
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import User, user_of
from shequ.hub.access import require_hub
from shequ.hub.models import DataRequest, Grant
from shequ.hub.services import requests as svc
from shequ.hub.services.catalog import visible_datasets

router = Router(tags=["hub requests"])


class RequestIn(Schema):
    dataset: str = Field(..., description="the dataset's key")
    columns: list[str] = Field(..., description="the columns needed (at least one)")
    clear_columns: list[str] = Field(
        default_factory=list, description="personal columns wanted in clear (among columns)"
    )
    purpose: str
    legal_basis: str
    period_from: Day
    period_until: Day = Field(..., description="last day of the period (inclusive)")
    department: Id | None = Field(None, description="request for one of your departments")


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


class RequestOut(Schema):
    """A request as its caller sees it: ``can_decide`` and ``can_withdraw`` are theirs."""

    id: int
    dataset: str
    dataset_title: str
    sharing: str
    requester: str
    department: int | None
    columns: list[str]
    clear_columns: list[str]
    purpose: str
    legal_basis: str
    period_from: date
    period_until: date
    status: str
    due_at: datetime | None
    overdue: bool
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    created: datetime
    grant_id: int | None
    can_decide: bool
    can_withdraw: bool

    @staticmethod
    def resolve_dataset(obj: DataRequest) -> str:
        return obj.dataset.key

    @staticmethod
    def resolve_dataset_title(obj: DataRequest) -> str:
        return obj.dataset.title

    @staticmethod
    def resolve_sharing(obj: DataRequest) -> str:
        return obj.dataset.sharing

    @staticmethod
    def resolve_requester(obj: DataRequest) -> str:
        return obj.requester.get_username()

    @staticmethod
    def resolve_department(obj: DataRequest) -> int | None:
        return obj.department_id

    @staticmethod
    def resolve_overdue(obj: DataRequest) -> bool:
        return svc.is_overdue(obj)

    @staticmethod
    def resolve_decided_by(obj: DataRequest) -> str | None:
        return _name(obj.decided_by)

    @staticmethod
    def resolve_grant_id(obj: DataRequest) -> int | None:
        grant = obj.grants.filter(kind=Grant.Kind.ISSUE).order_by("-id").first()
        return grant.pk if grant else None

    @staticmethod
    def resolve_can_decide(obj: DataRequest, context: dict[str, Any]) -> bool:
        return svc.can_decide(user_of(context["request"]), obj)

    @staticmethod
    def resolve_can_withdraw(obj: DataRequest, context: dict[str, Any]) -> bool:
        return svc.can_withdraw(user_of(context["request"]), obj)


class ApproveIn(Schema):
    clear_columns: list[str] | None = Field(
        None, description="narrow the columns in clear (default: as requested)"
    )
    valid_until: Day | None = Field(None, description="last day (default: end of the period)")
    row_scope: list[str] = Field(
        default_factory=list, description="12-digit region codes whose rows are added"
    )


class ReasonIn(Schema):
    reason: str


class GrantOut(Schema):
    id: int
    kind: str
    state: str
    dataset: str
    grantee: str | None
    grantee_department: int | None
    columns: list[str]
    clear_columns: list[str]
    row_scope: list[str]
    purpose: str
    valid_from: datetime
    valid_until: datetime | None
    request_id: int | None
    issued_by: str | None
    issued_at: datetime
    reason: str
    revokes: int | None
    revoked_by: int | None

    @staticmethod
    def resolve_state(obj: Grant) -> str:
        return svc.grant_state(obj) if obj.kind == Grant.Kind.ISSUE else "revocation"

    @staticmethod
    def resolve_dataset(obj: Grant) -> str:
        return obj.dataset.key

    @staticmethod
    def resolve_grantee(obj: Grant) -> str | None:
        return _name(obj.grantee)

    @staticmethod
    def resolve_grantee_department(obj: Grant) -> int | None:
        return obj.grantee_department_id

    @staticmethod
    def resolve_issued_by(obj: Grant) -> str | None:
        return _name(obj.issued_by)

    @staticmethod
    def resolve_revokes(obj: Grant) -> int | None:
        return obj.revokes_id

    @staticmethod
    def resolve_revoked_by(obj: Grant) -> int | None:
        revocation = svc.revocation_of(obj) if obj.kind == Grant.Kind.ISSUE else None
        return revocation.pk if revocation else None


def _request(request: HttpRequest, request_id: Id) -> DataRequest:
    user = require_hub(request)
    return get_object_or_404(svc.visible_requests(user), pk=request_id)


@router.post("/requests", response={201: RequestOut, **errors(WRITE)})
def submit(request: HttpRequest, payload: RequestIn) -> tuple[int, DataRequest]:
    """Request a dataset. Unconditionally shared data may be granted at once (status approved)."""
    user = require_hub(request)
    dataset = get_object_or_404(visible_datasets(user), key=payload.dataset)
    department = None
    if payload.department is not None:
        department = get_object_or_404(Department, pk=payload.department)
    req = svc.submit_request(
        user,
        dataset,
        columns=payload.columns,
        clear_columns=payload.clear_columns,
        purpose=payload.purpose,
        legal_basis=payload.legal_basis,
        period_from=payload.period_from,
        period_until=payload.period_until,
        department=department,
    )
    return 201, req


@router.get("/requests", response={200: list[RequestOut], **errors(READ)})
@paginate(Pages, page_size=50)
def list_requests(
    request: HttpRequest, mine: bool = False, awaiting: bool = False, status: str | None = None
) -> QuerySet[DataRequest]:
    """``?mine=1``: your requests; ``?awaiting=1``: pending ones you decide; neither: both."""
    user = require_hub(request)
    if mine and not awaiting:
        qs = svc.my_requests(user)
    elif awaiting and not mine:
        qs = svc.awaiting(user)
    else:
        qs = svc.visible_requests(user)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.get("/requests/{request_id}", response={200: RequestOut, **errors(READ)})
def get_request(request: HttpRequest, request_id: Id) -> DataRequest:
    return _request(request, request_id)


@router.post("/requests/{request_id}/approve", response={200: RequestOut, **errors(WRITE)})
def approve(request: HttpRequest, request_id: Id, payload: ApproveIn) -> DataRequest:
    req = _request(request, request_id)
    svc.approve(
        user_of(request),
        req,
        clear_columns=payload.clear_columns,
        valid_until=payload.valid_until,
        row_scope=payload.row_scope,
    )
    return req


@router.post("/requests/{request_id}/refuse", response={200: RequestOut, **errors(WRITE)})
def refuse(request: HttpRequest, request_id: Id, payload: ReasonIn) -> DataRequest:
    req = _request(request, request_id)
    return svc.refuse(user_of(request), req, payload.reason)


@router.post("/requests/{request_id}/withdraw", response={200: RequestOut, **errors(WRITE)})
def withdraw(request: HttpRequest, request_id: Id) -> DataRequest:
    req = _request(request, request_id)
    return svc.withdraw(user_of(request), req)


@router.get("/datasets/{key}/grants", response={200: list[GrantOut], **errors(READ)})
@paginate(Pages, page_size=100)
def list_grants(request: HttpRequest, key: str) -> QuerySet[Grant]:
    """Approvers see every grant of the dataset; others their own (or their departments')."""
    user = require_hub(request)
    dataset = get_object_or_404(visible_datasets(user), key=key)
    return svc.grants_of(user, dataset)


@router.post("/grants/{grant_id}/revoke", response={201: GrantOut, **errors(WRITE)})
def revoke(request: HttpRequest, grant_id: Id, payload: ReasonIn) -> tuple[int, Grant]:
    """Revoke a grant: the answer is the new revocation record (``kind=revoke``)."""
    user = require_hub(request)
    visible = Grant.objects.filter(dataset__in=visible_datasets(user), kind=Grant.Kind.ISSUE)
    grant = get_object_or_404(visible.select_related("dataset", "dataset__region"), pk=grant_id)
    if not svc.is_approver(user, grant.dataset) and not svc.is_grantee(user, grant):
        raise Http404("No Grant matches the given query.")  # not theirs even to see
    return 201, svc.revoke(user, grant, payload.reason)
