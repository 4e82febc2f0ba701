"""Resident endpoints: phone login, the estate's offer, applications, passes, waiting list."""

from typing import Any

from django.contrib.auth import login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema
from ninja.errors import HttpError

from shequ.core.inputs import Day, Id
from shequ.core.services import tokens
from shequ.core.services.audit import client_ip
from shequ.parking.api.common import PASS_RELATED, application_out, pass_out, plan_out, router
from shequ.parking.models import (
    Application,
    Estate,
    Order,
    Pass,
    Product,
    SharingPlan,
    WaitingListEntry,
)
from shequ.parking.services import (
    applications,
    capacity,
    garages,
    passes,
    payments,
    periods,
    residents,
)
from shequ.parking.services import waiting as waiting_svc


def _me(request: HttpRequest) -> Any:
    return request.user


class CodeIn(Schema):
    phone: str
    estate: str | None = Field(None, description="the estate's QR code slug")


class VerifyIn(Schema):
    phone: str
    code: str = Field(..., max_length=12)


@router.post("/login/code", auth=None, response={202: dict}, summary="Send a one-time login code")
def login_code(request: HttpRequest, payload: CodeIn) -> tuple[int, dict[str, Any]]:
    estate = get_object_or_404(Estate, slug=payload.estate) if payload.estate else None
    try:
        residents.send_code(payload.phone, estate=estate, ip=client_ip(request))
    except ImproperlyConfigured as exc:
        raise HttpError(503, f"Login codes cannot be sent now: {exc}.") from exc
    return 202, {"sent": True, "expires_in": residents.CODE_MINUTES * 60}


@router.post("/login/verify", auth=None, summary="Log in with the code; returns an API token")
def login_verify(request: HttpRequest, payload: VerifyIn) -> dict[str, Any]:
    user = residents.verify_code(payload.phone, payload.code)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    _token, raw = tokens.issue(user, "parking phone login", days=30)
    account = residents.account_of(user)
    return {
        "token": raw,
        "phone": account.phone_masked if account else "",
        "estate": account.estate.slug if account and account.estate else None,
    }


def _products(garage_id: Id) -> list[dict[str, Any]]:
    today = periods.today()
    rows = []
    for p in Product.objects.filter(garage_id=garage_id, active=True):
        plan = (
            SharingPlan.objects.filter(garage_id=garage_id, code=p.plan_code, valid_from__lte=today)
            .order_by("-valid_from")
            .first()
        )
        if plan is not None:
            rows.append(
                {"id": p.pk, "kind": p.kind, "price_fen": p.price_fen, "plan": plan_out(plan)}
            )
    return rows


@router.get("/estates/{slug}", auth=None, summary="An estate's garages, walking distance, prices")
def estate_offer(request: HttpRequest, slug: str) -> dict[str, Any]:
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=slug)
    today = periods.today()
    offer = []
    for garage, metres in garages.garages_near(estate):
        products = _products(garage.pk)
        for product in products:
            product["free"] = capacity.free_spaces(
                garage, product["plan"]["code"], today, periods.pass_end(today, 1)
            )
        offer.append(
            {
                "id": garage.pk,
                "name": garage.name,
                "address": garage.address,
                "walking_m": metres,
                "products": products,
            }
        )
    return {"estate": {"slug": estate.slug, "name": estate.name}, "garages": offer}


class ApplicationIn(Schema):
    estate: str = Field(..., description="the estate's slug")
    plates: list[str] = Field(..., description="one or two licence plates")
    name: str = ""
    id_number: str = Field("", description="optional: helps the data check")
    preferences: list[Id] = Field(default_factory=list, description="garage ids, best first")
    priority_group: str = "no_space"


class ProofIn(Schema):
    note: str
    reference: str = ""


@router.post("/applications", response={201: dict}, summary="Apply; hub data verifies at once")
def apply(request: HttpRequest, payload: ApplicationIn) -> tuple[int, dict[str, Any]]:
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=payload.estate)
    app = applications.apply(
        request.user,
        estate,
        plates=payload.plates,
        name=payload.name,
        id_number=payload.id_number,
        preferences=payload.preferences,
        priority_group=payload.priority_group,
    )
    return 201, application_out(app)


def _my_application(request: HttpRequest, app_id: Id) -> Application:
    return get_object_or_404(
        Application.objects.select_related("estate"), pk=app_id, resident=_me(request)
    )


@router.get("/me/applications", summary="My applications")
def my_applications(request: HttpRequest) -> list[dict[str, Any]]:
    qs = Application.objects.filter(resident=_me(request)).select_related("estate")
    return [application_out(a) for a in qs]


@router.post("/applications/{app_id}/proof", summary="Send proof when data found no match")
def proof(request: HttpRequest, app_id: Id, payload: ProofIn) -> dict[str, Any]:
    app = _my_application(request, app_id)
    return application_out(
        applications.submit_proof(request.user, app, note=payload.note, reference=payload.reference)
    )


@router.post("/applications/{app_id}/withdraw", summary="Withdraw my application")
def withdraw(request: HttpRequest, app_id: Id) -> dict[str, Any]:
    return application_out(applications.withdraw(request.user, _my_application(request, app_id)))


