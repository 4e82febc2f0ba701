"""The resident's phone pages: QR landing, phone login, apply, choose, pay, the pass.

Every object is fetched with ``resident=request.user``: another resident's application, order
or pass is a 404, never a page. Views parse a form, call a service, render or redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core import pii
from shequ.core.types import user_of
from shequ.parking.forms import (
    ApplyForm,
    BuyForm,
    ProofForm,
    ReasonForm,
    WaitForm,
)
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    Order,
    Pass,
    Product,
    WaitingListEntry,
)
from shequ.parking.services import (
    applications,
    passes,
    payments,
    periods,
    refunds,
    residents,
    units,
)
from shequ.parking.services import maps as parking_maps
from shequ.parking.services import waiting as waiting_svc
from shequ.parking.services import web_support as web
from shequ.parking.services.errors import Conflict
from shequ.parking.views.common import error_text, login_url, put_errors, resident_required

View = Callable[..., HttpResponse]


# --------------------------------------------------------------------------------------------
# Landing pages of the QR codes
# --------------------------------------------------------------------------------------------


def estate_landing(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the estate's QR code leads: what is on offer nearby, and how to sign up."""
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=slug)
    account = residents.account_of(request.user)
    offers = web.estate_offer(estate)
    return render(
        request,
        "parking/resident/estate.html",
        {
            "estate": estate,
            "offers": offers,
            "offer_map": parking_maps.offer_map(estate, offers) if offers else None,
            "account": account,
            "login_url": login_url(reverse("parking:apply", args=[estate.slug]), estate.slug),
        },
    )


def garage_landing(request: HttpRequest, code: str) -> HttpResponse:
    """Where a garage's QR code leads: its sharing hours, prices and free spaces."""
    garage = get_object_or_404(Garage.objects.select_related("region"), code=code)
    account = residents.account_of(request.user)
    estate = account.estate if account else None
    return render(
        request,
        "parking/resident/garage.html",
        {
            "garage": garage,
            "products": web.garage_products(garage),
            "account": account,
            "estate": estate,
            "login_url": login_url(reverse("parking:me")),
        },
    )


# --------------------------------------------------------------------------------------------
# The resident's overview, applying, choosing a garage
# --------------------------------------------------------------------------------------------


@resident_required
def my_parking(request: HttpRequest) -> HttpResponse:
    account = residents.account_of(request.user)
    data = web.overview(user_of(request))
    return render(
        request,
        "parking/resident/me.html",
        {
            "account": account,
            "data": data,
            "renew_due": {p.pk for p in data.passes if web.renewal_due(p)},
        },
    )


