"""The resident's pages: QR landing, apply, choose, buy, waiting list, the pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from parking.factories import logged_in, write_hub_data
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
from shequ.parking.services import passes, payments
from shequ.parking.services.errors import Conflict

pytestmark = pytest.mark.django_db

PHONE = "13900001111"
PLATE = "浙A12345"


@pytest.fixture
def hub(regions: dict[str, Any], tmp_path: Path) -> None:
    write_hub_data(regions, tmp_path, PHONE, [PLATE])


@pytest.fixture
def owner(make_resident: Any) -> Any:
    return make_resident(phone=PHONE)


def apply_as(client: Client, plate: str = PLATE, **extra: str) -> Any:
    data = {"plate1": plate, "plate2": "", "priority_group": "no_space"} | extra
    return client.post("/parking/e/jinxiu/apply/", data)


def test_the_estate_qr_code_leads_to_its_offer(estate: Estate, monthly: Product) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/parking/e/jinxiu/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "锦绣花园" in text and "望湖大厦地下车库" in text
    assert "m walk" in text and "300.00" in text and "2 spaces free" in text
    assert "/parking/login/?next=%2Fparking%2Fe%2Fjinxiu%2Fapply%2F&amp;estate=jinxiu" in text


def test_the_garage_qr_code_leads_to_its_prices(monthly: Product) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/parking/g/G01/")
    assert page.status_code == 200
    assert "300.00" in page.content.decode()


def test_data_verified_resident_applies_buys_and_gets_the_pass(
    hub: None, owner: Any, monthly: Product, staff_jinxiu: Any
) -> None:
    client = logged_in(owner)
    answer = apply_as(client, "浙a·12345")
    app = Application.objects.get()
    assert answer["Location"] == f"/parking/me/applications/{app.pk}/"
    assert app.status == Application.Status.VERIFIED
    page = client.get(answer["Location"]).content.decode()
    assert "confirmed by the records" in page and PLATE in page and 'data-testid="buy"' in page
    bought = client.post(f"/parking/me/applications/{app.pk}/buy/", {"product": monthly.pk})
    order = Order.objects.get()
    assert bought["Location"] == f"/parking/me/orders/{order.number}/"
    page = client.get(bought["Location"]).content.decode()
    assert "community office" in page and order.number in page and "300.00" in page
    staff = logged_in(staff_jinxiu)
    listed = staff.get("/parking/staff/orders/").content.decode()
    assert order.number in listed and "浙A12345" not in listed  # staff see masked data
    confirmed = staff.post(
        f"/parking/staff/orders/{order.number}/confirm/",
        {f"{order.number}-reference": "CASH-0001", f"{order.number}-amount_yuan": "300.00"},
    )
    assert confirmed.status_code == 302
    pass_obj = Pass.objects.get()
    assert pass_obj.status == Pass.Status.ACTIVE
    page = client.get(f"/parking/me/passes/{pass_obj.pk}/").content.decode()
    assert 'data-testid="pass-status">Active' in page and PLATE in page


def test_a_bad_plate_is_refused_next_to_its_field(owner: Any, monthly: Product) -> None:
    answer = apply_as(logged_in(owner), "ABC")
    assert answer.status_code == 200
    assert 'data-testid="error-plate1"' in answer.content.decode() or (
        'data-testid="apply-error"' in answer.content.decode()
    )
    assert not Application.objects.exists()


def test_applying_twice_leads_to_the_open_application(owner: Any, monthly: Product) -> None:
    client = logged_in(owner)
    first = apply_as(client)
    second = apply_as(client)
    assert Application.objects.count() == 1
    assert second["Location"] == first["Location"]


def test_without_a_data_match_the_resident_sends_proof_and_staff_approve(
    owner: Any, monthly: Product, staff_jinxiu: Any
) -> None:
    client = logged_in(owner)
    apply_as(client)
    app = Application.objects.get()
    assert app.status == Application.Status.NEEDS_PROOF
    url = f"/parking/me/applications/{app.pk}/"
    assert 'data-testid="proof-form"' in client.get(url).content.decode()
    assert 'data-testid="buy"' not in client.get(url).content.decode()
    client.post(url, {"note": "租赁合同 3-2-501，至2026年", "reference": "HT-2024-88"})
    app.refresh_from_db()
    assert app.status == Application.Status.IN_REVIEW
    staff = logged_in(staff_jinxiu)
    assert (
        f"/parking/staff/applications/{app.pk}/"
        in staff.get("/parking/staff/applications/").content.decode()
    )
    refused = staff.post(f"/parking/staff/applications/{app.pk}/", {"action": "reject"})
    assert 'data-testid="error-note"' in refused.content.decode()  # a rejection needs a reason
    staff.post(f"/parking/staff/applications/{app.pk}/", {"action": "approve", "note": ""})
    app.refresh_from_db()
    assert app.status == Application.Status.APPROVED
    assert 'data-testid="buy"' in client.get(url).content.decode()


def test_a_double_submitted_purchase_makes_one_order(
    owner: Any, make_application: Any, monthly: Product
) -> None:
    app = make_application(owner, [PLATE])
    client = logged_in(owner)
    first = client.post(f"/parking/me/applications/{app.pk}/buy/", {"product": monthly.pk})
    second = client.post(f"/parking/me/applications/{app.pk}/buy/", {"product": monthly.pk})
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_full_garage_offers_the_waiting_list(
    owner: Any, make_application: Any, monthly: Product, sell: Any
) -> None:
    sell(["浙B11111"])
    sell(["浙B22222"])  # the plan's 2 spaces are sold
    app = make_application(owner, [PLATE])
    client = logged_in(owner)
    url = f"/parking/me/applications/{app.pk}/"
    page = client.get(url).content.decode()
    assert 'data-testid="join-waiting"' in page and 'data-testid="buy"' not in page
    refused = client.post(f"{url}buy/", {"product": monthly.pk}, follow=True)
    assert "join the waiting list" in refused.content.decode()
    client.post(f"{url}wait/", {"garage": monthly.garage_id, "plan_code": "night"})
    client.post(f"{url}wait/", {"garage": monthly.garage_id, "plan_code": "night"})
    entry = WaitingListEntry.objects.get()
    assert entry.rank == 1
    assert "On the waiting list: no. 1" in client.get(url).content.decode()


def test_cancelling_a_paid_pass_shows_the_refund(owner: Any, sell: Any) -> None:
    pass_obj = sell([PLATE], resident=owner)
    client = logged_in(owner)
    page = client.get(f"/parking/me/passes/{pass_obj.pk}/").content.decode()
    assert "Refund unused days" in page
    client.post(f"/parking/me/passes/{pass_obj.pk}/cancel/", {"reason": "moving"})
    pass_obj.refresh_from_db()
    assert pass_obj.status == Pass.Status.CANCELLED
    assert (
        'data-testid="refund"' in client.get(f"/parking/me/passes/{pass_obj.pk}/").content.decode()
    )


def test_a_pass_ending_within_a_week_asks_to_be_renewed(owner: Any, sell: Any) -> None:
    from datetime import timedelta

    from shequ.parking.services import periods

    pass_obj = sell([PLATE], resident=owner)
    Pass.objects.filter(pk=pass_obj.pk).update(ends_on=periods.today() + timedelta(days=5))
    client = logged_in(owner)
    assert 'data-testid="renew-reminder"' in client.get("/parking/me/").content.decode()
    renewed = client.post(f"/parking/me/passes/{pass_obj.pk}/renew/")
    assert renewed["Location"].startswith("/parking/me/orders/")
    assert Pass.objects.filter(renews=pass_obj).count() == 1


@pytest.fixture
def others(make_resident: Any, make_application: Any, sell: Any) -> dict[str, Any]:
    """Another resident's application, order, pass and waiting list entry."""
    other = make_resident()
    pass_obj = sell(["浙C99999"], resident=other)
    app = pass_obj.application
    entry = WaitingListEntry.objects.create(
        application=app, garage=pass_obj.garage, plan_code="night", rank=1
    )
    return {"app": app, "pass": pass_obj, "order": pass_obj.order, "entry": entry}