class BuyIn(Schema):
    application: Id
    product: Id
    plates: list[str] | None = Field(None, description="default: the application's plates")
    starts_on: Day | None = None
    provider: str = "offline"


def _order_out(order: Order) -> dict[str, Any]:
    pass_obj = Pass.objects.select_related(*PASS_RELATED).get(pk=order.pass_obj_id)
    return {
        "order": order.number,
        "amount_fen": order.amount_fen,
        "status": order.status,
        "payment": payments.get_provider(order.provider).start(order),
        "pass": pass_out(pass_obj),
    }


@router.post("/passes", response={201: dict}, summary="Reserve a pass and open its order")
def buy(request: HttpRequest, payload: BuyIn) -> tuple[int, dict[str, Any]]:
    app = _my_application(request, payload.application)
    product = get_object_or_404(Product.objects.select_related("garage"), pk=payload.product)
    order = passes.buy(
        request.user,
        app,
        product,
        plates_wanted=payload.plates,
        starts_on=payload.starts_on,
        provider=payload.provider,
    )
    return 201, _order_out(order)


def _my_pass(request: HttpRequest, pass_id: Id) -> Pass:
    return get_object_or_404(
        Pass.objects.select_related(*PASS_RELATED), pk=pass_id, resident=_me(request)
    )


@router.get("/me/passes", summary="My passes")
def my_passes(request: HttpRequest) -> list[dict[str, Any]]:
    qs = (
        Pass.objects.filter(resident=_me(request))
        .select_related(*PASS_RELATED)
        .prefetch_related("plates")
    )
    return [pass_out(p) for p in qs]


class RenewIn(Schema):
    provider: str = "offline"


@router.post("/passes/{pass_id}/renew", response={201: dict}, summary="Renew from its end on")
def renew(request: HttpRequest, pass_id: Id, payload: RenewIn) -> tuple[int, dict[str, Any]]:
    order = passes.renew(request.user, _my_pass(request, pass_id), provider=payload.provider)
    return 201, _order_out(order)


class CancelIn(Schema):
    reason: str = ""


@router.post("/passes/{pass_id}/cancel", summary="Cancel; a refund follows the garage's rule")
def cancel(request: HttpRequest, pass_id: Id, payload: CancelIn) -> dict[str, Any]:
    cancelled = passes.cancel(request.user, _my_pass(request, pass_id), reason=payload.reason)
    order = Order.objects.get(pass_obj=cancelled)
    return {
        "pass": pass_out(Pass.objects.select_related(*PASS_RELATED).get(pk=cancelled.pk)),
        "refunds": [
            {"id": r.pk, "amount_fen": r.amount_fen, "status": r.status}
            for r in order.refunds.all()
        ],
    }


@router.get("/orders/{number}", summary="One of my orders")
def my_order(request: HttpRequest, number: str) -> dict[str, Any]:
    order = get_object_or_404(Order, number=number, resident=_me(request))
    return _order_out(order)


@router.post("/orders/{number}/pay-online", summary="Pay an order online: where to go or scan")
def pay_online(request: HttpRequest, number: str) -> dict[str, Any]:
    """Opens (or returns the open) online payment of the order with the configured provider.

    Send the payer to ``redirect_url`` (H5 / web cashier) or show ``qr_payload`` as a QR code;
    the order turns ``paid`` when the provider's signed notification arrives.
    """
    order = get_object_or_404(Order, number=number, resident=_me(request))
    intent = payments.start_online(
        request.user, order, site=f"{request.scheme}://{request.get_host()}"
    )
    return {
        "order": order.number,
        "provider": intent.provider,
        "out_trade_no": intent.out_trade_no,
        "amount_fen": intent.amount_fen,
        "redirect_url": request.build_absolute_uri(intent.redirect_url)
        if intent.redirect_url
        else "",
        "qr_payload": intent.qr_payload,
    }


class WaitIn(Schema):
    application: Id
    garage: Id
    plan_code: str


def waiting_out(e: WaitingListEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "application": e.application_id,
        "garage": e.garage_id,
        "plan_code": e.plan_code,
        "rank": e.rank,
        "status": e.status,
        "offered_until": e.offered_until,
        "priority_group": e.application.priority_group,
        "plates": e.application.plates_masked,
    }


@router.post("/waiting-list", response={201: dict}, summary="Join a plan's waiting list")
def join_waiting(request: HttpRequest, payload: WaitIn) -> tuple[int, dict[str, Any]]:
    from shequ.parking.models import Garage

    app = _my_application(request, payload.application)
    garage = get_object_or_404(Garage, pk=payload.garage)
    entry = waiting_svc.join(request.user, app, garage, payload.plan_code)
    return 201, waiting_out(entry)


@router.get("/me/waiting-list", summary="My places on waiting lists")
def my_waiting(request: HttpRequest) -> list[dict[str, Any]]:
    qs = WaitingListEntry.objects.filter(application__resident=_me(request)).select_related(
        "application"
    )
    return [waiting_out(e) for e in qs]
