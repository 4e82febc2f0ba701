"""Payments: offline confirmation by staff, signed callbacks, idempotency, refunds."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from shequ.core.models import AuditEvent, Role
from shequ.parking.models import Order, Payment, Product, Refund
from shequ.parking.services import passes, payments, refunds

pytestmark = pytest.mark.django_db
CALLBACK = "/api/v1/parking/payments/callback/generic"


@pytest.fixture
def order(make_resident: Any, make_application: Any, monthly: Product) -> Order:
    resident = make_resident()
    return passes.buy(
        resident, make_application(resident, ["浙A12345"]), monthly, provider="generic"
    )


def signed(body: dict[str, Any], secret: str = "test-payment-secret") -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def call(raw: bytes, signature: str | None) -> Any:
    headers = {"HTTP_X_SHEQU_SIGNATURE": signature} if signature is not None else {}
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        CALLBACK, raw, content_type="application/json", **headers
    )


def paid(order: Order, txn: str = "T1", amount: int | None = None) -> dict[str, Any]:
    return {
        "order": order.number,
        "transaction_id": txn,
        "amount_fen": order.amount_fen if amount is None else amount,
        "status": "paid",
    }


def test_a_signed_callback_pays_the_order_once(order: Order) -> None:
    raw, sig = signed(paid(order))
    first = call(raw, sig)
    assert first.status_code == 200, first.content
    assert first.json() == {
        "result": "ok",
        "order": order.number,
        "order_status": "paid",
        "new": True,
    }
    replay = call(raw, sig)
    assert replay.json()["new"] is False
    assert Payment.objects.count() == 1 and not Refund.objects.exists()
    order.pass_obj.refresh_from_db()
    assert order.pass_obj.status == "active"


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not-hex", "sign-with-another-secret"])
def test_a_forged_callback_changes_nothing(order: Order, signature: str | None) -> None:
    raw, _good = signed(paid(order))
    if signature == "sign-with-another-secret":
        _raw, signature = signed(paid(order), secret="guess")
    answer = call(raw, signature)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "error" or answer.json()["error"]["message"]
    order.refresh_from_db()
    assert order.status == "pending" and not Payment.objects.exists()


def test_a_tampered_body_with_an_old_signature_is_refused(order: Order) -> None:
    _raw, sig = signed(paid(order))
    raw, _ = signed(paid(order, amount=1))
    assert call(raw, sig).status_code == 401
    assert not Payment.objects.exists()


def test_a_wrong_amount_or_unknown_order_is_refused_without_writes(order: Order) -> None:
    raw, sig = signed(paid(order, amount=order.amount_fen - 1))
    answer = call(raw, sig)
    assert answer.status_code == 409 and "30000" in answer.json()["error"]["message"]
    raw, sig = signed({**paid(order), "order": "P-NOPE"})
    assert call(raw, sig).status_code == 404
    raw, sig = signed({"order": order.number})
    assert call(raw, sig).status_code == 400
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.status == "pending"


def test_a_second_transaction_for_a_paid_order_is_refunded(order: Order) -> None:
    for txn in ("T1", "T2"):
        raw, sig = signed(paid(order, txn))
        assert call(raw, sig).status_code == 200
    assert Payment.objects.count() == 2
    assert [(r.amount_fen, r.reason) for r in Refund.objects.all()] == [(30000, "Paid twice")]


def test_staff_confirm_offline_payments_idempotently(
    make_resident: Any,
    make_application: Any,
    monthly: Product,
    staff_jinxiu: Any,
    make_user: Any,
) -> None:
    resident = make_resident()
    order = passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)
    outsider = make_user(Role.COMMUNITY_STAFF, "990103001001")
    with pytest.raises(PermissionDenied):
        payments.confirm_offline(outsider, order, reference="R1", amount_fen=30000)
    with pytest.raises(ValidationError) as info:
        payments.confirm_offline(staff_jinxiu, order, reference=" ", amount_fen=30000)
    assert "reference" in info.value.message_dict
    first = payments.confirm_offline(staff_jinxiu, order, reference="R1", amount_fen=30000)
    again = payments.confirm_offline(staff_jinxiu, order, reference="R1", amount_fen=30000)
    assert first.pk == again.pk and Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="parking.payment").count() == 1


def test_an_offline_order_cannot_be_paid_by_callback(
    make_resident: Any, make_application: Any, monthly: Product
) -> None:
    resident = make_resident()
    order = passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)
    raw, sig = signed(paid(order))
    assert call(raw, sig).status_code == 409
    assert not Payment.objects.exists()


def test_refunds_are_completed_by_staff_with_a_reference(
    sell: Callable[..., Any], staff_jinxiu: Any
) -> None:
    pass_obj = sell(["浙A12345"])
    passes.cancel(pass_obj.resident, pass_obj)
    refund = Refund.objects.get()
    with pytest.raises(ValidationError):
        refunds.complete_refund(staff_jinxiu, refund, "")
    done = refunds.complete_refund(staff_jinxiu, refund, "BANK-9")
    assert (done.status, done.reference) == ("completed", "BANK-9")
    # Nothing is ever refunded beyond what was paid.
    from shequ.parking.services.errors import Conflict

    rest = refunds.request_refund(refund.order, 10**6, "goodwill")
    assert rest.amount_fen + refund.amount_fen == 30000
    with pytest.raises(Conflict):
        refunds.request_refund(refund.order, 1, "again")


def test_unknown_provider_is_a_field_error(
    make_resident: Any, make_application: Any, monthly: Product
) -> None:
    resident = make_resident()
    with pytest.raises(ValidationError) as info:
        passes.buy(resident, make_application(resident, ["浙A12345"]), monthly, provider="wechat")
    assert "provider" in info.value.message_dict
    assert not Order.objects.exists()
