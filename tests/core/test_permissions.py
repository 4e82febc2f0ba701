"""Role scoping: every role x every permission x own / child / sibling / other-district objects."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from shequ.core.models import Membership, Person, Region, Role
from shequ.core.permissions import (
    ROLE_PERMS,
    Perm,
    can,
    prefixes_for,
    regions_for,
    require,
    scope,
    visible_regions,
)
from shequ.core.services.people import create_person

STREET = "990102001000"
LOCATIONS = {
    "own": STREET,
    "child": "990102001001",
    "sibling": "990102002000",
    "other_district": "990103001001",
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Hundreds of users: argon2 (about a second a user here; test_login checks it) is too slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def root(regions: dict[str, Region]) -> Any:
    return get_user_model().objects.create_superuser("root", password=None)


@pytest.fixture
def person_at(regions: dict[str, Region], root: Any) -> Any:
    def make(code: str) -> Person:
        return create_person(root, regions[code], name="张三")

    return make


def visible_codes(user: Any, perm: Perm, **kwargs: Any) -> set[str]:
    return set(
        scope(Person.objects.all(), user, perm, **kwargs).values_list("region__code", flat=True)
    )


@pytest.mark.parametrize("location", list(LOCATIONS))
@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize("role", list(Role))
def test_a_role_sees_an_object_only_where_its_membership_grants_the_permission(
    role: Role, perm: Perm, location: str, make_user: Any, person_at: Any
) -> None:
    user = make_user(role, STREET)
    code = LOCATIONS[location]
    person = person_at(code)
    expected = perm in ROLE_PERMS[role] and (
        location in {"own", "child"} or role == Role.PLATFORM_ADMIN
    )

    in_scope = scope(Person.objects.all(), user, perm).filter(pk=person.pk).exists()
    region_in_scope = regions_for(user, perm).filter(code=code).exists()

    assert in_scope is expected
    assert region_in_scope is expected
    assert can(user, perm, person.region) is expected
    assert can(user, perm, code) is expected


def test_every_role_has_a_permission_set() -> None:
    assert set(ROLE_PERMS) == set(Role.values)
    assert ROLE_PERMS[Role.PLATFORM_ADMIN] == frozenset(Perm)


def test_a_user_without_membership_sees_nothing(make_user: Any, person_at: Any) -> None:
    user = make_user(None)
    person_at(STREET)
    for perm in Perm:
        assert not scope(Person.objects.all(), user, perm).exists()
        assert not can(user, perm, STREET)
        assert prefixes_for(user, perm) == []
        assert not regions_for(user, perm).exists()
    assert not visible_regions(user).exists()


def test_an_anonymous_user_sees_nothing(person_at: Any) -> None:
    person_at(STREET)
    assert not scope(Person.objects.all(), AnonymousUser(), Perm.VIEW_PEOPLE).exists()
    assert not can(AnonymousUser(), Perm.VIEW_PEOPLE, STREET)
    assert not visible_regions(AnonymousUser()).exists()


def test_two_memberships_see_the_union_of_their_regions(make_user: Any, person_at: Any) -> None:
    user = make_user(Role.COMMUNITY_STAFF, "990102001001")
    Membership.objects.create(
        user=user, region=Region.objects.get(code="990103001001"), role=Role.COMMUNITY_STAFF
    )
    for code in ("990102001001", "990102001002", "990102002001", "990103001001"):
        person_at(code)

    assert visible_codes(user, Perm.VIEW_PEOPLE) == {"990102001001", "990103001001"}


def test_a_permission_does_not_leak_from_one_membership_to_another(
    make_user: Any, person_at: Any
) -> None:
    user = make_user(Role.RESIDENT, "990102001001")
    Membership.objects.create(
        user=user, region=Region.objects.get(code="990103001001"), role=Role.VOLUNTEER
    )
    for code in ("990102001001", "990103001001"):
        person_at(code)

    assert visible_codes(user, Perm.TIMEBANK) == {"990102001001", "990103001001"}
    assert visible_codes(user, Perm.PARKING) == {"990102001001"}
    assert not can(user, Perm.PARKING, "990103001001")


def test_a_superuser_sees_everything_without_membership(root: Any, person_at: Any) -> None:
    for code in LOCATIONS.values():
        person_at(code)
    for perm in Perm:
        assert visible_codes(root, perm) == set(LOCATIONS.values())
        assert can(root, perm, "990103001001")
    assert visible_regions(root).count() == Region.objects.count()


def test_an_inactive_superuser_sees_nothing(root: Any, person_at: Any) -> None:
    person_at(STREET)
    root.is_active = False
    root.save()
    assert visible_codes(root, Perm.VIEW_PEOPLE) == set()
    assert not can(root, Perm.VIEW_PEOPLE, STREET)
    assert not visible_regions(root).exists()


def test_an_inactive_user_loses_the_rights_of_their_memberships(
    make_user: Any, person_at: Any
) -> None:
    user = make_user(Role.PLATFORM_ADMIN, STREET, is_active=False)
    person_at(STREET)
    assert visible_codes(user, Perm.VIEW_PEOPLE) == set()
    assert not can(user, Perm.VIEW_PEOPLE, STREET)
    assert not visible_regions(user).exists()


def test_roles_restricts_scope_to_memberships_of_those_roles(
    make_user: Any, person_at: Any
) -> None:
    user = make_user(Role.COMMUNITY_STAFF, "990102001001")
    Membership.objects.create(
        user=user, region=Region.objects.get(code="990103001001"), role=Role.RESIDENT
    )
    for code in ("990102001001", "990103001001"):
        person_at(code)

    assert visible_codes(user, Perm.PARKING) == {"990102001001", "990103001001"}
    assert visible_codes(user, Perm.PARKING, roles=[Role.RESIDENT]) == {"990103001001"}
    assert visible_codes(user, Perm.PARKING, roles=[Role.COMMUNITY_STAFF]) == {"990102001001"}
    assert visible_codes(user, Perm.PARKING, roles=[Role.GARAGE_OPERATOR]) == set()
    assert prefixes_for(user, Perm.PARKING, roles=[Role.RESIDENT]) == ["990103001001"]


def test_roles_keeps_a_platform_admin_global_only_when_it_names_the_role(
    make_user: Any, person_at: Any
) -> None:
    admin = make_user(Role.PLATFORM_ADMIN, STREET)
    for code in LOCATIONS.values():
        person_at(code)

    assert visible_codes(admin, Perm.VIEW_PEOPLE, roles=[Role.PLATFORM_ADMIN]) == set(
        LOCATIONS.values()
    )
    assert visible_codes(admin, Perm.VIEW_PEOPLE, roles=[Role.COMMUNITY_STAFF]) == set()


def test_a_scope_can_follow_a_code_column_or_a_longer_path(
    make_user: Any, regions: dict[str, Region]
) -> None:
    user = make_user(Role.STREET_STAFF, STREET)
    by_code = scope(Region.objects.all(), user, Perm.VIEW_PEOPLE, region_field="code")
    by_path = scope(Region.objects.all(), user, Perm.VIEW_PEOPLE, region_field="parent")
    assert set(by_code.values_list("code", flat=True)) == {
        STREET,
        "990102001001",
        "990102001002",
        "990102001201",
    }
    assert set(by_path.values_list("code", flat=True)) == {
        "990102001001",
        "990102001002",
        "990102001201",
    }


def test_require_refuses_a_sibling_region(make_user: Any, regions: dict[str, Region]) -> None:
    user = make_user(Role.COMMUNITY_STAFF, "990102001001")
    require(user, Perm.VIEW_PEOPLE, regions["990102001001"])
    with pytest.raises(PermissionDenied):
        require(user, Perm.VIEW_PEOPLE, regions["990102001002"])
    with pytest.raises(PermissionDenied):
        require(user, Perm.MANAGE_REGIONS, regions["990102001001"])


def test_prefixes_are_the_significant_digits_of_the_membership_regions(make_user: Any) -> None:
    assert prefixes_for(make_user(Role.STREET_STAFF, STREET), Perm.HUB) == ["990102001"]
    assert prefixes_for(make_user(Role.DUTY_OFFICER, "990102000000"), Perm.FLOOD) == ["990102"]
    assert prefixes_for(make_user(Role.DUTY_OFFICER, "990102000000"), Perm.HUB) == []


def test_visible_regions_cover_the_membership_subtree_whatever_the_role(make_user: Any) -> None:
    user = make_user(Role.VOLUNTEER, STREET)
    assert set(visible_regions(user).values_list("code", flat=True)) == {
        STREET,
        "990102001001",
        "990102001002",
        "990102001201",
    }
