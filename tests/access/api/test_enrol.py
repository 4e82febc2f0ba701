"""Staff enrol a resident's face (consent first) or card: API and page, matrix, bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from access.api.test_access import ROLES, SEES, _user
from access.factories import ELSEWHERE, HOME, id_number
from shequ.access.models import Consent, Credential
from shequ.core.models import AuditEvent, Person
from shequ.core.services.people import create_person

URL = "/api/v1/access/credentials"


@pytest.fixture
def people(admin: Any, regions: dict[str, Any]) -> dict[str, Person]:
    return {
        "home": create_person(admin, regions[HOME], name="王芳", id_number=id_number(1)),
        "elsewhere": create_person(admin, regions[ELSEWHERE], name="李强", id_number=id_number(2)),
    }


def _face(person: Person, ref: str = "VND-0001", **more: Any) -> dict[str, Any]:
    consent = {
        "purpose": "小区门禁人脸识别通行",
        "given_on": str(timezone.localdate()),
        "channel": "paper",
    }
    return {"person_id": person.pk, "kind": "face", "ref": ref, "consent": consent} | more


def _post(client: Any, body: Any) -> Any:
    return client.post(URL, body, content_type="application/json")


def test_staff_enrol_a_face_with_its_consent_masked_and_audited(staff, people, client_for) -> None:
    response = _post(client_for(staff), _face(people["home"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ref"] == "VN****01" and body["who"] == "王*" and body["kind"] == "face"
    assert body["consent"]["purpose"] == "小区门禁人脸识别通行" and not body["consent"]["withdrawn"]
    assert "VND-0001" not in response.content.decode() and "王芳" not in response.content.decode()
    credential = Credential.objects.get()
    assert credential.consent.channel == "paper" and credential.consent.recorded_by == staff
    assert AuditEvent.objects.filter(action="access.enrol", actor=staff).count() == 1


def test_a_retry_answers_the_same_credential_and_writes_nothing(staff, people, client_for) -> None:
    client = client_for(staff)
    first = _post(client, _face(people["home"]))
    again = _post(client, _face(people["home"]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Credential.objects.count() == Consent.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.enrol").count() == 1


def test_the_reference_of_someone_else_is_a_conflict(staff, admin, people, client_for) -> None:
    other = create_person(admin, people["home"].region, name="张伟", id_number=id_number(3))
    client = client_for(staff)
    assert _post(client, _face(people["home"])).status_code == 201
    response = _post(client, _face(other))
    assert response.status_code == 409 and "ref" in response.json()["error"]["fields"]
    assert Credential.objects.count() == 1


def test_a_card_needs_no_consent_record(staff, people, client_for) -> None:
    body = {"person_id": people["home"].pk, "kind": "card", "ref": "1234567890"}
    response = _post(client_for(staff), body)
    assert response.status_code == 201 and response.json()["ref"] == "12****90"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": None}, "consent"),
        ({"kind": "iris"}, "kind"),
        ({"ref": ""}, "ref"),
        ({"ref": "x" * 65}, "ref"),
        ({"ref": "  "}, "ref"),
        ({"ref": "A\x00B"}, "ref"),
        ({"person_id": 0}, "person_id"),
        ({"person_id": 2**40}, "person_id"),
        ({"username": "nobody-here"}, "username"),
        ({"consent": {"purpose": "", "given_on": "2026-01-01", "channel": "paper"}}, "purpose"),
        ({"consent": {"purpose": "p", "given_on": "2026-13-01", "channel": "paper"}}, "given_on"),
        ({"consent": {"purpose": "p", "given_on": "2026-01-01", "channel": "fax"}}, "channel"),
        ({"consent": {"purpose": "p", "given_on": "2999-01-01", "channel": "paper"}}, "given_on"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(
    staff, people, client_for, change: dict[str, Any], field: str
) -> None:
    response = _post(client_for(staff), _face(people["home"]) | change)
    assert 400 <= response.status_code < 500, response.content
    assert response.status_code != 404
    fields = response.json()["error"]["fields"]
    assert any(field in name for name in fields), fields
    assert not Credential.objects.exists() and not Consent.objects.exists()


def test_a_future_consent_day_is_refused(staff, people, client_for) -> None:
    body = _face(people["home"])
    body["consent"]["given_on"] = str(timezone.localdate() + timedelta(days=1))
    response = _post(client_for(staff), body)
    assert response.status_code == 422 and "given_on" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["home", "elsewhere"])
def test_enrolling_needs_staff_of_the_persons_region(
    role: str, target: str, people, make_user, client_for
) -> None:
    response = _post(client_for(_user(make_user, role)), _face(people[target]))
    if target in SEES[role]:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code in (403, 404), response.content
        assert not Credential.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_the_users_regions_only(role: str, admin, people, make_user, client_for):
    for name, person in people.items():
        _post(client_for(admin), _face(person, ref=f"VND-{name}"))
    response = client_for(_user(make_user, role)).get(URL)
    assert response.status_code == 200
    regions = {item["region"] for item in response.json()["items"]}
    expected = {people[name].region.code for name in SEES[role]}
    assert regions == expected


def _page_form(person: Person, **more: Any) -> dict[str, Any]:
    return {
        "region": person.region.code,
        "id_number": id_number(1),
        "kind": "face",
        "ref": "VND-0001",
        "consent_given": "on",
        "purpose": "小区门禁人脸识别通行",
        "given_on": str(timezone.localdate()),
        "channel": "paper",
    } | more


def test_the_page_enrols_by_id_number_without_showing_it(staff, people) -> None:
    client = Client()
    client.force_login(staff)
    response = client.post("/access/credentials/", _page_form(people["home"]))
    assert response.status_code == 302
    page = client.get("/access/credentials/").content.decode()
    assert "VN****01" in page and "王*" in page
    assert "VND-0001" not in page and id_number(1) not in page and "王芳" not in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_given": ""}, "consent_given"),
        ({"purpose": ""}, "purpose"),
        ({"given_on": ""}, "given_on"),
        ({"id_number": "123"}, "id_number"),
        ({"id_number": id_number(9)}, "id_number"),
        ({"ref": ""}, "ref"),
        ({"username": "nobody-here"}, "username"),
    ],
)
def test_the_page_names_the_field_in_error(staff, people, change: dict[str, Any], field: str):
    client = Client()
    client.force_login(staff)
    response = client.post("/access/credentials/", _page_form(people["home"], **change))
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not Credential.objects.exists()


def test_the_page_is_for_staff(make_user, people) -> None:
    client = Client()
    client.force_login(_user(make_user, "resident"))
    assert client.get("/access/credentials/").status_code == 403