def test_a_resident_never_sees_another_residents_things(owner: Any, others: dict[str, Any]) -> None:
    client = logged_in(owner)
    app, pass_obj, order = others["app"], others["pass"], others["order"]
    gets = [
        f"/parking/me/applications/{app.pk}/",
        f"/parking/me/orders/{order.number}/",
        f"/parking/me/passes/{pass_obj.pk}/",
    ]
    posts = [
        f"/parking/me/applications/{app.pk}/buy/",
        f"/parking/me/applications/{app.pk}/wait/",
        f"/parking/me/applications/{app.pk}/withdraw/",
        f"/parking/me/passes/{pass_obj.pk}/renew/",
        f"/parking/me/passes/{pass_obj.pk}/cancel/",
        f"/parking/me/waiting/{others['entry'].pk}/leave/",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"product": pass_obj.product_id}).status_code == 404, url
    page = client.get("/parking/me/").content.decode()
    assert "浙C" not in page
    pass_obj.refresh_from_db()
    assert pass_obj.status == Pass.Status.ACTIVE
    assert WaitingListEntry.objects.get().status == "waiting"


def test_no_plan_running_means_nothing_on_offer(estate: Estate, garage: Garage) -> None:
    SharingPlan.objects.create(
        garage=garage, code="night", name="夜间", capacity=2, hours="24/7", valid_from="2999-01-01"
    )
    Product.objects.create(garage=garage, plan_code="night", kind="monthly", price_fen=100)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/parking/e/jinxiu/").content.decode()
    assert 'data-testid="no-offers"' in page


