"""Staff: the access log page (filters by door, time and result; every view audited)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.access.forms import LogFilterForm
from shequ.access.models import AccessPoint
from shequ.access.services import log
from shequ.access.services.access import staff_scope
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.types import user_of
from shequ.web.errors import put_errors

PAGE = 50


@login_required
def log_page(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    user = user_of(request)
    points = staff_scope(AccessPoint.objects.select_related("region"), user, "region")
    choices = [(p.pk, f"{p.region.name} · {p}") for p in points]
    form = LogFilterForm(request.GET or None, points=choices)
    page = None
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        decision = data.get("decision") or None
        wanted = log.LogFilter(
            data.get("point"),
            data.get("since"),
            data.get("until"),
            None if decision is None else decision == "allowed",
        )
        try:
            events = log.search(user, wanted, request=request).select_related("point", "region")
        except ServiceError as exc:
            put_errors(form, exc)
        else:
            page = Paginator(events, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "access/log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
