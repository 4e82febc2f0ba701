"""Visitor passes: a resident's own (issue, show as QR, revoke); staff see their regions'."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.forms import PassForm
from shequ.access.models import AccessPoint, VisitorPass
from shequ.access.services import passes
from shequ.access.services.access import is_staff_for, staff_scope
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.models import Region
from shequ.core.types import User, user_of
from shequ.web.errors import put_errors


def _estates(user: User) -> dict[str, Region]:
    """Estates where the user may issue passes: of their active credentials' communities."""
    regions = {
        c.region for c in user.access_credentials.filter(active=True).select_related("region")
    }
    found: dict[str, Region] = {}
    for point in AccessPoint.objects.filter(region__in=regions).select_related("region"):
        found.setdefault(point.estate, point.region)
    return found


@login_required
def my_passes(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    estates = _estates(user)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = PassForm(
        request.POST or None,
        estates=[(e, e) for e in estates],
        initial={"valid_from": now, "valid_until": now + timedelta(hours=4), "max_uses": 1},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visitor_pass, _token = passes.issue(
                user,
                estates[data["estate"]],
                data["estate"],
                visitor=data["visitor"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                max_uses=data["max_uses"],
            )
        except ServiceError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Pass issued: show the QR code to your visitor."))
            return redirect("access:pass", pass_id=visitor_pass.pk)
    return render(
        request,
        "access/passes/mine.html",
        {"passes": passes.passes_for(user)[:50], "form": form, "estates": estates},
    )


def _own(request: HttpRequest, pass_id: int) -> VisitorPass:
    return get_object_or_404(passes.passes_for(user_of(request)), pk=pass_id)


@login_required
def pass_detail(request: HttpRequest, pass_id: int) -> HttpResponse:
    visitor_pass = _own(request, pass_id)
    staff = is_staff_for(request.user, visitor_pass.region.code)
    return render(request, "access/passes/detail.html", {"pass": visitor_pass, "staff": staff})


@login_required
def pass_qr(request: HttpRequest, pass_id: int) -> HttpResponse:
    visitor_pass = _own(request, pass_id)
    token = passes.token_of(user_of(request), visitor_pass)
    buffer = io.BytesIO()  # a file of its own: with its namespace, or browsers show nothing
    segno.make(token, error="m", micro=False).save(
        buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def pass_revoke(request: HttpRequest, pass_id: int) -> HttpResponse:
    visitor_pass = _own(request, pass_id)
    passes.revoke(user_of(request), visitor_pass)
    messages.success(request, _("Pass revoked."))
    return redirect("access:my-passes")


def _staff_estates(user: User) -> dict[str, tuple[Region, str]]:
    """Estates of the staff's regions, keyed ``code|estate`` (two communities may share a name)."""
    points = staff_scope(AccessPoint.objects.select_related("region"), user, "region")
    found: dict[str, tuple[Region, str]] = {}
    for point in points.order_by("region__code", "estate"):
        found.setdefault(f"{point.region.code}|{point.estate}", (point.region, point.estate))
    return found


@login_required
def staff_passes(request: HttpRequest) -> HttpResponse:
    """Staff issue a pass for a visitor of their estates, and see (and revoke) their regions'."""
    require_staff_somewhere(request.user)
    user = user_of(request)
    estates = _staff_estates(user)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = PassForm(
        request.POST or None,
        estates=[(key, f"{region.name} · {estate}") for key, (region, estate) in estates.items()],
        initial={"valid_from": now, "valid_until": now + timedelta(hours=4), "max_uses": 1},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region, estate = estates[data["estate"]]
        try:
            visitor_pass, _token = passes.issue(
                user,
                region,
                estate,
                visitor=data["visitor"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                max_uses=data["max_uses"],
            )
        except ServiceError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Pass issued: show the QR code to your visitor."))
            return redirect("access:pass", pass_id=visitor_pass.pk)
    qs = staff_scope(VisitorPass.objects.all(), user, "region").select_related(
        "region", "issued_by"
    )
    return render(
        request,
        "access/passes/staff.html",
        {"passes": qs[:200], "form": form, "estates": estates},
    )


@login_required
@require_POST
def staff_pass_revoke(request: HttpRequest, pass_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    visitor_pass = get_object_or_404(
        staff_scope(VisitorPass.objects.select_related("region"), request.user, "region"),
        pk=pass_id,
    )
    passes.revoke(user_of(request), visitor_pass)
    messages.success(request, _("Pass revoked."))
    return redirect("access:passes")
