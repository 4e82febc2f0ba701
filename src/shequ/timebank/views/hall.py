"""The volunteer's order hall (接单大厅): open requests of my community, my orders, my hours."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.core.types import user_of
from shequ.timebank.models import Category, Order, Transfer
from shequ.timebank.services import access, certificates, matching, ratings
from shequ.timebank.services.ledger import hours


@login_required
def hall(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    volunteer = access.member_of(user, volunteer=True)
    category = request.GET.get("category", "")
    found = matching.ranked_requests(
        volunteer, category=category if category in Category.values else ""
    )
    return render(
        request,
        "timebank/hall/hall.html",
        {"requests": found, "categories": Category.choices, "category": category},
    )


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    volunteer = access.member_of(user, volunteer=True)
    found = (
        Order.objects.filter(volunteer=volunteer)
        .select_related("request", "transfer")
        .order_by("-taken_at")[:100]
    )
    return render(request, "timebank/hall/orders.html", {"orders": found})


@login_required
def my_hours(request: HttpRequest) -> HttpResponse:
    member = access.member_of(user_of(request))
    account = member.account
    account.refresh_from_db()
    moves = account.movements.select_related("transfer").order_by("-id")[:100]
    return render(
        request,
        "timebank/hall/hours.html",
        {
            "member": member,
            "balance": hours(account.balance),
            "moves": [(m, hours(abs(m.minutes))) for m in moves],
            "kinds": dict(Transfer.Kind.choices),
            "thanks": ratings.thanks_for([member.pk]) if member.is_volunteer else [],
        },
    )


@login_required
def certificate(request: HttpRequest) -> HttpResponse:
    made = certificates.certificate(user_of(request), request=request)
    return render(
        request,
        "timebank/hall/certificate.html",
        {"c": made, "hours": hours(made.minutes)},
    )
