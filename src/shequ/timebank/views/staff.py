"""The staff console: all requests, stuck ones, objections, members, indicators."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shequ.core.models import Region
from shequ.core.types import user_of
from shequ.timebank.forms import StatusFilterForm
from shequ.timebank.models import HelpRequest, Member
from shequ.timebank.services import access, indicators, matching, reliability, requests, staff
from shequ.timebank.services.ledger import hours

PERIODS = {"30": 30, "150": 150}  # the last month; the seed's five months


def staff_regions_or_403(request: HttpRequest) -> list[Region]:
    regions = list(access.staff_regions(user_of(request)).order_by("code"))
    if not regions:
        raise PermissionDenied("Only community staff run the time bank console.")
    return regions


@login_required
def console(request: HttpRequest) -> HttpResponse:
    regions = staff_regions_or_403(request)
    ids = [r.pk for r in regions]
    form = StatusFilterForm(request.GET or None)
    found = HelpRequest.objects.filter(region_id__in=ids).select_related(
        "region", "beneficiary__person"
    )
    if form.is_valid() and form.cleaned_data["status"]:
        found = found.filter(status=form.cleaned_data["status"])
    return render(
        request,
        "timebank/staff/console.html",
        {
            "form": form,
            "requests": found.order_by("-created")[:100],
            "stuck": requests.untaken(ids),
            "disputed": staff.disputed(ids),
        },
    )


@login_required
def members(request: HttpRequest) -> HttpResponse:
    regions = staff_regions_or_403(request)
    found = list(
        Member.objects.filter(region__in=regions)
        .select_related("person", "account", "region")
        .order_by("region__code", "id")[:500]
    )
    reliable = reliability.scores([m.pk for m in found if m.is_volunteer])
    rows = [(m, hours(m.account.balance), reliable.get(m.pk)) for m in found]
    return render(request, "timebank/staff/members.html", {"rows": rows})


@login_required
def indicator_page(request: HttpRequest) -> HttpResponse:
    regions = staff_regions_or_403(request)
    days = PERIODS.get(request.GET.get("days", "150"), 150)
    code = request.GET.get("region", "")
    region = next((r for r in regions if r.code == code), regions[0])
    end = timezone.now()
    figures = indicators.compute(region, end - timedelta(days=days), end)
    return render(
        request,
        "timebank/staff/indicators.html",
        {
            "figures": figures,
            "hours": hours(figures.confirmed_minutes),
            "region": region,
            "regions": regions,
            "days": days,
        },
    )


@login_required
def unmatched(request: HttpRequest) -> HttpResponse:
    """Open requests no volunteer matches, and why (the skill, the window, reach, load)."""
    ids = [r.pk for r in staff_regions_or_403(request)]
    return render(request, "timebank/staff/unmatched.html", {"rows": matching.unmatched(ids)})
