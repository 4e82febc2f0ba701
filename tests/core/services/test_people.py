"""Residents' records: encrypted at rest, found by HMAC, revealed only with a reason, audited."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client

from shequ.core import pii
from shequ.core.models import AuditEvent, Person, Region, Role
from shequ.core.services.people import create_person, find_by_id_number, find_by_phone, reveal

OWN, OTHER_DISTRICT = "990102001001", "990103001001"
ID_NUMBER = pii.make_id_number("990102", date(1985, 6, 15), 27)
PHONE = "13812345678"
CLEAR = {"name": "王小明", "id_number": ID_NUMBER, "phone": PHONE, "address": "望湖路88号3幢201室"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # argon2 costs about a second a user here; test_login checks it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def root(regions: dict[str, Region]) -> Any:
    return get_user_model().objects.create_superuser("root", password=None)


@pytest.fixture
def person(root: Any, regions: dict[str, Region]) -> Person:
    return create_person(root, regions[OWN], **CLEAR)


def raw_row(person: Person) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Person._meta.db_table} WHERE id = %s", [person.pk])
        return tuple(cursor.fetchone())


def staff_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- storage and look-up ---------------------------------------------------------------------


def test_no_column_holds_a_clear_value(person: Person) -> None:
    row = " ".join(str(value) for value in raw_row(person))
    for value in CLEAR.values():
        assert value not in row
    assert ID_NUMBER[-8:] not in row
    assert PHONE[3:] not in row


def test_it_keeps_masked_columns_for_lists(person: Person) -> None:
    assert person.name_masked == "王**"
    assert person.phone_masked == "138****5678"
    # The address code only: the rest is the birth date, a sequence number and a check digit.
    assert person.id_number_masked == ID_NUMBER[:6] + "*" * 12
    assert person.address_masked == "望湖路88号****"


def test_masked_id_numbers_stored_by_the_old_mask_are_masked_again(person: Person) -> None:
    from django.apps import apps

    migration = importlib.import_module("shequ.core.migrations.0002_remask_id_numbers")
    Person.objects.filter(pk=person.pk).update(
        id_number_masked=ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    )
    migration.remask(apps, None)
    person.refresh_from_db()
    assert person.id_number_masked == ID_NUMBER[:6] + "*" * 12


def test_it_finds_a_person_by_id_number_and_phone_in_any_spelling(
    person: Person, regions: dict[str, Region]
) -> None:
    assert find_by_id_number(regions[OWN], ID_NUMBER) == person
    assert find_by_id_number(regions[OWN], f" {ID_NUMBER.lower()} ") == person
    assert find_by_id_number(regions["990102001002"], ID_NUMBER) is None
    assert find_by_phone("+86 138-1234-5678") == [person]
    assert find_by_phone("13912345678") == []


def test_the_audit_trail_of_a_creation_holds_no_clear_value(person: Person) -> None:
    event = AuditEvent.objects.get(action="person.create")
    assert event.region_code == OWN
    text = f"{event.object_repr} {event.details}"
    for value in CLEAR.values():
        assert value not in text


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("id_number", {"id_number": ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")}),
        ("id_number", {"id_number": "12345"}),
        ("phone", {"phone": "12812345678"}),
        ("phone", {"phone": "1381234567"}),
        ("name", {"name": "  "}),
        ("name", {"name": "张" * 51}),
    ],
)
def test_it_refuses_invalid_input_naming_the_field_and_writes_nothing(
    root: Any, regions: dict[str, Region], field: str, changes: dict[str, str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        create_person(root, regions[OWN], **{**CLEAR, **changes})
    assert list(caught.value.message_dict) == [field]
    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_names_every_invalid_field_at_once(root: Any, regions: dict[str, Region]) -> None:
    with pytest.raises(ValidationError) as caught:
        create_person(root, regions[OWN], name="李四", id_number="1", phone="2")
    assert set(caught.value.message_dict) == {"id_number", "phone"}


def test_it_refuses_a_duplicate_id_number_in_the_same_region(
    person: Person, root: Any, regions: dict[str, Region]
) -> None:
    with pytest.raises(ValidationError) as caught:
        create_person(root, regions[OWN], name="冒名", id_number=ID_NUMBER.lower())
    assert "id_number" in caught.value.message_dict
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(action="person.create").count() == 1


def test_the_same_id_number_may_be_registered_in_another_region(
    person: Person, root: Any, regions: dict[str, Region]
) -> None:
    create_person(root, regions[OTHER_DISTRICT], name="王小明", id_number=ID_NUMBER)
    assert Person.objects.count() == 2


def test_it_refuses_to_register_outside_the_actors_regions(
    staff: Any, regions: dict[str, Region]
) -> None:
    create_person(staff, regions[OWN], name="李四")
    with pytest.raises(PermissionDenied):
        create_person(staff, regions["990102001002"], name="李四")
    assert Person.objects.count() == 1


# --- reveal ----------------------------------------------------------------------------------


def test_reveal_returns_clear_values_and_records_the_reason(person: Person, staff: Any) -> None:
    clear = reveal(staff, person, reason="核实低保申请")

    assert (clear.name, clear.id_number, clear.phone, clear.address) == tuple(CLEAR.values())
    event = AuditEvent.objects.get(action="person.reveal")
    assert event.actor == staff
    assert event.region_code == OWN
    assert event.object_id == str(person.pk)
    assert event.details == {"reason": "核实低保申请"}


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (Role.DEPARTMENT_ANALYST, OWN),
        (Role.RESIDENT, OWN),
        (Role.COMMUNITY_STAFF, "990102001002"),
        (Role.STREET_STAFF, "990103001000"),
    ],
)
def test_reveal_refuses_a_user_without_the_right_in_the_region(
    person: Person, make_user: Any, role: Role, code: str
) -> None:
    with pytest.raises(PermissionDenied):
        reveal(make_user(role, code), person, reason="好奇")
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_reveal_refuses_a_blank_reason(person: Person, staff: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        reveal(staff, person, reason="   ")
    assert "reason" in caught.value.message_dict
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_old_rows_still_reveal_after_a_new_key_is_put_first(
    settings: Any, root: Any, regions: dict[str, Region], staff: Any
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old_key]
    old = create_person(root, regions[OWN], **CLEAR)

    settings.FERNET_KEYS = [new_key, old_key]
    new = create_person(root, regions[OWN], name="李四", phone="13912345678")

    assert reveal(staff, Person.objects.get(pk=old.pk), reason="核实").phone == PHONE
    assert Fernet(new_key).decrypt(new.phone_enc.encode()).decode() == "13912345678"
    assert find_by_id_number(regions[OWN], ID_NUMBER) == old


# --- web pages -------------------------------------------------------------------------------


def test_the_people_page_shows_staff_masked_values_of_their_region_only(
    person: Person, root: Any, regions: dict[str, Region], staff: Any
) -> None:
    create_person(root, regions[OTHER_DISTRICT], name="赵六", phone="13700001111")

    response = staff_client(staff).get("/people/")

    assert response.status_code == 200
    html = response.content.decode()
    assert person.phone_masked in html
    for value in (PHONE, ID_NUMBER, "王小明", "137****1111"):
        assert value not in html
    assert list(response.context["page"]) == [person]


def test_staff_register_a_resident_through_the_form(staff: Any) -> None:
    response = staff_client(staff).post("/people/", {"region": OWN, **CLEAR})

    assert response.status_code == 302
    assert response["Location"] == "/people/"
    person = Person.objects.get()
    assert person.region.code == OWN
    assert find_by_phone(PHONE) == [person]
    assert AuditEvent.objects.get(action="person.create").actor == staff


def test_the_form_shows_an_invalid_id_number_and_writes_nothing(staff: Any) -> None:
    data = {"region": OWN, **CLEAR, "id_number": "330106199013011234"}
    response = staff_client(staff).post("/people/", data)

    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors
    assert not Person.objects.exists()


def test_the_form_offers_no_region_outside_the_staffs_own(staff: Any) -> None:
    response = staff_client(staff).post("/people/", {"region": OTHER_DISTRICT, **CLEAR})

    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Person.objects.exists()


def test_the_reveal_page_shows_clear_values_after_a_reason(person: Person, staff: Any) -> None:
    client = staff_client(staff)
    url = f"/people/{person.pk}/reveal/"

    asked = client.get(url)
    assert asked.status_code == 200
    assert PHONE not in asked.content.decode()
    assert not AuditEvent.objects.filter(action="person.reveal").exists()

    shown = client.post(url, {"reason": "核实低保申请"})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert PHONE in html
    assert ID_NUMBER in html
    event = AuditEvent.objects.get(action="person.reveal")
    assert (event.actor, event.details["reason"]) == (staff, "核实低保申请")


def test_the_people_page_refuses_a_resident(make_user: Any) -> None:
    assert staff_client(make_user(Role.RESIDENT, OWN)).get("/people/").status_code == 403


def test_the_reveal_page_hides_a_person_outside_the_staffs_regions(
    person: Person, make_user: Any
) -> None:
    client = staff_client(make_user(Role.COMMUNITY_STAFF, OTHER_DISTRICT))
    url = f"/people/{person.pk}/reveal/"

    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "好奇"}).status_code == 404
    assert not AuditEvent.objects.filter(action="person.reveal").exists()
