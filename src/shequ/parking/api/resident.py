"""Resident endpoints: phone login, the estate's offer, applications, passes, waiting list."""

from typing import Any

from django.contrib.auth import login
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema
from ninja.errors import HttpError

from shequ.core.inputs import Day, Id
from shequ.core.schemas import PUBLIC_READ, PUBLIC_WRITE, READ, WRITE, errors
from shequ.core.services import tokens
from shequ.core.services.audit import client_ip
from shequ.core.types import user_of
from shequ.parking.api.common import router
from shequ.parking.api.schemas import (
    ApplicationOut,
    CancelledOut,
    CodeSentOut,
    EstateOfferOut,
    LoginOut,
    OrderOut,
    PassOut,
    PayOnlineOut,
    WaitingOut,
)
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
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
from shequ.parking.services.passes import PASS_RELATED


class CodeIn(Schema):
    phone: str
    estate: str | None = Field(None, description="the estate's QR code slug")


class VerifyIn(Schema):
    phone: str
    code: str = Field(..., max_length=12)


@router.post(
    "/login/code",
    auth=None,
    response={202: CodeSentOut, **errors(PUBLIC_WRITE, 429, 503)},
    summary="Send a one-time login code",
)
def login_code(request: HttpRequest, payload: CodeIn) -> tuple[int, dict[str, Any]]:
    estate = get_object_or_404(Estate, slug=payload.estate) if payload.estate else None
    try:
        residents.send_code(payload.phone, estate=estate, ip=client_ip(request))
    except ImproperlyConfigured as exc:
        raise HttpError(503, f"Login codes cannot be sent now: {exc}.") from exc
    return 202, {"sent": True, "expires_in": residents.CODE_MINUTES * 60}


@router.post(
    "/login/verify",
    auth=None,
    response={200: LoginOut, **errors(PUBLIC_WRITE, 429)},
    summary="Log in with the code; returns an API token",
)
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
            rows.append({"id": p.pk, "kind": p.kind, "price_fen": p.price_fen, "plan": plan})
    return rows


