"""Revealing a clear plate on the operator's and staff pages: who may, why, and the audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from parking.factories import (
    GARAGE_PAGES,
    HOME,
    add_gate_event,
    audits,
    client_of,
    logged_in,
)
from shequ.core import pii
from shequ.core.models import AuditEvent
from shequ.parking.models import (
    Garage,
    Pass,
    Presence,
)
from shequ.parking.services import plates

pytestmark = pytest.mark.django_db


# who -> may see a clear plate of this garage: whoever may open its operator pages (its
# operators; staff of the region, who have PII rights)
REVEAL = GARAGE_PAGES


@pytest.mark.parametrize("who", list(REVEAL))
def test_a_clear_plate_is_revealed_to_the_garages_managers_only(
    people: dict[str, Any], garage: Garage, who: str
) -> None:
    event = add_gate_event(garage, "浙A12345")
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
    event = add_gate_event(garage, "浙A12345")
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
    event = add_gate_event(garage, "浙A12345")
    url = f"/parking/operator/reveal/event/{event.pk}/?next=https://evil.example/"
    page = logged_in(operator).get(url).content.decode()
    assert f'<a href="/parking/operator/{garage.pk}/" data-testid="reveal-back">' in page
    assert 'value="https://evil.example/"' not in page
