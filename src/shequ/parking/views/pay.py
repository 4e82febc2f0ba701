"""Paying online: the resident's "pay online" button, and the demo provider's cashier page.

The cashier pages stand for the provider's own H5 / QR cashier: they are not the platform's
pages (no login: whoever holds the link may pay, as with a real payment link), and after the
payer's choice the cashier delivers its signed notification to the same service that answers
``POST /api/v1/parking/payments/callback/demo``.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.parking.models import DemoTrade, Order
from shequ.parking.providers import CallbackRejected, ProviderError, demo_cashier
from shequ.parking.services import callbacks, payments
from shequ.parking.services import web_support as web
from shequ.parking.services.errors import Conflict
from shequ.parking.services.posters import qr_svg
from shequ.parking.views.common import resident_required

logger = logging.getLogger(__name__)


@require_POST
@resident_required
def pay_online(request: HttpRequest, number: str) -> HttpResponse:
    """Start (or resume) paying the order online, and go to the provider's cashier."""
    order = get_object_or_404(Order, number=number, resident=request.user)
    back = reverse("parking:order", args=[order.number])
    try:
        intent = payments.start_online(
            user_of(request),
            order,
            site=f"{request.scheme}://{request.get_host()}",
            return_url=request.build_absolute_uri(back),
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect(intent.redirect_url or back)


def _trade(token: str) -> DemoTrade:
    return get_object_or_404(DemoTrade, token=token)


def demo_cashier_page(request: HttpRequest, token: str) -> HttpResponse:
    """The demo cashier: amount, merchant, a QR code of this page, Pay and Cancel."""
    trade = _trade(token)
    return render(
        request,
        "parking/pay/demo_cashier.html",
        {
            "trade": trade,
            "amount": web.yuan(trade.amount_fen),
            "qr": qr_svg(request.build_absolute_uri(), scale=5),
            "back": trade.return_url,
        },
    )


@require_POST
def demo_cashier_action(request: HttpRequest, token: str, action: str) -> HttpResponse:
    """The payer paid or cancelled: settle the trade, then notify the platform (signed)."""
    if action not in ("pay", "cancel"):
        raise Http404
    trade = _trade(token)
    try:
        trade = demo_cashier.pay(trade) if action == "pay" else demo_cashier.close(trade)
    except ProviderError as exc:
        logger.info("demo trade %s: %s", trade.out_trade_no, exc.message)
        messages.error(request, _("This payment is already complete or cancelled."))
        return redirect("parking:pay-demo", token=token)
    body, headers = demo_cashier.notification(trade)
    try:
        callbacks.handle_notification("demo", body, headers)
    except CallbackRejected as exc:  # the platform answered 4xx: a provider would retry
        logger.warning("demo notification for %s refused: %s", trade.out_trade_no, exc.message)
    if action == "pay":
        messages.success(request, _("Paid ¥%(y)s.") % {"y": web.yuan(trade.amount_fen)})
    else:
        messages.info(request, _("Payment cancelled; nothing was charged."))
    return redirect(trade.return_url or reverse("parking:me"))
