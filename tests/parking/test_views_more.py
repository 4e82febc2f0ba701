"""Operator and staff pages added later: tenant plates, public holidays, estates, reveals, and
the resident's order page that follows its payment.

Each page is tried from a matrix of people: its own operator or staff, the operator of another
garage, staff of another region, a resident and a stranger.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from views_support import GARAGE_PAGES, STAFF_PAGES, client_of, logged_in

from shequ.core import pii
from shequ.core.models import AuditEvent, Role
from shequ.parking.models import (
    Estate,
    Garage,
    GateEvent,
    Order,
    Pass,
    Presence,
    Product,
    PublicHoliday,
    TenantPlate,
)
from shequ.parking.services import garages as garage_svc
from shequ.parking.services import passes, payments, periods, plates

pytestmark = pytest.mark.django_db

HOME = "990102001001"
ELSEWHERE = "990103001001"


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# The order page follows its payment ----------------------------------------------------------


@pytest.fixture
def pending(make_resident: Any, make_application: Any, monthly: Product) -> Order:
    resident = make_resident()
    return passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)


def test_a_pending_order_polls_until_paid_then_shows_the_pass(
    pending: Order, staff_jinxiu: Any
) -> None:
    client = logged_in(pending.resident)
    page = client.get(f"/parking/me/orders/{pending.number}/").content.decode()
    live_url = f"/parking/me/orders/{pending.number}/live/"
    assert f'hx-get="{live_url}"' in page and 'hx-trigger="every 3s"' in page
    assert "Mon–Fri 18:30–08:00 next day" in page  # the hours in words
    still = client.get(live_url)
    assert still.status_code == 200 and still["Cache-Control"] == "no-store"
    body = still.content.decode()
    assert "<html" not in body and 'data-testid="pay-instructions"' in body
    assert 'hx-get="' in body  # keeps polling
    payments.confirm_offline(
        staff_jinxiu, pending, reference="CASH-1", amount_fen=pending.amount_fen
    )
    paid = client.get(live_url).content.decode()
    assert 'data-testid="order-paid"' in paid and 'data-testid="see-pass"' in paid
    assert "hx-get" not in paid and "hx-trigger" not in paid  # final: polling stops


def test_a_cancelled_order_stops_polling(pending: Order) -> None:
    Order.objects.filter(pk=pending.pk).update(status=Order.Status.CANCELLED)
    body = logged_in(pending.resident).get(f"/parking/me/orders/{pending.number}/live/")
    assert "hx-trigger" not in body.content.decode()


def test_another_residents_order_state_is_not_found(pending: Order, make_resident: Any) -> None:
    other = logged_in(make_resident())
    assert other.get(f"/parking/me/orders/{pending.number}/live/").status_code == 404
    stranger = Client().get(f"/parking/me/orders/{pending.number}/live/")
    assert stranger.status_code == 302 and "/parking/login/" in stranger["Location"]


def test_operators_see_the_hours_in_words_beside_the_raw_form(
    operator: Any, garage: Garage, monthly: Product
) -> None:
    page = logged_in(operator).get(f"/parking/operator/{garage.pk}/plans/").content.decode()
    assert "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00" in page
    assert "Sat, Sun and public holidays all day" in page


def test_the_offer_shows_the_hours_in_chinese_by_default(estate: Estate, monthly: Product) -> None:
    page = Client().get(f"/parking/e/{estate.slug}/").content.decode()
    assert "周一至周五 18:30–次日 08:00；周六、周日及法定节假日 全天" in page


# Tenant plates -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", list(GARAGE_PAGES))
def test_tenant_plates_open_to_the_garages_managers_only(
    people: dict[str, Any], garage: Garage, who: str
) -> None:
    client = client_of(people[who])
    url = f"/parking/operator/{garage.pk}/tenants/"
    assert client.get(url).status_code == GARAGE_PAGES[who]
    added = client.post(url, {"plate": "浙A 8888 8"})
    assert added.status_code == (302 if GARAGE_PAGES[who] == 200 else GARAGE_PAGES[who])
    assert TenantPlate.objects.exists() == (GARAGE_PAGES[who] == 200)


def test_an_operator_adds_and_removes_a_tenant_plate(operator: Any, garage: Garage) -> None:
    client = logged_in(operator)
    url = f"/parking/operator/{garage.pk}/tenants/"
    assert client.post(url, {"plate": "浙a·88888"})["Location"] == url
    tenant = TenantPlate.objects.get()
    assert tenant.plate_hash == plates.plate_hash("浙A88888")
    page = client.get(url).content.decode()
    assert "浙A***88" in page and "浙A88888" not in page
    client.post(url, {"plate": "浙A88888"})  # the same plate again: still one
    assert TenantPlate.objects.count() == 1
    assert len(audits("parking.tenant.add")) == 1
    removed = client.post(f"/parking/operator/tenants/{tenant.pk}/remove/")
    assert removed.status_code == 302 and not TenantPlate.objects.exists()
    (event,) = audits("parking.tenant.remove")
    assert event.details["plate"] == "浙A***88" and event.region_code == HOME


@pytest.mark.parametrize("plate", ["", "12345", "浙A1"])
def test_a_bad_tenant_plate_is_refused_next_to_its_field(
    operator: Any, garage: Garage, plate: str
) -> None:
    answer = logged_in(operator).post(f"/parking/operator/{garage.pk}/tenants/", {"plate": plate})
    assert answer.status_code == 200 and 'data-testid="error-plate"' in answer.content.decode()
    assert not TenantPlate.objects.exists()


@pytest.mark.parametrize("who", ["other_operator", "staff_elsewhere", "resident"])
def test_only_the_garages_managers_remove_a_tenant_plate(
    people: dict[str, Any], operator: Any, garage: Garage, who: str
) -> None:
    tenant = garage_svc.add_tenant_plate(operator, garage, "浙A88888")
    answer = logged_in(people[who]).post(f"/parking/operator/tenants/{tenant.pk}/remove/")
    assert answer.status_code == 403 and TenantPlate.objects.filter(pk=tenant.pk).exists()


# Public holidays -----------------------------------------------------------------------------


def _future(days: int = 30) -> str:
    return (periods.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("who", list(STAFF_PAGES))
def test_the_holiday_page_opens_to_staff_only(people: dict[str, Any], who: str) -> None:
    assert client_of(people[who]).get("/parking/staff/holidays/").status_code == STAFF_PAGES[who]


def test_staff_add_and_remove_a_holiday_of_their_region(staff_jinxiu: Any) -> None:
    client = logged_in(staff_jinxiu)
    added = client.post(
        "/parking/staff/holidays/", {"day": _future(), "name": "社区日", "region": HOME}
    )
    assert added.status_code == 302
    holiday = PublicHoliday.objects.get()
    assert holiday.region is not None and holiday.region.code == HOME
    assert "社区日" in client.get("/parking/staff/holidays/").content.decode()
    assert audits("parking.holiday.set")[0].region_code == HOME
    assert client.post(f"/parking/staff/holidays/{holiday.pk}/remove/").status_code == 302
    assert not PublicHoliday.objects.exists() and audits("parking.holiday.remove")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"day": "", "region": HOME}, "day"),
        ({"day": "2020-01-01", "region": HOME}, "day"),  # passed
        ({"day": "not a date", "region": HOME}, "day"),
        ({"region": "nationwide"}, "region"),  # platform administrators only
        ({"region": ELSEWHERE}, "region"),  # not this staff's region
    ],
)
def test_a_bad_holiday_names_the_field(staff_jinxiu: Any, form: dict[str, str], field: str) -> None:
    data = {"day": _future(), "name": "x"} | form
    answer = logged_in(staff_jinxiu).post("/parking/staff/holidays/", data)
    assert answer.status_code == 200
    assert f'data-testid="error-{field}"' in answer.content.decode()
    assert not PublicHoliday.objects.exists()


def test_platform_administrators_set_nationwide_holidays(make_user: Any, staff_jinxiu: Any) -> None:
    admin = make_user(Role.PLATFORM_ADMIN, "990000000000", username="admin")
    answer = logged_in(admin).post(
        "/parking/staff/holidays/", {"day": _future(), "name": "国庆节", "region": "nationwide"}
    )
    assert answer.status_code == 302
    holiday = PublicHoliday.objects.get(region__isnull=True)
    page = logged_in(staff_jinxiu).get("/parking/staff/holidays/").content.decode()
    assert "国庆节" in page and 'data-testid="holiday-remove"' not in page  # seen, not removable
    denied = logged_in(staff_jinxiu).post(f"/parking/staff/holidays/{holiday.pk}/remove/")
    assert denied.status_code == 403 and PublicHoliday.objects.exists()


def test_staff_elsewhere_neither_see_nor_remove_another_regions_holiday(
    people: dict[str, Any],
) -> None:
    logged_in(people["staff"]).post(
        "/parking/staff/holidays/", {"day": _future(), "name": "社区日", "region": HOME}
    )
    holiday = PublicHoliday.objects.get()
    other = logged_in(people["staff_elsewhere"])
    assert "社区日" not in other.get("/parking/staff/holidays/").content.decode()
    assert other.post(f"/parking/staff/holidays/{holiday.pk}/remove/").status_code == 404
    assert PublicHoliday.objects.exists()


# Estates -------------------------------------------------------------------------------------

ESTATE = {
    "region": HOME,
    "code": "E002",
    "name": "和园小区",
    "slug": "heyuan",
    "lat": "30.2750",
    "lon": "120.1560",
    "shortfall": "120",
}


@pytest.mark.parametrize("who", list(STAFF_PAGES))
def test_the_estate_pages_open_to_staff_only(people: dict[str, Any], who: str) -> None:
    client = client_of(people[who])
    for url in ("/parking/staff/estates/", "/parking/staff/estates/new/"):
        assert client.get(url).status_code == STAFF_PAGES[who], url


def test_staff_create_and_edit_an_estate(staff_jinxiu: Any, estate: Estate) -> None:
    client = logged_in(staff_jinxiu)
    created = client.post("/parking/staff/estates/new/", ESTATE)
    assert created["Location"] == "/parking/staff/estates/"
    made = Estate.objects.get(code="E002")
    assert (made.slug, made.spaces_shortfall, made.region.code) == ("heyuan", 120, HOME)
    assert audits("parking.estate.create")[0].object_id == str(made.pk)
    edit = {k: v for k, v in ESTATE.items() if k not in ("region", "code")}
    saved = client.post(f"/parking/staff/estates/{made.pk}/", edit | {"name": "和园新村"})
    assert saved.status_code == 302
    made.refresh_from_db()
    assert made.name == "和园新村" and made.code == "E002"
    (event,) = audits("parking.estate.update")
    assert event.details["fields"] == ["name"]
    assert "和园新村" in client.get("/parking/staff/estates/").content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": "91"}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"name": ""}, "name"),
        ({"code": "E001"}, "code"),  # taken
        ({"slug": "jinxiu"}, "slug"),  # taken
        ({"slug": "!!!"}, "slug"),
        ({"shortfall": "-3"}, "shortfall"),
        ({"region": ELSEWHERE}, "region"),  # not this staff's region
    ],
)
def test_a_bad_estate_names_the_field_and_saves_nothing(
    staff_jinxiu: Any, estate: Estate, change: dict[str, str], field: str
) -> None:
    answer = logged_in(staff_jinxiu).post("/parking/staff/estates/new/", ESTATE | change)
    assert answer.status_code == 200
    assert f'data-testid="error-{field}"' in answer.content.decode()
    assert Estate.objects.count() == 1 and not audits("parking.estate.create")


def test_an_edit_may_not_take_another_estates_slug(staff_jinxiu: Any, estate: Estate) -> None:
    client = logged_in(staff_jinxiu)
    client.post("/parking/staff/estates/new/", ESTATE)
    made = Estate.objects.get(code="E002")
    edit = {k: v for k, v in ESTATE.items() if k not in ("region", "code")}
    answer = client.post(f"/parking/staff/estates/{made.pk}/", edit | {"slug": "jinxiu"})
    assert 'data-testid="error-slug"' in answer.content.decode()
    made.refresh_from_db()
    assert made.slug == "heyuan"


@pytest.mark.parametrize(
    ("who", "status"),
    [("staff", 200), ("street_staff", 200), ("staff_elsewhere", 404), ("operator", 403)],
)
def test_an_estate_is_edited_by_staff_of_its_region_only(
    people: dict[str, Any], estate: Estate, who: str, status: int
) -> None:
    client = logged_in(people[who])
    assert client.get(f"/parking/staff/estates/{estate.pk}/").status_code == status
    listed = client.get("/parking/staff/estates/")
    if listed.status_code == 200:
        assert ("锦绣花园" in listed.content.decode()) == (status == 200)


# Revealing a clear plate ---------------------------------------------------------------------


def _event(garage: Garage, plate: str, n: int = 1) -> GateEvent:
    stored = plates.protect(plate)
    return GateEvent.objects.create(
        garage=garage,
        event_id=f"N1-{n:06d}",
        gate="north",
        direction="in",
        plate_enc=stored.enc,
        plate_masked=stored.masked,
        plate_hash=stored.hash,
        at=timezone.now(),
        confidence=0.97,
        decision="visitor",
        open=True,
        display="",
    )


# who -> may see a clear plate of this garage: whoever may open its operator pages (its
# operators; staff of the region, who have PII rights)
REVEAL = GARAGE_PAGES


@pytest.mark.parametrize("who", list(REVEAL))
def test_a_clear_plate_is_revealed_to_the_garages_managers_only(
    people: dict[str, Any], garage: Garage, who: str
) -> None:
    event = _event(garage, "浙A12345")
    client = client_of(people[who])
    url = f"/parking/operator/reveal/event/{event.pk}/"
    asked = client.get(url)
    assert asked.status_code == REVEAL[who]
    answer = client.post(url, {"reason": "居民申诉"})
    assert answer.status_code == REVEAL[who]
    shown = "浙A12345" in answer.content.decode()
    assert shown == (REVEAL[who] == 200)
    assert len(audits("parking.event.reveal")) == (1 if shown else 0)


def test_a_reveal_needs_a_reason_and_is_audited(operator: Any, garage: Garage) -> None:
    event = _event(garage, "浙A12345")
    client = logged_in(operator)
    url = f"/parking/operator/reveal/event/{event.pk}/"
    page = client.get(url).content.decode()
    assert "浙A***45" in page and "浙A12345" not in page
    empty = client.post(url, {"reason": "  "}).content.decode()
    assert 'data-testid="error-reason"' in empty and "浙A12345" not in empty
    assert not audits("parking.event.reveal")
    shown = client.post(url, {"reason": "resident disputes a charge"})
    assert 'data-testid="clear-plate"' in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    (audit,) = audits("parking.event.reveal")
    assert audit.actor == operator and audit.region_code == HOME
    assert audit.details == {"reason": "resident disputes a charge", "garage": "G01"}
    assert "浙A12345" not in str(audit.details)


def test_staff_reveal_a_passes_plates_and_a_shared_car_inside(staff_jinxiu: Any, sell: Any) -> None:
    pass_obj: Pass = sell(["浙A12345", "浙B54321"])
    client = logged_in(staff_jinxiu)
    listed = client.get("/parking/staff/passes/").content.decode()
    assert f"/parking/operator/reveal/pass/{pass_obj.pk}/" in listed
    shown = client.post(f"/parking/operator/reveal/pass/{pass_obj.pk}/", {"reason": "核对"})
    assert "浙A12345" in shown.content.decode() and "浙B54321" in shown.content.decode()
    inside = Presence.objects.create(
        garage=pass_obj.garage,
        plate_hash=plates.plate_hash("浙B54321"),
        plate_masked=pii.mask_plate("浙B54321"),
        pass_obj=pass_obj,
        entered_at=timezone.now(),
    )
    garage_page = client.get(f"/parking/operator/{pass_obj.garage_id}/").content.decode()
    assert f"/parking/operator/reveal/presence/{inside.pk}/" in garage_page
    car = client.post(f"/parking/operator/reveal/presence/{inside.pk}/", {"reason": "核对"})
    body = car.content.decode()
    assert "浙B54321" in body and "浙A12345" not in body
    actions = sorted(AuditEvent.objects.filter(action__endswith=".reveal").values_list("action"))
    assert actions == [("parking.pass.reveal",), ("parking.presence.reveal",)]


def test_unknown_things_cannot_be_revealed(operator: Any, garage: Garage) -> None:
    client = logged_in(operator)
    assert client.get("/parking/operator/reveal/event/999/").status_code == 404
    assert client.get("/parking/operator/reveal/person/1/").status_code == 404


def test_the_back_link_stays_on_this_site(operator: Any, garage: Garage) -> None:
    event = _event(garage, "浙A12345")
    url = f"/parking/operator/reveal/event/{event.pk}/?next=https://evil.example/"
    page = logged_in(operator).get(url).content.decode()
    assert f'<a href="/parking/operator/{garage.pk}/" data-testid="reveal-back">' in page
    assert 'value="https://evil.example/"' not in page


def test_the_nav_links_to_the_new_pages(operator: Any, staff_jinxiu: Any, garage: Garage) -> None:
    page = logged_in(operator).get(f"/parking/operator/{garage.pk}/").content.decode()
    assert f"/parking/operator/{garage.pk}/tenants/" in page
    staff = logged_in(staff_jinxiu).get("/parking/staff/").content.decode()
    assert "/parking/staff/estates/" in staff and "/parking/staff/holidays/" in staff
