"""Printable QR posters for estates and garages (the pages staff and operators print)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.parking.models import Estate, Garage
from shequ.parking.services import posters
from shequ.parking.services.access import (
    OPERATOR_ROLES,
    STAFF_ROLES,
    can_manage_garage,
    garages_for,
    is_staff_for,
    staff_scope,
)


def _estate_for(request: HttpRequest, slug: str) -> Estate:
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=slug)
    if not is_staff_for(request.user, estate.region.code):
        raise PermissionDenied(_("Only community staff of this region may do this."))
    return estate


def _garage_for(request: HttpRequest, code: str) -> Garage:
    garage = get_object_or_404(Garage.objects.select_related("region"), code=code)
    if not can_manage_garage(request.user, garage):
        raise PermissionDenied(_("You do not manage this garage."))
    return garage


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The module's entry: each role to its own pages (staff first, then operators, residents)."""
    user = request.user
    if has_global(user, Perm.PARKING) or prefixes_for(user, Perm.PARKING, STAFF_ROLES):
        return redirect("parking:staff")
    if prefixes_for(user, Perm.PARKING, OPERATOR_ROLES) or garages_for(user).exists():
        return redirect("parking:operator")
    return redirect("parking:me")


# The downloadable QR file prints at this size (the poster page sizes its own copy by CSS).
QR_FILE_SIZE = "110mm"


@login_required
def poster_index(request: HttpRequest) -> HttpResponse:
    estates = staff_scope(Estate.objects.all(), request.user, "region")
    return render(
        request,
        "parking/posters.html",
        {"estates": estates, "garages": garages_for(request.user)},
    )


@login_required
def estate_poster(request: HttpRequest, slug: str) -> HttpResponse:
    estate = _estate_for(request, slug)
    url = request.build_absolute_uri(posters.estate_path(estate.slug))
    return render(
        request,
        "parking/poster.html",
        {
            "heading": estate.name,
            "lead": _("Shared off-peak parking for residents"),
            "steps": [
                _("Scan the code with your phone"),
                _("Log in with your phone number"),
                _("Apply with your plate: no paper proof needed"),
            ],
            "qr": posters.qr_svg(url),
            "url": url,
        },
    )


@login_required
def garage_poster(request: HttpRequest, code: str) -> HttpResponse:
    garage = _garage_for(request, code)
    url = request.build_absolute_uri(posters.garage_path(garage.code))
    return render(
        request,
        "parking/poster.html",
        {
            "heading": garage.name,
            "lead": _("Shared parking at off-peak hours"),
            "steps": [
                _("Scan the code with your phone"),
                _("See the sharing hours and prices"),
                _("Buy a monthly, quarterly or yearly pass"),
            ],
            "qr": posters.qr_svg(url),
            "url": url,
        },
    )


@login_required
def estate_qr(request: HttpRequest, slug: str) -> HttpResponse:
    estate = _estate_for(request, slug)
    svg = posters.qr_svg(
        request.build_absolute_uri(posters.estate_path(estate.slug)), size=QR_FILE_SIZE
    )
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
def garage_qr(request: HttpRequest, code: str) -> HttpResponse:
    garage = _garage_for(request, code)
    svg = posters.qr_svg(
        request.build_absolute_uri(posters.garage_path(garage.code)), size=QR_FILE_SIZE
    )
    return HttpResponse(svg, content_type="image/svg+xml")