@resident_required
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=slug)
    offers = web.estate_offer(estate)
    choices = [(o.garage.pk, f"{o.garage.name} · {units.distance(o.walking_m)}") for o in offers]
    form = ApplyForm(request.POST or None, garages=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            app = applications.apply(
                user_of(request),
                estate,
                plates=form.plates(),
                name=data["name"],
                id_number=data["id_number"],
                preferences=data["preferences"] or [o.garage.pk for o in offers],
                priority_group=data["priority_group"],
            )
        except ValidationError as exc:
            put_errors(form, exc)
        except Conflict as exc:
            messages.info(request, exc.message)
            existing = web.overview(user_of(request)).open_application
            if existing is not None:
                return redirect("parking:application", app_id=existing.pk)
            form.add_error(None, exc.message)
        else:
            return redirect("parking:application", app_id=app.pk)
    return render(
        request, "parking/resident/apply.html", {"estate": estate, "form": form, "offers": offers}
    )


def _my_application(request: HttpRequest, app_id: int) -> Application:
    return get_object_or_404(
        Application.objects.select_related("estate__region"), pk=app_id, resident=user_of(request)
    )


@resident_required
def application_detail(request: HttpRequest, app_id: int) -> HttpResponse:
    app = _my_application(request, app_id)
    proof_form = ProofForm(request.POST or None)
    if request.method == "POST" and proof_form.is_valid():
        try:
            applications.submit_proof(
                user_of(request),
                app,
                note=proof_form.cleaned_data["note"],
                reference=proof_form.cleaned_data["reference"],
            )
        except ValidationError as exc:
            put_errors(proof_form, exc)
        except Conflict as exc:
            proof_form.add_error(None, exc.message)
        else:
            messages.success(request, _("Thank you. Community staff will review your proof."))
            return redirect("parking:application", app_id=app.pk)
    offers = web.estate_offer(app.estate, app) if app.eligible else []
    waiting = {
        (e.garage_id, e.plan_code): e
        for e in WaitingListEntry.objects.filter(application=app, status__in=waiting_svc.ACTIVE)
    }
    for offer in offers:
        for product in offer.products:
            product.waiting = waiting.get((offer.garage.pk, product.plan.code))
    return render(
        request,
        "parking/resident/application.html",
        {
            "app": app,
            "plates": applications.clear_plates(app),
            "verification": applications.verification_rows(app),
            "offers": offers,
            "held_until": passes.plates_held_until(app, periods.today()) if offers else None,
            "offer_map": parking_maps.offer_map(app.estate, offers) if offers else None,
            "proof_form": proof_form,
            "needs_proof": app.status == Application.Status.NEEDS_PROOF,
            "withdrawable": app.status in applications.OPEN,
        },
    )


@require_POST
@resident_required
def buy(request: HttpRequest, app_id: int) -> HttpResponse:
    app = _my_application(request, app_id)
    form = BuyForm(request.POST)
    if not form.is_valid():
        return redirect("parking:application", app_id=app.pk)
    product = get_object_or_404(
        Product.objects.select_related("garage"), pk=form.cleaned_data["product"]
    )
    try:
        order = passes.buy(user_of(request), app, product)
    except Conflict as exc:
        pending = _pending_order(app, product)
        if exc.code == "plate_busy" and pending is not None:
            return redirect("parking:order", number=pending.number)  # a double submit
        messages.error(request, exc.message)
        return redirect("parking:application", app_id=app.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("parking:application", app_id=app.pk)
    return redirect("parking:order", number=order.number)


def _pending_order(app: Application, product: Product) -> Order | None:
    return Order.objects.filter(
        pass_obj__application=app, pass_obj__product=product, status=Order.Status.PENDING
    ).first()


@require_POST
@resident_required
def join_waiting(request: HttpRequest, app_id: int) -> HttpResponse:
    app = _my_application(request, app_id)
    form = WaitForm(request.POST)
    if form.is_valid():
        garage = get_object_or_404(Garage, pk=form.cleaned_data["garage"])
        try:
            entry = waiting_svc.join(user_of(request), app, garage, form.cleaned_data["plan_code"])
        except (Conflict, ValidationError) as exc:
            messages.info(request, error_text(exc))
        else:
            messages.success(
                request,
                _("You are number %(rank)d on the waiting list of %(garage)s.")
                % {"rank": entry.rank, "garage": garage.name},
            )
    return redirect("parking:application", app_id=app.pk)


@require_POST
@resident_required
def withdraw(request: HttpRequest, app_id: int) -> HttpResponse:
    applications.withdraw(user_of(request), _my_application(request, app_id))
    messages.info(request, _("Your application is withdrawn."))
    return redirect("parking:me")


@require_POST
@resident_required
def leave_waiting(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        WaitingListEntry.objects.select_related("application", "garage__region"),
        pk=entry_id,
        application__resident=user_of(request),
    )
    waiting_svc.remove(user_of(request), entry)
    messages.info(request, _("You left the waiting list."))
    return redirect("parking:me")


# --------------------------------------------------------------------------------------------
# Orders and passes
# --------------------------------------------------------------------------------------------


@resident_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    context = _order_context(request, number)
    # The plates are on the page, not in the polled state: decrypted once, not every poll.
    context["plates"] = [pii.decrypt(p.plate_enc) for p in context["pass"].plates.all()]
    return render(request, "parking/resident/order.html", context)


# The order page asks for its state this often while the order awaits payment.
ORDER_POLL_SECONDS = 3


@resident_required
def order_live(request: HttpRequest, number: str) -> HttpResponse:
    """The order's state alone, polled by the order page (htmx) until it is paid or cancelled."""
    response = render(request, "parking/resident/_order_live.html", _order_context(request, number))
    response["Cache-Control"] = "no-store"
    return response


def _order_context(request: HttpRequest, number: str) -> dict[str, Any]:
    order = get_object_or_404(
        Order.objects.select_related("pass_obj__garage", "pass_obj__plan", "pass_obj__product"),
        number=number,
        resident=user_of(request),
    )
    pending = order.status == Order.Status.PENDING
    return {
        "order": order,
        "pass": order.pass_obj,
        "payment": payments.get_provider(order.provider).start(order) if pending else {},
        "online": payments.online_label() if pending and web.holds(order.pass_obj) else "",
        "amount": web.yuan(order.amount_fen),
        "poll": ORDER_POLL_SECONDS,
    }


def _my_pass(request: HttpRequest, pass_id: int) -> Pass:
    return get_object_or_404(
        Pass.objects.select_related("garage__region", "plan", "product", "order"),
        pk=pass_id,
        resident=user_of(request),
    )


@resident_required
def pass_detail(request: HttpRequest, pass_id: int) -> HttpResponse:
    pass_obj = _my_pass(request, pass_id)
    order = getattr(pass_obj, "order", None)
    paid = refunds.paid_amount(order) if order else 0
    refund = passes.refund_due(pass_obj, paid, periods.today()) if paid else 0
    renewal = Pass.objects.filter(renews=pass_obj).exclude(status=Pass.Status.CANCELLED).first()
    return render(
        request,
        "parking/resident/pass.html",
        {
            "pass": pass_obj,
            "order": order,
            "plates": [pii.decrypt(p.plate_enc) for p in pass_obj.plates.all()],
            "can_renew": web.can_renew(pass_obj),
            "renew_due": web.renewal_due(pass_obj),
            "renewal": renewal,
            "renewal_order": getattr(renewal, "order", None) if renewal else None,
            "refund": web.yuan(refund),
            "refund_rule": pass_obj.garage.get_refund_rule_display(),
            "cancellable": pass_obj.status in Pass.HOLDING,
            "cancel_form": ReasonForm(),
            "refunds": [
                {"refund": r, "yuan": web.yuan(r.amount_fen)}
                for r in (order.refunds.all() if order else [])
            ],
        },
    )


@require_POST
@resident_required
def renew(request: HttpRequest, pass_id: int) -> HttpResponse:
    pass_obj = _my_pass(request, pass_id)
    try:
        order = passes.renew(user_of(request), pass_obj)
    except (Conflict, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return redirect("parking:pass", pass_id=pass_obj.pk)
    return redirect("parking:order", number=order.number)


@require_POST
@resident_required
def cancel(request: HttpRequest, pass_id: int) -> HttpResponse:
    pass_obj = _my_pass(request, pass_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    passes.cancel(user_of(request), pass_obj, reason=reason)
    messages.info(request, _("Your pass is cancelled. Any refund is shown below."))
    return redirect("parking:pass", pass_id=pass_obj.pk)
