"""Paying online through a provider: the demo cashier, signed notifications, late payments,
refunds through the provider, and the unhappy paths of the callback endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from parking.factories import logged_in
from shequ.core.models import AuditEvent, Role
from shequ.parking.models import (
    DemoTrade,
    Order,
    Pass,
    Payment,
    PaymentIntent,
    Product,
    Refund,
)
from shequ.parking.providers import (
    PROVIDERS,
    DemoProvider,
    PaymentRequest,
    ProviderError,
    demo_cashier,
    online_provider,
)
from shequ.parking.providers.demo_cashier import canonical, sign
from shequ.parking.services import callbacks, passes, payments, refunds
from shequ.parking.services.errors import Conflict

pytestmark = pytest.mark.django_db
CALLBACK = "/api/v1/parking/payments/callback/demo"
SECRET = "test-demo-secret"


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "demo"
    settings.PAYMENT_DEMO_SECRET = SECRET
    settings.PAYMENT_NOTIFY_BASE = ""


@pytest.fixture
def immediate() -> Iterator[None]:
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = False


@pytest.fixture
def resident(make_resident: Any) -> Any:
    return make_resident()


@pytest.fixture
def order(resident: Any, make_application: Any, monthly: Product) -> Order:
    return passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)


@pytest.fixture
def intent(resident: Any, order: Order) -> PaymentIntent:
    return payments.start_online(resident, order, site="http://testserver", return_url="/back/")


def body_for(intent: PaymentIntent, **changes: Any) -> dict[str, Any]:
    return {
        "event": "payment",
        "out_trade_no": intent.out_trade_no,
        "transaction_id": "DEMO-T1",
        "amount_fen": intent.amount_fen,
        "status": "SUCCESS",
        **changes,
    }


def post(data: dict[str, Any] | bytes, signature: str | None = "sign") -> Any:
    raw = data if isinstance(data, bytes) else canonical(data)
    headers = {}
    if signature == "sign":
        headers["HTTP_X_DEMO_SIGNATURE"] = sign(raw, SECRET)
    elif signature is not None:
        headers["HTTP_X_DEMO_SIGNATURE"] = signature
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        CALLBACK, raw, content_type="application/json", **headers
    )


def unchanged(order: Order) -> None:
    order.refresh_from_db()
    order.pass_obj.refresh_from_db()
    assert order.status == "pending" and order.pass_obj.status == "pending"
    assert not Payment.objects.exists() and not Refund.objects.exists()
    assert PaymentIntent.objects.get(order=order).answer is None


# The provider interface ---------------------------------------------------------------------


def test_the_registry_maps_kinds_to_classes_and_settings_pick_the_online_one(
    settings: Any,
) -> None:
    assert PROVIDERS["demo"] is DemoProvider and PROVIDERS["offline"].online is False
    assert isinstance(online_provider(), DemoProvider)
    settings.PAYMENT_PROVIDER = ""
    assert online_provider() is None
    settings.PAYMENT_PROVIDER = "offline"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="not an online payment provider"):
        online_provider()


def test_starting_online_is_idempotent_by_order(
    resident: Any, order: Order, intent: PaymentIntent
) -> None:
    assert intent.out_trade_no == f"{order.number}01" and intent.amount_fen == 30000
    trade = DemoTrade.objects.get()
    assert intent.redirect_url == f"/parking/pay/demo/{trade.token}/"
    assert trade.notify_url == "http://testserver" + CALLBACK
    again = payments.start_online(resident, order, site="http://testserver")
    assert again.pk == intent.pk and DemoTrade.objects.count() == 1
    assert AuditEvent.objects.filter(action="parking.payment.start").count() == 1


def test_the_provider_answers_create_query_and_refund_by_their_ids(intent: PaymentIntent) -> None:
    provider = DemoProvider()
    request = PaymentRequest(intent.out_trade_no, 30000, "x", "http://n", "/r")
    assert provider.create(request).provider_ref == intent.provider_ref
    with pytest.raises(ProviderError):  # one out_trade_no is never other terms
        provider.create(PaymentRequest(intent.out_trade_no, 1, "x", "http://n", "/r"))
    assert provider.query(intent.out_trade_no).status == "pending"
    demo_cashier.pay(DemoTrade.objects.get())
    assert provider.query(intent.out_trade_no).status == "paid"
    first = provider.refund(intent.out_trade_no, "R1", 10000, "partial")
    again = provider.refund(intent.out_trade_no, "R1", 10000, "partial")
    assert (first.status, again.amount_fen) == ("succeeded", 10000)
    provider.refund(intent.out_trade_no, "R2", 20000, "the rest")
    with pytest.raises(ProviderError, match="NOT_ENOUGH"):
        provider.refund(intent.out_trade_no, "R3", 1, "beyond")
    assert provider.query(intent.out_trade_no).refunded_fen == 30000


def test_online_payment_is_refused_when_off_lapsed_paid_or_not_yours(
    settings: Any, resident: Any, order: Order, make_resident: Any
) -> None:
    with pytest.raises(PermissionDenied):
        payments.start_online(make_resident(), order)
    settings.PAYMENT_PROVIDER = ""
    with pytest.raises(Conflict) as off:
        payments.start_online(resident, order)
    assert off.value.code == "no_online_payment"
    settings.PAYMENT_PROVIDER = "demo"
    Pass.objects.filter(pk=order.pass_obj_id).update(hold_until=timezone.now())
    with pytest.raises(Conflict) as lapsed:
        payments.start_online(resident, order)
    assert lapsed.value.code == "hold_lapsed"
    assert not PaymentIntent.objects.exists() and not DemoTrade.objects.exists()


# The resident pays at the demo cashier ------------------------------------------------------


def test_the_resident_pays_online_and_the_pass_is_active(resident: Any, order: Order) -> None:
    client = logged_in(resident)
    page = client.get(f"/parking/me/orders/{order.number}/")
    assert b'data-testid="pay-online"' in page.content and b"community office" in page.content
    started = client.post(f"/parking/me/orders/{order.number}/pay/")
    trade = DemoTrade.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/parking/pay/demo/{trade.token}/"
    cashier = Client(HTTP_ACCEPT_LANGUAGE="en").get(started["Location"])
    assert (
        cashier.status_code == 200 and b"300.00" in cashier.content and b"<svg" in cashier.content
    )
    paid = Client().post(f"/parking/pay/demo/{trade.token}/pay/")
    assert paid.status_code == 302 and paid["Location"].endswith(f"/me/orders/{order.number}/")
    order.refresh_from_db()
    order.pass_obj.refresh_from_db()
    assert (order.status, order.provider, order.pass_obj.status) == ("paid", "demo", "active")
    assert Payment.objects.get().provider == "demo"
    after = client.get(f"/parking/me/orders/{order.number}/")
    assert b'data-testid="order-paid"' in after.content and b"pay-online" not in after.content
    # Paying the same trade again (a double click) changes nothing.
    Client().post(f"/parking/pay/demo/{trade.token}/pay/")
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="parking.payment").count() == 1


def test_cancelling_at_the_cashier_keeps_the_order_payable(resident: Any, order: Order) -> None:
    first = payments.start_online(resident, order)
    trade = DemoTrade.objects.get()
    assert Client().post(f"/parking/pay/demo/{trade.token}/cancel/").status_code == 302
    first.refresh_from_db()
    order.refresh_from_db()
    assert (first.status, order.status) == ("closed", "pending")
    second = payments.start_online(resident, order)
    assert second.out_trade_no == f"{order.number}02" and second.pk != first.pk
    # A closed trade cannot be paid any more.
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/parking/pay/demo/{trade.token}/pay/")
    assert answer.status_code == 302 and Payment.objects.count() == 0
    assert Client().post(f"/parking/pay/demo/{trade.token}/steal/").status_code == 404


def test_no_pay_online_button_when_no_provider_is_configured(
    settings: Any, resident: Any, order: Order
) -> None:
    settings.PAYMENT_PROVIDER = ""
    page = logged_in(resident).get(f"/parking/me/orders/{order.number}/")
    assert b"pay-online" not in page.content and b"community office" in page.content


# The callback endpoint ----------------------------------------------------------------------


def test_a_signed_notification_pays_and_a_replay_gets_the_same_answer(
    order: Order, intent: PaymentIntent
) -> None:
    first = post(body_for(intent))
    assert first.status_code == 200, first.content
    assert first.json() == {
        "result": "ok",
        "out_trade_no": intent.out_trade_no,
        "order": order.number,
        "order_status": "paid",
        "pass_status": "active",
        "refund_fen": 0,
    }
    replay = post(body_for(intent))
    assert replay.status_code == 200 and replay.content == first.content
    assert Payment.objects.count() == 1 and not Refund.objects.exists()


@pytest.mark.parametrize(
    "signature", [None, "", "00" * 32, "zz", "other-secret", "signature-of-another-body"]
)
def test_a_forged_notification_is_403_and_changes_nothing(
    order: Order, intent: PaymentIntent, signature: str
) -> None:
    raw = canonical(body_for(intent))
    if signature == "other-secret":
        signature = sign(raw, "guess")
    elif signature == "signature-of-another-body":
        signature = sign(canonical(body_for(intent, amount_fen=1)), SECRET)
    answer = post(raw, signature)
    assert answer.status_code == 403 and "signature" in answer.json()["error"]["message"]
    unchanged(order)


def test_the_signature_covers_the_exact_bytes(order: Order, intent: PaymentIntent) -> None:
    raw = canonical(body_for(intent))
    spaced = json.dumps(body_for(intent), indent=1).encode()  # same JSON, other bytes
    assert post(spaced, sign(raw, SECRET)).status_code == 403
    unchanged(order)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_fen": None}, "amount_fen"),
        ({"amount_fen": "30000"}, "amount_fen"),
        ({"amount_fen": True}, "amount_fen"),
        ({"out_trade_no": ""}, "out_trade_no"),
        ({"status": "PAID?"}, "status"),
        ({"transaction_id": None}, "transaction_id"),
    ],
)
def test_a_malformed_notification_is_422_naming_the_field(
    order: Order, intent: PaymentIntent, change: dict[str, Any], field: str
) -> None:
    data = {k: v for k, v in body_for(intent, **change).items() if v is not None}
    answer = post(data)
    assert answer.status_code == 422, answer.content
    assert list(answer.json()["error"]["fields"]) == [field]
    assert field in answer.json()["error"]["message"]
    unchanged(order)


def test_a_body_that_is_not_json_is_422(order: Order, intent: PaymentIntent) -> None:
    for raw in (b"{not json", b"[1, 2]"):
        answer = post(raw)
        assert answer.status_code == 422 and "body" in answer.json()["error"]["fields"]
    unchanged(order)


def test_an_unknown_payment_is_404_and_a_wrong_amount_409(
    order: Order, intent: PaymentIntent
) -> None:
    assert post(body_for(intent, out_trade_no="P20990101NOPE01")).status_code == 404
    wrong = post(body_for(intent, amount_fen=1))
    assert wrong.status_code == 409 and "30000" in wrong.json()["error"]["message"]
    unchanged(order)
    # The same notification with the right amount still pays afterwards.
    assert post(body_for(intent)).json()["order_status"] == "paid"


def test_an_unknown_provider_is_404() -> None:
    answer = Client().post(
        "/api/v1/parking/payments/callback/wechatpay", b"{}", content_type="application/json"
    )
    assert answer.status_code == 404


def test_a_closed_trade_notification_leaves_the_order_pending(
    order: Order, intent: PaymentIntent
) -> None:
    answer = post(body_for(intent, status="CLOSED", transaction_id=""))
    assert answer.status_code == 200 and answer.json()["result"] == "closed"
    order.refresh_from_db()
    intent.refresh_from_db()
    assert (order.status, intent.status) == ("pending", "closed")


# Late payments: the 30-minute hold was released ---------------------------------------------


def _release_hold(order: Order) -> None:
    Pass.objects.filter(pk=order.pass_obj_id).update(
        hold_until=timezone.now() - timedelta(minutes=1)
    )


def test_a_payment_after_the_hold_was_released_is_refunded_through_the_provider(
    order: Order,
    intent: PaymentIntent,
    immediate: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    trade = DemoTrade.objects.get()
    _release_hold(order)
    assert passes.expire_passes() == 1  # the sweep cancelled the order and freed the space
    demo_cashier.pay(trade)
    body, headers = demo_cashier.notification(trade)
    with django_capture_on_commit_callbacks(execute=True):
        answer = callbacks.handle_notification("demo", body, headers)
    assert answer["pass_status"] == "cancelled" and answer["refund_fen"] == 30000
    refund = Refund.objects.get()
    assert (refund.status, refund.provider, refund.amount_fen) == ("completed", "demo", 30000)
    assert refund.reference == refund.refund_no == f"{order.number}R{refund.pk}"
    trade.refresh_from_db()
    assert trade.refunds == {refund.refund_no: 30000}
    assert AuditEvent.objects.filter(action="parking.refund.provider").count() == 1


def test_a_late_payment_still_activates_the_pass_while_its_space_is_free(
    order: Order, intent: PaymentIntent
) -> None:
    _release_hold(order)  # the sweep has not run yet, and nobody took the space
    answer = post(body_for(intent)).json()
    assert (answer["pass_status"], answer["refund_fen"]) == ("active", 0)


def test_a_late_payment_whose_space_was_sold_is_refunded(
    order: Order,
    intent: PaymentIntent,
    make_resident: Any,
    make_application: Any,
    monthly: Product,
    plan: Any,
    immediate: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _release_hold(order)
    plan.capacity = 1
    plan.save()
    other = make_resident()
    passes.buy(other, make_application(other, ["浙B00001"]), monthly)  # takes the last space
    trade = demo_cashier.pay(DemoTrade.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(body_for(intent, transaction_id=trade.transaction_id)).json()
    assert (answer["pass_status"], answer["refund_fen"]) == ("cancelled", 30000)
    assert Refund.objects.get().status == "completed"


# Refunds by staff ---------------------------------------------------------------------------


@pytest.fixture
def paid(order: Order, intent: PaymentIntent) -> Order:
    trade = demo_cashier.pay(DemoTrade.objects.get())
    assert post(body_for(intent, transaction_id=trade.transaction_id)).status_code == 200
    order.refresh_from_db()
    return order


def test_staff_refund_part_of_an_online_payment_through_the_provider(
    paid: Order, staff_jinxiu: Any, make_user: Any
) -> None:
    outsider = make_user(Role.COMMUNITY_STAFF, "990103001001")
    with pytest.raises(PermissionDenied):
        refunds.staff_refund(outsider, paid, amount_fen=100, reason="goodwill")
    with pytest.raises(ValidationError) as info:
        refunds.staff_refund(staff_jinxiu, paid, amount_fen=100, reason=" ")
    assert "reason" in info.value.message_dict
    first = refunds.staff_refund(staff_jinxiu, paid, amount_fen=10000, reason="one month unused")
    assert (first.status, first.completed_by, first.provider) == ("completed", staff_jinxiu, "demo")
    again = refunds.issue_refund(first, staff_jinxiu)  # idempotent by refund id
    assert again.status == "completed"
    rest = refunds.staff_refund(staff_jinxiu, paid, amount_fen=10**6, reason="all of it")
    assert rest.amount_fen == 20000  # never more than was paid
    with pytest.raises(Conflict):
        refunds.staff_refund(staff_jinxiu, paid, amount_fen=1, reason="again")
    assert DemoTrade.objects.get().refunds == {first.refund_no: 10000, rest.refund_no: 20000}
    events = AuditEvent.objects.filter(action="parking.refund.provider")
    assert events.count() == 2 and {e.actor_id for e in events} == {staff_jinxiu.pk}


def test_a_refund_the_provider_refuses_stays_requested_for_staff(
    paid: Order, staff_jinxiu: Any
) -> None:
    trade = DemoTrade.objects.get()
    trade.refunds = {"ELSEWHERE": 30000}  # refunded outside shequ: nothing left at the provider
    trade.save()
    refund = refunds.request_refund(paid, 5000, "cancelled")
    with pytest.raises(Conflict) as info:
        refunds.refund_online(staff_jinxiu, refund)
    assert info.value.code == "provider_refused"
    refund.refresh_from_db()
    assert refund.status == "requested"
    done = refunds.complete_refund(staff_jinxiu, refund, "BANK-1")  # paid back by transfer
    assert done.status == "completed"


def test_staff_refund_from_the_payments_page(paid: Order, staff_jinxiu: Any, resident: Any) -> None:
    path = f"/parking/staff/orders/{paid.number}/refund/"
    form = {f"r{paid.number}-amount_yuan": "50.00", f"r{paid.number}-reason": "goodwill"}
    page = logged_in(staff_jinxiu).get(f"/parking/staff/orders/?q={paid.number}")
    assert b'data-testid="refund-form"' in page.content
    assert logged_in(resident).post(path, form).status_code == 403
    answer = logged_in(staff_jinxiu).post(path, form, follow=True)
    assert answer.status_code == 200 and b"refunded through the payment service" in answer.content
    assert Refund.objects.get().amount_fen == 5000
    bad = logged_in(staff_jinxiu).post(path, {f"r{paid.number}-reason": "x"}, follow=True)
    assert b"Give the amount" in bad.content and Refund.objects.count() == 1


def test_staff_send_a_requested_refund_through_the_provider_from_the_refunds_page(
    paid: Order, staff_jinxiu: Any
) -> None:
    passes.cancel(paid.resident, paid.pass_obj)  # the rule owes the whole amount back
    refund = Refund.objects.get()
    assert refund.provider == "demo" and refund.status == "requested"
    page = logged_in(staff_jinxiu).get("/parking/staff/refunds/")
    assert b'data-testid="refund-provider"' in page.content
    logged_in(staff_jinxiu).post(f"/parking/staff/refunds/{refund.pk}/provider/")
    refund.refresh_from_db()
    assert refund.status == "completed" and refund.completed_by == staff_jinxiu


# A lost notification ------------------------------------------------------------------------


def test_querying_the_provider_applies_a_payment_whose_notification_was_lost(
    order: Order, intent: PaymentIntent
) -> None:
    demo_cashier.pay(DemoTrade.objects.get())  # paid, but the notification never arrived
    callbacks.sync_online(order)
    order.refresh_from_db()
    assert order.status == "paid" and Payment.objects.count() == 1
    # The notification arriving after all is answered as the query's result was.
    assert post(body_for(intent, transaction_id=Payment.objects.get().transaction_id)).json()[
        "order_status"
    ] == ("paid")
    assert Payment.objects.count() == 1


def test_the_api_starts_an_online_payment_for_my_order_only(
    resident: Any, order: Order, make_resident: Any
) -> None:
    path = f"/api/v1/parking/orders/{order.number}/pay-online"
    client = Client(enforce_csrf_checks=False)
    client.force_login(resident)
    mine = client.post(path)
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert body["out_trade_no"] == f"{order.number}01" and body["amount_fen"] == 30000
    assert body["redirect_url"].startswith("http://testserver/parking/pay/demo/")
    other = Client()
    other.force_login(make_resident())
    assert other.post(path).status_code == 404
    assert client.post(path).json()["out_trade_no"] == body["out_trade_no"]


def test_the_hold_sweep_asks_the_provider_before_releasing_an_order_paid_online(
    order: Order, intent: PaymentIntent, resident: Any, make_application: Any, monthly: Product
) -> None:
    from shequ.parking.jobs import expire_holds_and_offers

    other = passes.buy(resident, make_application(resident, ["浙A99999"]), monthly)
    payments.start_online(resident, other)
    demo_cashier.pay(DemoTrade.objects.get(out_trade_no=intent.out_trade_no))  # notice lost
    _release_hold(order)
    _release_hold(other)
    expire_holds_and_offers.call_local()
    order.refresh_from_db()
    other.refresh_from_db()
    assert (order.status, order.pass_obj.status) == ("paid", "active")
    assert other.status == "cancelled"  # opened a payment but never paid: released


def test_the_callback_needs_no_csrf_token(order: Order, intent: PaymentIntent) -> None:
    raw = canonical(body_for(intent))
    answer = Client(enforce_csrf_checks=True).post(
        CALLBACK, raw, content_type="application/json", HTTP_X_DEMO_SIGNATURE=sign(raw, SECRET)
    )
    assert answer.status_code == 200, answer.content


def test_a_refund_notification_completes_a_processing_refund_once(
    paid: Order, staff_jinxiu: Any
) -> None:
    refund = refunds.request_refund(paid, 5000, "cancelled")
    Refund.objects.filter(pk=refund.pk).update(status="processing", refund_no="RN-1")
    note = {
        "event": "refund",
        "out_trade_no": PaymentIntent.objects.get().out_trade_no,
        "refund_no": "RN-1",
        "amount_fen": 5000,
        "status": "SUCCESS",
    }
    assert post({**note, "amount_fen": 4999}).status_code == 409
    assert post({**note, "refund_no": "RN-404"}).status_code == 404
    assert list(post({**note, "status": "DONE?"}).json()["error"]["fields"]) == ["status"]
    assert Refund.objects.get().status == "processing"
    first = post(note)
    assert first.status_code == 200 and first.json()["refund_status"] == "completed"
    assert post(note).content == first.content
    assert AuditEvent.objects.filter(action="parking.refund.provider_done").count() == 1


def test_a_failed_refund_notification_hands_the_refund_back_to_staff(paid: Order) -> None:
    refund = refunds.request_refund(paid, 5000, "cancelled")
    Refund.objects.filter(pk=refund.pk).update(status="processing", refund_no="RN-2")
    out_trade_no = PaymentIntent.objects.get().out_trade_no
    note = {"event": "refund", "out_trade_no": out_trade_no, "refund_no": "RN-2"}
    answer = post({**note, "amount_fen": 5000, "status": "ABNORMAL"})
    assert answer.json()["refund_status"] == "requested"


def test_a_wrong_provider_setting_fails_the_system_check_and_pages_still_work(
    settings: Any, resident: Any, order: Order
) -> None:
    from shequ.parking.apps import check_payment_provider

    assert check_payment_provider() == []
    settings.PAYMENT_PROVIDER = "wechatpay"  # not registered here
    assert [e.id for e in check_payment_provider()] == ["parking.E001"]
    page = logged_in(resident).get(f"/parking/me/orders/{order.number}/")
    assert page.status_code == 200 and b"pay-online" not in page.content
    with pytest.raises(Conflict):
        payments.start_online(resident, order)
