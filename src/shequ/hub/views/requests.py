"""Hub pages of data requests and grants. Views parse, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Department, Region
from shequ.core.permissions import Perm, can
from shequ.core.types import User, user_of
from shequ.hub.access import require_hub
from shequ.hub.forms.requests import ApproveForm, ReasonForm, RequestForm
from shequ.hub.models import DataRequest, Dataset, Grant
from shequ.hub.services import requests as svc
from shequ.hub.tableschema import PII_LABELS, TableSchema
from shequ.hub.views.catalog import visible_dataset
from shequ.web.errors import put_errors


def column_rows(dataset: Dataset, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """Schema fields (optionally only some) with their titles and personal-information kind."""
    schema = TableSchema.from_dict(dataset.schema)
    wanted = set(columns) if columns is not None else None
    return [
        {
            "name": f.name,
            "title": f.title,
            "title_en": f.title_en,
            "pii": f.pii != "none",
            "pii_label": PII_LABELS.get(f.pii, ""),
        }
        for f in schema.fields
        if wanted is None or f.name in wanted
    ]


@login_required
def request_new(request: HttpRequest, key: str) -> HttpResponse:
    """The "request access" form of a dataset."""
    dataset = visible_dataset(request, key)
    user: User = user_of(request)
    schema = TableSchema.from_dict(dataset.schema)
    pii = [n for n in schema.names if n in schema.pii_fields()]
    departments = list(
        Department.objects.filter(memberships__user=user).distinct().values_list("pk", "name")
    )
    form = RequestForm(request.POST or None, columns=schema.names, pii=pii, departments=departments)
    if request.method == "POST" and form.is_valid():
        req = submit(request, dataset, form)
        if req is not None:
            return redirect("hub:request", request_id=req.pk)
    chosen = form["columns"].value() or []
    clear = form["clear_columns"].value() or []
    return render(
        request,
        "hub/requests_new.html",
        {
            "dataset": dataset,
            "form": form,
            "columns": column_rows(dataset),
            "chosen": [str(c) for c in chosen],
            "clear": [str(c) for c in clear],
            "has_departments": bool(departments),
            "days": svc.approval_days(),
            "pending": svc.my_requests(user).filter(
                dataset=dataset, status=DataRequest.Status.PENDING
            ),
        },
    )


def submit(request: HttpRequest, dataset: Dataset, form: RequestForm) -> DataRequest | None:
    data = form.cleaned_data
    department = None
    if data["department"]:
        department = Department.objects.filter(pk=data["department"]).first()
    try:
        req = svc.submit_request(
            user_of(request),
            dataset,
            columns=data["columns"],
            clear_columns=data["clear_columns"],
            purpose=data["purpose"],
            legal_basis=data["legal_basis"],
            period_from=data["period_from"],
            period_until=data["period_until"],
            department=department,
        )
    except ValidationError as exc:
        put_errors(form, exc)
        return None
    if req.status == DataRequest.Status.APPROVED:
        messages.success(request, _("Granted at once: this dataset is shared unconditionally."))
    else:
        due = timezone.localtime(req.due_at).strftime("%Y-%m-%d") if req.due_at else ""
        messages.success(
            request,
            _("Your request was sent to the approvers; a decision is due by %(due)s.")
            % {"due": due},
        )
    return req


def _flag(requests: Any) -> list[DataRequest]:
    """Requests with ``overdue`` and their newest grant (``grant``, with its ``state``)."""
    now = timezone.now()
    items = list(requests)
    grants: dict[int, Grant] = {}
    issued = Grant.objects.filter(request__in=items, kind=Grant.Kind.ISSUE).select_related(
        "revocation"
    )
    for g in issued.order_by("id"):
        g.state = svc.grant_state(g, now)  # type: ignore[attr-defined]
        grants[g.request_id] = g  # type: ignore[index]
    for r in items:
        r.overdue = svc.is_overdue(r, now)  # type: ignore[attr-defined]
        r.grant = grants.get(r.pk)  # type: ignore[attr-defined]
    return items


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """My requests, and the requests awaiting my decision (most urgent first)."""
    user = require_hub(request)
    mine = Paginator(svc.my_requests(user), 30).get_page(request.GET.get("page"))
    awaiting = _flag(svc.awaiting(user)[:200])
    return render(
        request,
        "hub/requests.html",
        {
            "awaiting": awaiting,
            "overdue": len([r for r in awaiting if getattr(r, "overdue", False)]),
            "page": mine,
            "mine": _flag(mine.object_list),
        },
    )


def _row_regions(user: User, dataset: Dataset) -> list[tuple[str, str]]:
    """Regions whose rows an approver may add to a grant: inside the dataset's and their own."""
    if dataset.region is None:
        return []
    regions = Region.objects.filter(code__startswith=dataset.region.prefix).order_by("code")
    return [(r.code, r.name) for r in regions[:200] if can(user, Perm.HUB, r)]


