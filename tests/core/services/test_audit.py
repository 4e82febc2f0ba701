"""The audit log: append-only, filled in by one helper, searched within the user's regions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from shequ.core.models import AuditEvent, Region, Role
from shequ.core.models.audit import AppendOnlyError
from shequ.core.services.audit import record, search

OWN, SIBLING, OTHER_DISTRICT = "990102001001", "990102001002", "990103001001"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # argon2 costs about a second a user here; test_login checks it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def event(regions: dict[str, Region]) -> AuditEvent:
    return record("test.thing", region_code=OWN, note="original")


def assert_unchanged(event: AuditEvent) -> None:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.details) == ("test.thing", {"note": "original"})


def test_it_refuses_to_save_an_existing_event(event: AuditEvent) -> None:
    event.action = "test.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert_unchanged(event)


def test_it_refuses_to_delete_an_event(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert_unchanged(event)


def test_it_refuses_queryset_updates_and_deletes(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.action = "test.forged"
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert_unchanged(event)


def test_the_base_manager_is_append_only_too(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent._base_manager.filter(pk=event.pk).update(action="test.forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent._base_manager.all().delete()
    assert_unchanged(event)


def test_deleting_a_user_leaves_their_events_untouched(staff: Any) -> None:
    event = record("test.thing", actor=staff, region_code=OWN)
    staff_id = staff.pk
    staff.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_name) == (staff_id, "staff")


def test_the_admin_refuses_to_add_change_or_delete(event: AuditEvent) -> None:
    root = get_user_model().objects.create_superuser("root", password=None)
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client = Client()
    client.force_login(root)
    url = f"/admin/core/auditevent/{event.pk}"
    assert client.post(f"{url}/change/", {"action": "test.forged"}).status_code == 403
    assert client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert_unchanged(event)


def test_record_fills_actor_region_and_ip_from_object_and_request(staff: Any) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    request.user = staff
    region = Region.objects.get(code=OWN)
    department = region.departments.create(code="police", name="派出所", kind="police")

    event = record("department.touch", obj=department, request=request, why="test")

    assert event.actor == staff
    assert event.actor_name == "staff"
    assert event.region_code == OWN
    assert event.ip == "203.0.113.9"
    assert event.object_type == "core.department"
    assert event.object_id == str(department.pk)
    assert event.details == {"why": "test"}


def test_record_uses_the_code_of_a_region_object(regions: dict[str, Region]) -> None:
    assert record("region.touch", obj=regions[OWN]).region_code == OWN


def test_record_keeps_no_actor_for_an_anonymous_request(regions: dict[str, Region]) -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    event = record("login.failure", request=request, username="who")
    assert event.actor is None
    assert event.actor_name == ""
    assert event.ip == "127.0.0.1"


def test_search_shows_community_staff_only_their_region(staff: Any) -> None:
    for code in (OWN, SIBLING, OTHER_DISTRICT, ""):
        record(f"test.{code or 'none'}", region_code=code)
    assert list(search(staff).values_list("region_code", flat=True)) == [OWN]


def test_search_shows_street_staff_their_street_and_its_communities(make_user: Any) -> None:
    for code in ("990102001000", OWN, SIBLING, "990102002001", OTHER_DISTRICT):
        record("test.thing", region_code=code)
    user = make_user(Role.STREET_STAFF, "990102001000")
    assert set(search(user).values_list("region_code", flat=True)) == {"990102001000", OWN, SIBLING}


def test_search_shows_nothing_to_a_role_without_audit_rights(make_user: Any) -> None:
    record("test.thing", region_code=OWN)
    assert not search(make_user(Role.RESIDENT, OWN)).exists()


def test_search_filters_by_action_actor_and_region(make_user: Any, staff: Any) -> None:
    record("person.reveal", actor=staff, region_code=OWN)
    record("person.create", region_code=SIBLING)
    user = make_user(Role.STREET_STAFF, "990102001000")
    assert search(user, action="person.").count() == 2
    assert search(user, action="person.rev").get().region_code == OWN
    assert search(user, actor="staff").get().action == "person.reveal"
    assert search(user, region_code=SIBLING).get().action == "person.create"


def test_the_audit_page_shows_staff_their_region_only(staff: Any) -> None:
    record("test.own_region", region_code=OWN)
    record("test.other_district", region_code=OTHER_DISTRICT)
    client = Client()
    client.force_login(staff)

    response = client.get("/audit/")

    assert response.status_code == 200
    assert b"test.own_region" in response.content
    assert b"test.other_district" not in response.content


def test_the_audit_page_refuses_a_resident(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.RESIDENT, OWN))
    assert client.get("/audit/").status_code == 403


def test_the_audit_page_sends_an_anonymous_visitor_to_log_in(db: None) -> None:
    response = Client().get("/audit/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
