"""Residents (phone first): post a request, my requests, a request's page with what each
party may do next."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.core.errors import ServiceError
from shequ.core.types import user_of
from shequ.timebank.forms import CheckOutForm, ConfirmForm, RateForm, ReasonForm, RequestForm
from shequ.timebank.models import HelpRequest, Member, Order
from shequ.timebank.services import access, requests, series
from shequ.timebank.views.common import act
from shequ.web.errors import put_errors

ACTIONS = {
    "post": gettext_lazy("Posted"),
    "take": gettext_lazy("Taken"),
    "hand_back": gettext_lazy("Handed back"),
    "check_in": gettext_lazy("Checked in"),
    "check_out": gettext_lazy("Checked out"),
    "confirm": gettext_lazy("Confirmed"),
    "auto_confirm": gettext_lazy("Confirmed automatically"),
    "object": gettext_lazy("Objected to"),
    "no_show": gettext_lazy("No-show"),
    "cancel": gettext_lazy("Cancelled"),
    "expire": gettext_lazy("Expired"),
}


def history(req: HelpRequest) -> list[dict[str, object]]:
    """Each step once, in words: an order's step and the request's change it caused are one."""
    steps: list[dict[str, object]] = []
    statuses = dict(HelpRequest.Status.choices) | dict(Order.Status.choices)
    for e in req.events.select_related("actor"):
        if steps and (steps[-1]["key"] == (e.action, e.actor_id, e.at)):
            continue
        steps.append(
            {
                "key": (e.action, e.actor_id, e.at),
                "at": e.at,
                "action": ACTIONS.get(e.action, e.action),
                "status": statuses.get(e.to_status, e.to_status),
                "actor": e.actor.get_full_name() or e.actor.get_username() if e.actor else None,
                "note": e.note,
            }
        )
    return steps


def _cared_for(request: HttpRequest) -> list[Member]:
    """Members the user may post for: themselves and those they care for (staff: anybody)."""
    user = user_of(request)
    own = list(access.memberships(user).select_related("person"))
    cared = Member.objects.filter(carers=user, active=True).select_related("person", "region")
    staffed = Member.objects.filter(
        region__in=access.staff_regions(user), active=True, is_requester=True
    ).select_related("person", "region")[:500]
    found = {m.pk: m for m in [*own, *cared, *staffed]}
    return [m for m in found.values() if requests.may_act_for(user, m)]


@login_required
def ask(request: HttpRequest) -> HttpResponse:
    members = _cared_for(request)
    if not members:
        return render(request, "timebank/requests/not_member.html", status=403)
    form = RequestForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        beneficiary = next(m for m in members if m.pk == data["beneficiary"])
        start, end = form.window(timezone.now())
        repeat = int(data.get("repeat") or 1)
        common = {
            "category": data["category"],
            "description": data["description"],
            "estimated_minutes": data["minutes"],
            "urgency": "urgent" if data["urgent"] else "normal",
            "address": data["address"],
            "key": data["key"],
        }
        try:
            if repeat > 1:
                made = series.post(
                    user_of(request),
                    beneficiary,
                    first_starts_at=start,
                    window_minutes=int((end - start).total_seconds() // 60),
                    count=repeat,
                    **common,
                )
            else:
                req = requests.post(
                    user_of(request),
                    beneficiary,
                    starts_at=start,
                    ends_at=end,
                    request=request,
                    **common,
                )
        except (ServiceError, ValidationError) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Your request is posted: volunteers nearby are told."))
            if repeat > 1:
                return redirect("timebank:series", made.pk)
            return redirect("timebank:request", req.pk)
    return render(request, "timebank/requests/ask.html", {"form": form})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    found = (
        access.visible_requests(user)
        .filter(Q(posted_by=user) | Q(beneficiary__user=user) | Q(beneficiary__carers=user))
        .distinct()
        .prefetch_related("orders__volunteer__person")[:100]
    )
    return render(request, "timebank/requests/mine.html", {"requests": found})


@login_required
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    user = user_of(request)
    req = access.get_request(user, request_id)
    orders = list(req.orders.select_related("volunteer__person", "volunteer__user", "transfer"))
    mine = [o for o in orders if o.volunteer.user_id == user.pk]
    holding = any(o.status in (Order.Status.TAKEN, Order.Status.IN_SERVICE) for o in mine)
    rated = set(req.orders.filter(ratings__by=user).values_list("pk", flat=True))
    context = {
        "req": req,
        "orders": orders,
        "mine": mine,
        "requester_side": requests.requester_side(user, req),
        "staff": access.is_staff_at(user, req.region),
        "address": requests.reveal_address(user, req, request=request) if holding else None,
        "events": history(req),
        "rated": rated,
        "thanked": set(req.orders.filter(thank_you__isnull=False).values_list("pk", flat=True)),
        "reason_form": ReasonForm(),
        "checkout_form": CheckOutForm(),
        "confirm_form": ConfirmForm(),
        "rate_form": RateForm(),
        "can_take": req.status == HelpRequest.Status.OPEN
        and not mine
        and access.memberships(user).filter(region=req.region, is_volunteer=True).exists(),
    }
    return render(request, "timebank/requests/detail.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    user = user_of(request)
    req = access.get_request(user, request_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return act(
        request,
        lambda: requests.cancel(user, req, reason=reason),
        _("The request is cancelled."),
        "timebank:request",
        req.pk,
    )


@login_required
def series_page(request: HttpRequest, series_id: int) -> HttpResponse:
    """A recurring request: its occurrences, and taking or cancelling the whole series."""
    user = user_of(request)
    found = series.get(user, series_id)
    occurrences = list(
        found.occurrences.select_related("region").prefetch_related("orders__volunteer__person")
    )
    occurrences.sort(key=lambda r: (r.starts_at, r.pk))
    first = occurrences[0]
    upcoming = series.upcoming(found, timezone.now())
    volunteer = access.memberships(user).filter(region=found.region, is_volunteer=True).first()
    context = {
        "series": found,
        "occurrences": occurrences,
        "requester_side": requests.requester_side(user, first),
        "can_take": volunteer is not None
        and found.status == found.Status.ACTIVE
        and bool(upcoming)
        and all(r.status == HelpRequest.Status.OPEN for r in upcoming)
        and volunteer.pk != found.beneficiary_id,
        "reason_form": ReasonForm(),
    }
    return render(request, "timebank/requests/series.html", context)


@login_required
@require_POST
def series_action(request: HttpRequest, series_id: int, action: str) -> HttpResponse:
    user = user_of(request)
    found = series.get(user, series_id)
    if action == "take":
        return act(
            request,
            lambda: series.take(user, found),
            _("You took every occurrence of this series."),
            "timebank:series",
            found.pk,
        )
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return act(
        request,
        lambda: series.cancel(user, found, reason=reason),
        _("The recurring request is cancelled."),
        "timebank:series",
        found.pk,
    )
