"""Applications: hub data verifies residence and plates; otherwise proof and staff review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from parking.factories import HOME, client_for, get, post, write_hub_data
from shequ.core.models import AuditEvent, Role
from shequ.parking.models import Application, Estate, Garage
from shequ.parking.services import applications

pytestmark = pytest.mark.django_db

OWNER_PHONE = "13900001111"
OWNED = "浙A12345"
NEW_ENERGY = "浙AD12345"


@pytest.fixture
def hub_data(regions: dict[str, Any], tmp_path: Path) -> None:
    """The household registry and vehicle registrations, ingested through the real pipeline."""
    write_hub_data(regions, tmp_path, OWNER_PHONE, [OWNED], new_energy=(NEW_ENERGY,))


@pytest.fixture
def owner(make_resident: Any) -> Any:
    return make_resident(phone=OWNER_PHONE)


def test_data_verifies_residence_and_plates_at_once(
    hub_data: None, owner: Any, estate: Estate, garage: Garage
) -> None:
    answer = post(
        client_for(owner),
        "/applications",
        {"estate": "jinxiu", "plates": ["浙a·12345", "浙ＡD12345"], "preferences": [garage.pk]},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "verified"
    assert body["verification"]["residence"] == "matched"
    assert body["verification"]["plates"] == {"浙A***45": "matched", "浙A****45": "matched"}
    assert body["plates"] == ["浙A***45", "浙A****45"]
    assert 0 < body["walking_m"][str(garage.pk)] < 1000
    # The clear comparison is audited with its purpose.
    assert AuditEvent.objects.filter(details__purpose__startswith="parking application").exists()


def test_no_match_asks_for_proof_and_staff_decide(
    hub_data: None, make_resident: Any, estate: Estate, staff_jinxiu: Any, make_user: Any
) -> None:
    stranger = make_resident(phone="13700007777")
    app = applications.apply(stranger, estate, plates=[OWNED])
    assert app.status == "needs_proof"
    assert app.verification["residence"] == "no_match"
    assert app.verification["plates"] == {"浙A***45": "no_match"}
    app = applications.submit_proof(stranger, app, note="租房合同与行驶证", reference="scan-1")
    assert app.status == "in_review"
    listed = get(client_for(staff_jinxiu), "/applications").json()
    assert [a["id"] for a in listed] == [app.pk]
    other_staff = make_user(Role.COMMUNITY_STAFF, "990102001002")
    assert get(client_for(other_staff), "/applications").json() == []
    denied = post(client_for(other_staff), f"/applications/{app.pk}/decide", {"approve": True})
    assert denied.status_code == 403
    no_reason = post(client_for(staff_jinxiu), f"/applications/{app.pk}/decide", {"approve": False})
    assert no_reason.status_code == 422 and "note" in no_reason.json()["error"]["fields"]
    ok = post(client_for(staff_jinxiu), f"/applications/{app.pk}/decide", {"approve": True})
    assert ok.json()["status"] == "approved"
    again = post(
        client_for(staff_jinxiu), f"/applications/{app.pk}/decide", {"approve": False, "note": "x"}
    )
    assert again.status_code == 409


def test_without_hub_data_the_application_waits_for_proof(owner: Any, estate: Estate) -> None:
    app = applications.apply(owner, estate, plates=[OWNED])
    assert app.status == "needs_proof"
    assert app.verification["residence"] == "unavailable"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plates": []}, "plates"),
        ({"plates": ["浙A1", "浙A12345"]}, "plates"),
        ({"plates": ["浙A11111", "浙A22222", "浙A33333"]}, "plates"),
        ({"plates": [OWNED], "id_number": "123"}, "id_number"),
        ({"plates": [OWNED], "priority_group": "vip"}, "priority_group"),
        ({"plates": [OWNED], "preferences": [999]}, "preferences"),
        ({}, "plates"),
    ],
)
def test_bad_applications_name_the_field_and_write_nothing(
    owner: Any, estate: Estate, body: dict[str, Any], field: str
) -> None:
    answer = post(client_for(owner), "/applications", {"estate": "jinxiu", **body})
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["error"]["fields"]
    assert not Application.objects.exists()


def test_one_open_application_per_plate(owner: Any, estate: Estate) -> None:
    applications.apply(owner, estate, plates=[OWNED])
    answer = post(client_for(owner), "/applications", {"estate": "jinxiu", "plates": [OWNED]})
    assert answer.status_code == 409
    assert Application.objects.count() == 1


def test_only_residents_who_logged_in_by_phone_apply(make_user: Any, estate: Estate) -> None:
    staff_user = make_user(Role.COMMUNITY_STAFF, HOME)
    with pytest.raises(PermissionDenied):
        applications.apply(staff_user, estate, plates=[OWNED])
    assert (
        post(
            client_for(staff_user), "/applications", {"estate": "jinxiu", "plates": [OWNED]}
        ).status_code
        == 403
    )


def test_residents_see_only_their_own_applications(
    owner: Any, make_resident: Any, estate: Estate
) -> None:
    mine = applications.apply(owner, estate, plates=[OWNED])
    other = make_resident()
    assert get(client_for(other), "/me/applications").json() == []
    assert (
        post(client_for(other), f"/applications/{mine.pk}/proof", {"note": "x"}).status_code == 404
    )
