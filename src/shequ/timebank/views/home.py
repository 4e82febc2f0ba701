"""The time bank's front door: each user to the page they came for."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.core.types import user_of
from shequ.timebank.services import access
from shequ.timebank.services.ledger import hours


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    mine = list(access.memberships(user))
    return render(
        request,
        "timebank/home.html",
        {
            "member": mine[0] if mine else None,
            "balance": hours(mine[0].account.balance) if mine else None,
            "volunteer": any(m.is_volunteer for m in mine),
            "staff": access.staff_regions(user).exists(),
        },
    )
