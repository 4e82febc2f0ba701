"""Staff: access points and their devices (issue a token, revoke); the app's home page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.forms import DeviceForm, PointForm
from shequ.access.models import AccessPoint, Alert, Device
from shequ.access.services import devices, log
from shequ.access.services.access import is_staff_somewhere, staff_scope
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.permissions import Perm, regions_for
from shequ.core.types import user_of
from shequ.web.errors import put_errors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff see their doors and open alerts; residents go to their passes."""
    if not is_staff_somewhere(request.user):
        return redirect("access:my-passes")
    open_alerts = staff_scope(Alert.objects.all(), request.user, "region").filter(
        status=Alert.Status.OPEN
    )
    return render(
        request,
        "access/home.html",
        {"open_alerts": open_alerts.count(), "points": _points(request).count()},
    )


def _points(request: HttpRequest) -> QuerySet[AccessPoint]:
    return (
        staff_scope(AccessPoint.objects.all(), request.user, "region")
        .select_related("region")
        .annotate(n_devices=Count("devices", filter=Q(devices__revoked_at__isnull=True)))
    )


@login_required
def point_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    user = user_of(request)
    regions = regions_for(user, Perm.GATE).filter(level__in=["community", "village"])
    form = PointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        region = regions.filter(code=request.POST.get("region", "")).first()
        if region is None:
            form.add_error(None, _("Choose a community."))
        else:
            try:
                point = devices.add_point(user, region, **form.cleaned_data)
            except ServiceError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Access point added."))
                return redirect("access:point", point_id=point.pk)
    return render(
        request,
        "access/points/list.html",
        {"points": _points(request), "form": form, "regions": regions},
    )


@login_required
def point_detail(request: HttpRequest, point_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    user = user_of(request)
    point = get_object_or_404(
        staff_scope(AccessPoint.objects.select_related("region"), user, "region"), pk=point_id
    )
    form = DeviceForm(request.POST or None)
    token = ""
    if request.method == "POST" and form.is_valid():
        try:
            _device, token = devices.issue_device(user, point, **form.cleaned_data)
        except ServiceError as exc:
            put_errors(form, exc)
        else:
            form = DeviceForm()
    events = log.view(user, point=point, limit=50, request=request)
    return render(
        request,
        "access/points/detail.html",
        {
            "point": point,
            "devices": point.devices.all(),
            "form": form,
            "token": token,
            "events": events,
        },
    )


@login_required
@require_POST
def device_revoke(request: HttpRequest, device_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    device = get_object_or_404(
        staff_scope(Device.objects.select_related("point__region"), request.user, "point__region"),
        pk=device_id,
    )
    devices.revoke_device(user_of(request), device)
    messages.success(request, _("Device token revoked."))
    return redirect("access:point", point_id=device.point_id)
