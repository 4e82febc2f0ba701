"""Staff pages that add and edit monitoring points and devices (``services/sites.py``).

A point is placed by a click on the village's own map or by typing its WGS-84 latitude and
longitude; a device's token is shown once, on the page that issued it, never stored in clear.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shequ.core.errors import NotFound, ServiceError
from shequ.core.types import User, user_of
from shequ.flood.forms import DeviceForm, PointForm
from shequ.flood.models import Device, MonitoringPoint
from shequ.flood.services import access, devices, response, sites
from shequ.flood.views.common import watcher_required
from shequ.web.errors import put_errors


def _point_initial(point: MonitoringPoint | None, user: User) -> dict[str, Any]:
    if point is None:
        region = response.watched_regions(user).order_by("-code").first()
        centre = (region.centre_lat, region.centre_lon) if region else (None, None)
        return {"lat": centre[0], "lon": centre[1], "region": region.code if region else None}
    initial: dict[str, Any] = {name: getattr(point, name) for name in sites.POINT_FIELDS}
    initial["region"] = point.region.code
    initial["responsible"] = ", ".join(p.get_username() for p in point.responsible.all())
    return {**initial, **sites.thresholds(point)}


@watcher_required
def point_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    user = user_of(request)
    point = access.point_for(user, code) if code else None
    regions = list(response.watched_regions(user))
    form = PointForm(regions=regions, initial=_point_initial(point, user))
    status = 200
    if request.method == "POST":
        form = PointForm(request.POST, regions=regions)
    if not sites.has_thresholds(point):  # set with its first gauge, then here for them all
        for name in sites.LEVELS:
            del form.fields[name]
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            levels = {name: data.get(name) for name in sites.LEVELS}
            try:
                region = access.region_for(user, data["region"])
                saved = sites.save_point(
                    user, point, region, {n: data[n] for n in sites.POINT_FIELDS},
                    responsible=sites.responsible_named(data["responsible"], region),
                    levels=levels if any(v is not None for v in levels.values()) else None,
                )  # fmt: skip
            except (ServiceError, ValidationError) as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Monitoring point saved."))
                return redirect("flood:staff-point", saved.code)
        status = 422
    context = {
        "form": form,
        "point": point,
        "devices": list(point.devices.all()) if point else [],
    }
    return render(request, "flood/staff/point.html", context, status=status)


def _device_for(user: User, code: str) -> Device:
    device = (
        Device.objects.select_related("point", "point__region")
        .filter(code=code, point__in=access.visible_points(user))
        .first()
    )
    if device is None:
        raise NotFound(_("No such device."), "flood_device_not_found")
    return device


@never_cache
@watcher_required
def device_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    user = user_of(request)
    device = _device_for(user, code) if code else None
    watched = list(access.visible_points(user))
    initial: dict[str, Any] = {"point": request.GET.get("point"), "interval_seconds": 600}
    if device is not None:
        initial = {
            "code": device.code, "kind": device.kind, "point": device.point.code,
            "interval_seconds": device.interval_seconds,
        }  # fmt: skip
    form = DeviceForm(points=watched, initial=initial)
    status = 200
    if request.method == "POST":
        form = DeviceForm(request.POST, points=watched)
    if device is not None:  # a device's thresholds are its rules' (edited on their pages)
        for name in sites.LEVELS:
            del form.fields[name]
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                point = access.point_for(user, data["point"])
                saved = sites.save_device(
                    user,
                    device,
                    point,
                    data["code"],
                    data["kind"],
                    data["interval_seconds"],
                    {name: data.get(name) for name in sites.LEVELS},
                )
                token = devices.issue_token(user, saved) if device is None else None
            except (ServiceError, ValidationError) as exc:
                put_errors(form, exc)
            else:
                if token is not None:
                    return _token_page(request, saved, token)
                messages.success(request, _("Device saved."))
                return redirect("flood:staff-device", saved.code)
        status = 422
    rules = list(device.rules.all()) if device else []
    context = {"form": form, "device": device, "rules": rules}
    return render(request, "flood/staff/device.html", context, status=status)


@require_POST
@never_cache
@watcher_required
def device_token(request: HttpRequest, code: str) -> HttpResponse:
    """A new token for the device (the old one stops working), shown on this page only."""
    user = user_of(request)
    device = _device_for(user, code)
    return _token_page(request, device, devices.issue_token(user, device))


def _token_page(request: HttpRequest, device: Device, token: str) -> HttpResponse:
    answer = render(request, "flood/staff/token.html", {"device": device, "token": token})
    answer["Cache-Control"] = "no-store"
    return answer
