"""Community staff pages for places and days: estates (小区) and public holidays (法定节假日).

Both are scoped to the regions where the user is staff; nationwide holidays are set by platform
administrators. The services check every change again and audit it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.permissions import Perm, has_global
from shequ.core.services.regions import get_region
from shequ.core.types import Requester, user_of
from shequ.parking.forms import EstateForm, HolidayForm, region_choices
from shequ.parking.models import Estate
from shequ.parking.services import estates as estate_svc
from shequ.parking.services import periods
from shequ.parking.services.access import staff_scope
from shequ.parking.views.common import put_errors, require_staff_somewhere

NATIONWIDE = "nationwide"


# Estates ------------------------------------------------------------------------------------


@login_required
def estate_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    rows = staff_scope(Estate.objects.select_related("region"), request.user, "region")
    listed = estate_svc.with_shortfall(rows.order_by("code"))
    return render(request, "parking/staff/estates.html", {"rows": listed})


@login_required
def estate_new(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    form = EstateForm(
        request.POST or None, regions=region_choices(estate_svc.staff_regions(request.user))
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        region = get_region(data.pop("region"))
        try:
            estate = estate_svc.create_estate(user_of(request), region, **data)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Estate %(name)s created.") % {"name": estate.name})
            return redirect("parking:staff-estates")
    return render(request, "parking/staff/estate_form.html", {"form": form, "estate": None})


@login_required
def estate_edit(request: HttpRequest, estate_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    estate = get_object_or_404(
        staff_scope(Estate.objects.select_related("region"), request.user, "region"), pk=estate_id
    )
    initial = {
        "name": estate.name,
        "slug": estate.slug,
        "lat": estate.lat,
        "lon": estate.lon,
        "shortfall": estate.spaces_shortfall,
    }
    form = EstateForm(request.POST or None, regions=None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            estate_svc.update_estate(user_of(request), estate, **form.cleaned_data)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Estate %(name)s saved.") % {"name": estate.name})
            return redirect("parking:staff-estates")
    return render(request, "parking/staff/estate_form.html", {"form": form, "estate": estate})


# Public holidays ----------------------------------------------------------------------------


def _holiday_choices(user: Requester) -> list[tuple[str, str]]:
    choices = [(NATIONWIDE, _("Nationwide"))] if has_global(user, Perm.PARKING) else []
    return choices + region_choices(estate_svc.staff_regions(user))


@login_required
def holiday_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    user = user_of(request)
    form = HolidayForm(request.POST or None, regions=_holiday_choices(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = None if data["region"] == NATIONWIDE else get_region(data["region"])
        try:
            holiday = estate_svc.add_holiday(
                user, day=data["day"], name=data["name"], region=region
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(day)s is a public holiday: %(name)s.")
                % {"day": holiday.day.isoformat(), "name": holiday.name},
            )
            return redirect("parking:staff-holidays")
    upcoming = (
        estate_svc.visible_holidays(user).filter(day__gte=periods.today()).order_by("day", "pk")
    )
    rows = [{"h": h, "removable": estate_svc.can_remove_holiday(user, h)} for h in upcoming[:200]]
    return render(request, "parking/staff/holidays.html", {"rows": rows, "form": form})


@require_POST
@login_required
def holiday_remove(request: HttpRequest, holiday_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    holiday = get_object_or_404(estate_svc.visible_holidays(user_of(request)), pk=holiday_id)
    estate_svc.remove_holiday(user_of(request), holiday)
    messages.info(request, _("Holiday %(day)s removed.") % {"day": holiday.day.isoformat()})
    return redirect("parking:staff-holidays")