@login_required
def request_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request; approve (clear columns, until, rows), refuse with a reason, or withdraw."""
    user = require_hub(request)
    req = get_object_or_404(svc.visible_requests(user), pk=request_id)
    deciding = svc.can_decide(user, req)
    titles = {c["name"]: c["title"] for c in column_rows(req.dataset)}
    approve_form = ApproveForm(
        request.POST if request.POST.get("action") == "approve" else None,
        clear=[(c, f"{titles.get(c) or c} · {c}") for c in req.clear_columns],
        regions=_row_regions(user, req.dataset) if deciding else [],
    )
    refuse_form = ReasonForm(
        request.POST if request.POST.get("action") == "refuse" else None, prefix="refuse"
    )
    if request.method == "POST":
        done = decide(request, req, approve_form, refuse_form)
        if done:
            return redirect("hub:request", request_id=req.pk)
    grants = list(
        req.grants.filter(kind=Grant.Kind.ISSUE).select_related("issued_by", "revocation")
    )
    for g in grants:
        g.state = svc.grant_state(g)  # type: ignore[attr-defined]
    return render(
        request,
        "hub/requests_detail.html",
        {
            "req": req,
            "overdue": svc.is_overdue(req),
            "columns": column_rows(req.dataset, list(req.columns)),
            "deciding": deciding,
            "withdrawing": svc.can_withdraw(user, req),
            "approve_form": approve_form,
            "refuse_form": refuse_form,
            "refusing": request.POST.get("action") == "refuse",
            "grants": grants,
        },
    )


def decide(
    request: HttpRequest, req: DataRequest, approve_form: ApproveForm, refuse_form: ReasonForm
) -> bool:
    """Carry out the posted action; False with the errors put on the forms."""
    action = request.POST.get("action")
    try:
        if action == "approve" and approve_form.is_valid():
            data = approve_form.cleaned_data
            svc.approve(
                user_of(request),
                req,
                clear_columns=data["clear_columns"],
                valid_until=data["valid_until"],
                row_scope=data["row_scope"],
            )
            messages.success(request, _("Approved: the grant was issued."))
            return True
        if action == "refuse" and refuse_form.is_valid():
            svc.refuse(user_of(request), req, refuse_form.cleaned_data["reason"])
            messages.success(request, _("The request was refused; the requester was told why."))
            return True
        if action == "withdraw":
            svc.withdraw(user_of(request), req)
            messages.success(request, _("Your request was withdrawn."))
            return True
    except ValidationError as exc:
        put_errors(approve_form if action == "approve" else refuse_form, exc)
        if action == "withdraw":
            messages.error(request, " ".join(exc.messages))
            return True
    return False


@login_required
def grant_list(request: HttpRequest, key: str) -> HttpResponse:
    """The grants of a dataset (all for approvers, else one's own), with their revocations."""
    dataset = visible_dataset(request, key)
    user = user_of(request)
    form = ReasonForm(request.POST or None)
    failed: int | None = None
    if request.method == "POST":
        grant_id = request.POST.get("grant", "")
        if not grant_id.isdigit():
            raise Http404(_("No such grant."))
        grant = get_object_or_404(svc.grants_of(user, dataset), pk=int(grant_id))
        if form.is_valid():
            try:
                svc.revoke(user, grant, form.cleaned_data["reason"])
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("The grant was revoked; it no longer works."))
                return redirect("hub:grants", key=dataset.key)
        failed = grant.pk
    grants = list(svc.grants_of(user, dataset))
    for g in grants:
        g.state = svc.grant_state(g)  # type: ignore[attr-defined]
        g.revoked = svc.revocation_of(g)  # type: ignore[attr-defined]
        g.revocable = g.state != "revoked" and svc.can_revoke(user, g)  # type: ignore[attr-defined]
    return render(
        request,
        "hub/grants.html",
        {
            "dataset": dataset,
            "grants": grants,
            "approver": svc.is_approver(user, dataset),
            "form": form,
            "failed": failed,
        },
    )