@router.get(
    "/estates/{slug}",
    auth=None,
    response={200: EstateOfferOut, **errors(PUBLIC_READ)},
    summary="An estate's garages, walking distance, prices",
)
def estate_offer(request: HttpRequest, slug: str) -> dict[str, Any]:
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=slug)
    today = periods.today()
    offer = []
    for garage, metres in garages.garages_near(estate):
        products = _products(garage.pk)
        for product in products:
            product["free"] = capacity.free_spaces(
                garage, product["plan"].code, today, periods.pass_end(today, 1)
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


@router.post(
    "/applications",
    response={201: ApplicationOut, **errors(WRITE)},
    summary="Apply; hub data verifies at once",
)
def apply(request: HttpRequest, payload: ApplicationIn) -> tuple[int, Application]:
    estate = get_object_or_404(Estate.objects.select_related("region"), slug=payload.estate)
    app = applications.apply(
        user_of(request),
        estate,
        plates=payload.plates,
        name=payload.name,
        id_number=payload.id_number,
        preferences=payload.preferences,
        priority_group=payload.priority_group,
    )
    return 201, app


def _my_application(request: HttpRequest, app_id: Id) -> Application:
    return get_object_or_404(
        Application.objects.select_related("estate"), pk=app_id, resident=user_of(request)
    )


@router.get(
    "/me/applications",
    response={200: list[ApplicationOut], **errors(READ)},
    summary="My applications",
)
def my_applications(request: HttpRequest) -> QuerySet[Application]:
    return Application.objects.filter(resident=user_of(request)).select_related("estate")


@router.post(
    "/applications/{app_id}/proof",
    response={200: ApplicationOut, **errors(WRITE)},
    summary="Send proof when data found no match",
)
def proof(request: HttpRequest, app_id: Id, payload: ProofIn) -> Application:
    app = _my_application(request, app_id)
    return applications.submit_proof(
        user_of(request), app, note=payload.note, reference=payload.reference
    )


@router.post(
    "/applications/{app_id}/withdraw",
    response={200: ApplicationOut, **errors(WRITE)},
    summary="Withdraw my application",
)
def withdraw(request: HttpRequest, app_id: Id) -> Application:
    return applications.withdraw(user_of(request), _my_application(request, app_id))


class BuyIn(Schema):
    application: Id
    product: Id
    plates: list[str] | None = Field(None, description="default: the application's plates")
    starts_on: Day | None = None
    provider: str = "offline"


def _order_answer(order: Order) -> dict[str, Any]:
    pass_obj = Pass.objects.select_related(*PASS_RELATED).get(pk=order.pass_obj_id)
    return {
        "order": order.number,
        "amount_fen": order.amount_fen,
        "status": order.status,
        "payment": payments.get_provider(order.provider).start(order),
        "pass": pass_obj,
    }


@router.post(
    "/passes",
    response={201: OrderOut, **errors(WRITE)},
    by_alias=True,
    summary="Reserve a pass and open its order",
)
def buy(request: HttpRequest, payload: BuyIn) -> tuple[int, dict[str, Any]]:
    app = _my_application(request, payload.application)
    product = get_object_or_404(Product.objects.select_related("garage"), pk=payload.product)
    order = passes.buy(
        user_of(request),
        app,
        product,
        plates_wanted=payload.plates,
        starts_on=payload.starts_on,
        provider=payload.provider,
    )
    return 201, _order_answer(order)


def _my_pass(request: HttpRequest, pass_id: Id) -> Pass:
    return get_object_or_404(
        Pass.objects.select_related(*PASS_RELATED), pk=pass_id, resident=user_of(request)
    )


@router.get("/me/passes", response={200: list[PassOut], **errors(READ)}, summary="My passes")
def my_passes(request: HttpRequest) -> QuerySet[Pass]:
    return (
        Pass.objects.filter(resident=user_of(request))
        .select_related(*PASS_RELATED)
        .prefetch_related("plates")
    )


class RenewIn(Schema):
    provider: str = "offline"


@router.post(
    "/passes/{pass_id}/renew",
    response={201: OrderOut, **errors(WRITE)},
    by_alias=True,
    summary="Renew from its end on",
)
def renew(request: HttpRequest, pass_id: Id, payload: RenewIn) -> tuple[int, dict[str, Any]]:
    order = passes.renew(user_of(request), _my_pass(request, pass_id), provider=payload.provider)
    return 201, _order_answer(order)


class CancelIn(Schema):
    reason: str = ""


@router.post(
    "/passes/{pass_id}/cancel",
    response={200: CancelledOut, **errors(WRITE)},
    by_alias=True,
    summary="Cancel; a refund follows the garage's rule",
)
def cancel(request: HttpRequest, pass_id: Id, payload: CancelIn) -> dict[str, Any]:
    cancelled = passes.cancel(user_of(request), _my_pass(request, pass_id), reason=payload.reason)
    order = Order.objects.get(pass_obj=cancelled)
    return {
        "pass": Pass.objects.select_related(*PASS_RELATED).get(pk=cancelled.pk),
        "refunds": order.refunds.all(),
    }


@router.get(
    "/orders/{number}",
    response={200: OrderOut, **errors(READ)},
    by_alias=True,
    summary="One of my orders",
)
def my_order(request: HttpRequest, number: str) -> dict[str, Any]:
    order = get_object_or_404(Order, number=number, resident=user_of(request))
    return _order_answer(order)


@router.post(
    "/orders/{number}/pay-online",
    response={200: PayOnlineOut, **errors(WRITE)},
    summary="Pay an order online: where to go or scan",
)
def pay_online(request: HttpRequest, number: str) -> dict[str, Any]:
    """Opens (or returns the open) online payment of the order with the configured provider.

    Send the payer to ``redirect_url`` (H5 / web cashier) or show ``qr_payload`` as a QR code;
    the order turns ``paid`` when the provider's signed notification arrives.
    """
    order = get_object_or_404(Order, number=number, resident=user_of(request))
    intent = payments.start_online(
        user_of(request), order, site=f"{request.scheme}://{request.get_host()}"
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


@router.post(
    "/waiting-list",
    response={201: WaitingOut, **errors(WRITE)},
    summary="Join a plan's waiting list",
)
def join_waiting(request: HttpRequest, payload: WaitIn) -> tuple[int, WaitingListEntry]:
    app = _my_application(request, payload.application)
    garage = get_object_or_404(Garage, pk=payload.garage)
    entry = waiting_svc.join(user_of(request), app, garage, payload.plan_code)
    return 201, entry


@router.get(
    "/me/waiting-list",
    response={200: list[WaitingOut], **errors(READ)},
    summary="My places on waiting lists",
)
def my_waiting(request: HttpRequest) -> QuerySet[WaitingListEntry]:
    return WaitingListEntry.objects.filter(application__resident=user_of(request)).select_related(
        "application"
    )
