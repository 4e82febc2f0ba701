"""Time bank fixtures: 锦绣社区 with its staff, a father living alone, his daughter, and
volunteers; another community's staff and volunteer for the access matrix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from shequ.core.models import Region, Role
from shequ.timebank.models import Member
from timebank.factories import ELSEWHERE, HOME, add_member, add_user, add_volunteer


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def home(regions: dict[str, Region]) -> Region:
    return regions[HOME]


@pytest.fixture
def tb_staff(home: Region) -> Any:
    return add_user(Role.COMMUNITY_STAFF, home, "tbstaff")


@pytest.fixture
def daughter(home: Region) -> Any:
    return add_user(Role.RESIDENT, home, "daughter")


@pytest.fixture
def father(tb_staff: Any, home: Region, daughter: Any) -> Member:
    """The father who lives alone and has no smartphone: no login, his daughter cares."""
    member = add_member(tb_staff, home, name="张建国", estate="锦绣花园", building="3幢")
    member.carers.add(daughter)
    return member


@pytest.fixture
def volunteer(tb_staff: Any, home: Region) -> Member:
    return add_volunteer(tb_staff, home, "neighbour", estate="锦绣花园", building="3幢")


@pytest.fixture
def volunteer2(tb_staff: Any, home: Region) -> Member:
    return add_volunteer(tb_staff, home, "neighbour2")


@pytest.fixture
def far_staff(regions: dict[str, Region]) -> Any:
    return add_user(Role.COMMUNITY_STAFF, regions[ELSEWHERE], "farstaff")


@pytest.fixture
def far_volunteer(far_staff: Any, regions: dict[str, Region]) -> Member:
    return add_volunteer(far_staff, regions[ELSEWHERE], "farvolunteer")


@pytest.fixture(autouse=True)
def _huey_immediate() -> Iterator[None]:
    """Jobs run at once in this process (no task left in var/'s queue by a committed test)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before