def test_buying_needs_an_approved_application(
    owner: Any, make_application: Any, monthly: Product
) -> None:
    app = make_application(owner, [PLATE], status="needs_proof")
    answer = logged_in(owner).post(
        f"/parking/me/applications/{app.pk}/buy/", {"product": monthly.pk}, follow=True
    )
    assert "not approved yet" in answer.content.decode()
    assert not Order.objects.exists()
    assert payments.PROVIDERS and passes.HOLD_MINUTES  # the services the pages call


def test_a_resident_with_an_active_pass_is_offered_no_buy_button_that_would_fail(
    owner: Any, sell: Any, garage: Garage, monthly: Product
) -> None:
    """Every Buy button shown must be one ``passes.buy`` accepts (issue 13: 15 failing buttons)."""
    quarterly = Product.objects.create(
        garage=garage, plan_code="night", kind="quarterly", price_fen=80000
    )
    pass_obj = sell([PLATE], resident=owner)
    app = pass_obj.application
    page = logged_in(owner).get(f"/parking/me/applications/{app.pk}/").content.decode()
    assert 'data-testid="buy"' not in page and 'data-testid="join-waiting"' not in page
    assert 'data-testid="plates-held"' in page and f"{pass_obj.ends_on:%Y-%m-%d}" in page
    for product in (monthly, quarterly):  # what the page no longer offers indeed fails
        with pytest.raises(Conflict):
            passes.buy(owner, app, product)


def test_every_buy_button_shown_succeeds(
    owner: Any, make_application: Any, monthly: Product
) -> None:
    app = make_application(owner, [PLATE])
    client = logged_in(owner)
    page = client.get(f"/parking/me/applications/{app.pk}/").content.decode()
    assert page.count('data-testid="buy"') == 1
    bought = client.post(f"/parking/me/applications/{app.pk}/buy/", {"product": monthly.pk})
    assert bought["Location"].startswith("/parking/me/orders/")


def test_an_approved_application_shows_no_open_question_in_its_data_check(
    owner: Any, make_application: Any, monthly: Product
) -> None:
    app = make_application(owner, [PLATE], status="approved")
    app.verification = {"residence": "unavailable", "plates": {"浙A***45": "no_match"}}
    app.save(update_fields=["verification"])
    page = logged_in(owner).get(f"/parking/me/applications/{app.pk}/").content.decode()
    checks = page.split('data-testid="checks"')[1].split("</ul>")[0]
    assert "?" not in checks and "✗" not in checks and "records unavailable" not in checks
    assert checks.count("confirmed by community staff") == 2


def test_the_garage_choice_has_a_map_drawn_from_the_estates_own_geometry(
    owner: Any, make_application: Any, monthly: Product
) -> None:
    import json
    import re

    app = make_application(owner, [PLATE])
    html = logged_in(owner).get(f"/parking/me/applications/{app.pk}/").content.decode()
    assert 'data-map data-source="offer-map"' in html and "data-tiles" not in html
    found = re.search(r'<script id="offer-map" type="application/json">(.*?)</script>', html)
    assert found
    kinds = [f["properties"]["kind"] for f in json.loads(found.group(1))["features"]]
    assert kinds == ["reach", "estate", "garage"]
    assert "web/map.js" in html and "vendor/leaflet/leaflet.js" in html
    # No inline code: every script is a file or JSON data.
    assert not re.search(r"<script(?![^>]*(src=|application/json))[^>]*>", html)
