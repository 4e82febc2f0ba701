"""Consent withdrawal: every device of the community is told to delete the enrolment, and
each confirms; until it does it is told again; another device cannot confirm for it."""

from __future__ import annotations

from typing import Any

from access.factories import HOME, add_device, add_point, add_resident, device_client
from shequ.access.models import Removal
from shequ.access.services import credentials


def test_a_withdrawal_is_removed_from_every_device_and_confirmed(
    staff: Any, regions: dict[str, Any], point: Any, make_user: Any, hub: None
) -> None:
    resident = make_user("resident", HOME)
    credential = add_resident(staff, regions[HOME], 1, ref="V000001", user=resident)
    north, north_raw = add_device(staff, point, "face")
    south, south_raw = add_device(staff, add_point(regions[HOME], "南门"), "face")
    add_device(staff, point, "card")  # a card reader holds no face
    removals = credentials.withdraw(resident, credential, "app")
    assert {r.device for r in removals} == {north, south}
    assert credentials.withdraw(resident, credential, "app") == removals  # a repeat: the same

    for raw in (north_raw, south_raw):
        client = device_client(raw)
        pending = client.get("/api/v1/access/removals").json()
        assert [(p["kind"], p["ref"]) for p in pending] == [("face", "V000001")]
        done = client.post(f"/api/v1/access/removals/{pending[0]['id']}/done")
        assert done.status_code == 200
        again = client.post(f"/api/v1/access/removals/{pending[0]['id']}/done")
        assert again.json() == done.json()  # idempotent
        assert client.get("/api/v1/access/removals").json() == []
    assert not Removal.objects.filter(confirmed_at__isnull=True).exists()
    credential.consent.refresh_from_db()
    assert credential.consent.withdrawn_at is not None
    assert credential.consent.withdrawal_channel == "app"


def test_a_device_cannot_confirm_another_devices_removal(
    staff: Any, regions: dict[str, Any], point: Any, hub: None
) -> None:
    credential = add_resident(staff, regions[HOME], 1)
    _north, north_raw = add_device(staff, point, "face")
    _south, south_raw = add_device(staff, add_point(regions[HOME], "南门"), "face")
    removals = credentials.withdraw(staff, credential, "staff")
    mine = next(r for r in removals if r.device.point == point)
    response = device_client(south_raw).post(f"/api/v1/access/removals/{mine.pk}/done")
    assert response.status_code == 403
    assert device_client(north_raw).post("/api/v1/access/removals/999999/done").status_code == 404
    mine.refresh_from_db()
    assert mine.confirmed_at is None


def test_only_the_resident_or_staff_may_withdraw(
    staff: Any, regions: dict[str, Any], make_user: Any, hub: None
) -> None:
    import pytest

    from shequ.core.errors import Forbidden

    credential = add_resident(staff, regions[HOME], 1)
    neighbour = make_user("resident", HOME)
    with pytest.raises(Forbidden):
        credentials.withdraw(neighbour, credential, "app")
    credential.consent.refresh_from_db()
    assert credential.consent.withdrawn_at is None and credential.active
