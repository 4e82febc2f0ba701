"""Tenant plates: a garage's own tenants, kept by its managers only."""

from __future__ import annotations

from typing import Any

import pytest

from parking.factories import (
    GARAGE_PAGES,
    HOME,
    audits,
    client_of,
    logged_in,
)
from shequ.parking.models import (
    Garage,
    TenantPlate,
)
from shequ.parking.services import garages as garage_svc
from shequ.parking.services import plates

pytestmark = pytest.mark.django_db


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
