"""Staff register a member from a page and edit them: the person is found by ID number or
phone, which is never written back; errors stand next to their fields, in both languages;
another community's staff cannot; each change is audited without its values."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from shequ.core import pii
from shequ.core.models import AuditEvent, Person, Region
from shequ.timebank.models import Member
from timebank.factories import add_person

ID_NUMBER = pii.make_id_number("990102", date(1948, 3, 9), 17)


def as_user(user: Any, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def person(home: Region) -> Person:
    found = add_person(home, "李淑芬", phone="13912345678")
    found.id_number_hash = pii.lookup_hash("id_card", ID_NUMBER)
    found.save(update_fields=["id_number_hash"])
    return found


def form(**extra: Any) -> dict[str, Any]:
    return {
        "region": "990102001001",
        "who": ID_NUMBER,
        "volunteer": "on",
        "requester": "on",
        "skills": ["meals", "visit"],
        "languages": "普通话，杭州话",
        "estate": "锦绣花园",
        "building": "5幢",
        "reach": "estate",
        "day0": "08:00-12:00, 18:00-20:00",
        "day5": "09:00-17:00",
        **extra,
    }


def test_staff_register_a_person_found_by_id_number(tb_staff: Any, person: Person) -> None:
    client = as_user(tb_staff)
    page = client.get("/timebank/staff/members/new/").content.decode()
    assert 'data-testid="tb-member-form"' in page
    done = client.post("/timebank/staff/members/new/", form())
    assert done.status_code == 302 and done["Location"] == "/timebank/staff/members/"
    member = Member.objects.get(person=person)
    assert member.is_volunteer and member.skills == ["meals", "visit"]
    assert member.languages == ["普通话", "杭州话"] and member.reach == "estate"
    assert member.availability == {"0": ["08:00-12:00", "18:00-20:00"], "5": ["09:00-17:00"]}
    event = AuditEvent.objects.get(action="timebank.member.register")
    assert ID_NUMBER not in str(event.details) + event.object_repr


def test_a_phone_finds_the_person_too(tb_staff: Any, person: Person) -> None:
    done = as_user(tb_staff).post("/timebank/staff/members/new/", form(who="139 1234 5678"))
    assert done.status_code == 302 and Member.objects.filter(person=person).exists()


def test_errors_stand_by_their_fields_and_the_number_is_not_shown_again(
    tb_staff: Any, person: Person
) -> None:
    bad = form(day0="8-12", languages="x" * 31, skills=["juggling"])
    page = as_user(tb_staff).post("/timebank/staff/members/new/", bad).content.decode()
    for field in ("day0", "languages", "skills"):
        assert f'data-testid="error-{field}"' in page
    assert ID_NUMBER not in page and person.name_masked in page  # found: masked name
    assert 'name="person" value="' in page and not Member.objects.exists()
    fixed = form(who="", person=_value(page, "person"))
    assert as_user(tb_staff).post("/timebank/staff/members/new/", fixed).status_code == 302
    assert Member.objects.get().person == person


def test_the_errors_speak_chinese_by_default(tb_staff: Any, person: Person) -> None:
    page = (
        as_user(tb_staff, "zh-hans")
        .post("/timebank/staff/members/new/", form(who="110101", volunteer="", requester=""))
        .content.decode()
    )
    assert 'data-testid="error-who"' in page and 'data-testid="error-volunteer"' in page
    assert "手机号" in page and "志愿者" in page


def test_nobody_by_that_number(tb_staff: Any, home: Region) -> None:
    page = as_user(tb_staff).post("/timebank/staff/members/new/", form()).content.decode()
    assert 'data-testid="error-who"' in page and "Nobody with this number" in page


def test_another_communitys_staff_neither_find_nor_edit(
    far_staff: Any, person: Person, father: Member
) -> None:
    client = as_user(far_staff)
    page = client.post("/timebank/staff/members/new/", form()).content.decode()
    assert not Member.objects.filter(person=person).exists()
    assert person.name_masked not in page
    assert client.get(f"/timebank/staff/members/{father.pk}/").status_code == 404


def test_a_resident_gets_no_form(daughter: Any) -> None:
    assert as_user(daughter).get("/timebank/staff/members/new/").status_code == 403


def test_staff_edit_a_member_and_the_audit_names_the_fields(tb_staff: Any, father: Member) -> None:
    client = as_user(tb_staff)
    page = client.get(f"/timebank/staff/members/{father.pk}/").content.decode()
    assert father.name in page and 'name="who"' not in page
    edited = form(volunteer="on", requester="on", building="3幢", active="on")
    assert client.post(f"/timebank/staff/members/{father.pk}/", edited).status_code == 302
    father.refresh_from_db()
    assert father.is_volunteer and father.reach == "estate"
    assert father.languages == ["普通话", "杭州话"]
    event = AuditEvent.objects.get(action="timebank.member.edit")
    assert "is_volunteer" in event.details["fields"] and "building" not in event.details["fields"]
    assert "杭州话" not in str(event.details)
    wrong = client.post(f"/timebank/staff/members/{father.pk}/", form(day6="22:00-21:00"))
    assert 'data-testid="error-day6"' in wrong.content.decode()


def _value(page: str, name: str) -> str:
    start = page.index(f'name="{name}" value="') + len(f'name="{name}" value="')
    return page[start : page.index('"', start)]
