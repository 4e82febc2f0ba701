"""Indicator targets: the effective lookup, who may change which region's, validation, audit."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.factories import HOME, NEXT_DOOR, OTHER_STREET, STREET, VILLAGE
from shequ.core.errors import Forbidden, Invalid, NotFound, ServiceError
from shequ.core.models import AuditEvent, Region, Role
from shequ.dashboard.indicators import REGISTRY, Direction
from shequ.dashboard.models import Target
from shequ.dashboard.services import targets, values

pytestmark = pytest.mark.django_db

KEY = "timebank.volunteers"  # a public count, higher is better, street and community
PERCENT = "hub.requests_on_time_30d"  # a percentage, street and community

# role, membership region, region whose target is changed -> None (allowed) or the error
MATRIX: list[tuple[str, str, str, type[ServiceError] | None]] = [
    (Role.PLATFORM_ADMIN, "990000000000", STREET, None),
    (Role.PLATFORM_ADMIN, "990000000000", OTHER_STREET, None),
    (Role.STREET_STAFF, STREET, STREET, None),
    (Role.STREET_STAFF, STREET, HOME, None),
    (Role.STREET_STAFF, STREET, VILLAGE, None),
    (Role.STREET_STAFF, STREET, OTHER_STREET, NotFound),
    (Role.COMMUNITY_STAFF, HOME, HOME, None),
    (Role.COMMUNITY_STAFF, HOME, NEXT_DOOR, NotFound),
    (Role.COMMUNITY_STAFF, HOME, STREET, NotFound),
    (Role.DEPARTMENT_ANALYST, "990102000000", STREET, Forbidden),
    (Role.DUTY_OFFICER, VILLAGE, VILLAGE, Forbidden),
    (Role.RESIDENT, HOME, HOME, Forbidden),  # they see it, they do not set it
    (Role.RESIDENT, HOME, NEXT_DOOR, NotFound),
    (Role.VOLUNTEER, HOME, HOME, Forbidden),
    (Role.GARAGE_OPERATOR, HOME, HOME, Forbidden),
]


@pytest.mark.parametrize(("role", "member_at", "region", "refused"), MATRIX)
def test_who_may_change_which_regions_target(
    make_user: Any, role: str, member_at: str, region: str, refused: type[ServiceError] | None
) -> None:
    user = make_user(role, member_at)
    if refused is None:
        goal = targets.set_target(user, KEY, region, "42", "higher")
        assert (goal.target, goal.set_at) == (42.0, region)
        assert Target.objects.filter(indicator=KEY, region__code=region).exists()
        return
    with pytest.raises(refused):
        targets.set_target(user, KEY, region, "42", "higher")
    with pytest.raises(refused):
        targets.reset_target(user, KEY, region)
    assert not Target.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="dashboard.target").exists()


def test_an_indicator_a_resident_does_not_see_is_a_404_to_them(make_user: Any) -> None:
    assert REGISTRY[KEY].public and not REGISTRY[PERCENT].public
    with pytest.raises(NotFound):
        targets.set_target(make_user(Role.RESIDENT, HOME), PERCENT, HOME, "1", "")


def test_the_region_own_target_then_the_street_then_the_registry(
    make_user: Any, regions: dict[str, Region]
) -> None:
    indicator = REGISTRY[PERCENT]
    street, community = make_user(Role.STREET_STAFF, STREET), make_user(Role.COMMUNITY_STAFF, HOME)
    default = targets.effective_target(indicator, regions[HOME])
    assert (default.target, default.direction, default.set_at) == (95, Direction.HIGHER, None)
    targets.set_target(street, PERCENT, STREET, "90", "")
    for code in (STREET, HOME, NEXT_DOOR):  # the street's target is its communities' default
        assert targets.effective_target(indicator, regions[code]).target == 90
    targets.set_target(community, PERCENT, HOME, "80", "lower")
    home = targets.effective_target(indicator, regions[HOME])
    assert (home.target, home.direction, home.set_at) == (80, Direction.LOWER, HOME)
    assert targets.effective_target(indicator, regions[NEXT_DOOR]).set_at == STREET
    assert targets.effective_target(indicator, regions[OTHER_STREET]).target == 95
    targets.reset_target(community, PERCENT, HOME)
    assert targets.effective_target(indicator, regions[HOME]).target == 90


def test_a_change_is_audited_with_the_old_and_the_new_value(make_user: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    targets.set_target(staff, PERCENT, HOME, "85.5", "higher")
    targets.set_target(staff, PERCENT, HOME, "88", "higher")
    targets.reset_target(staff, PERCENT, HOME)
    events = list(AuditEvent.objects.filter(action__startswith="dashboard.target").order_by("id"))
    assert [e.action for e in events] == ["dashboard.target.set"] * 2 + ["dashboard.target.reset"]
    assert all(e.actor == staff and e.region_code == HOME for e in events)
    first, second, reset = (e.details for e in events)
    assert first["old"] == {"target": 95, "direction": "higher", "set_at": None}
    assert first["new"] == {"target": 85.5, "direction": "higher", "set_at": HOME}
    assert (second["old"]["target"], second["new"]["target"]) == (85.5, 88)
    assert (reset["old"]["target"], reset["new"]["target"]) == (88, 95)


@pytest.mark.parametrize(
    ("key", "target", "direction", "field"),
    [
        (KEY, "many", "higher", "target"),
        (KEY, "", "higher", "target"),
        (KEY, "-1", "higher", "target"),
        (KEY, "nan", "higher", "target"),
        (KEY, "inf", "higher", "target"),
        (PERCENT, "101", "higher", "target"),
        (KEY, "10", "sideways", "direction"),
    ],
)
def test_a_bad_target_is_refused_naming_the_field_and_nothing_is_written(
    make_user: Any, key: str, target: str, direction: str, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        targets.set_target(make_user(Role.STREET_STAFF, STREET), key, HOME, target, direction)
    assert list(refused.value.fields) == [field]
    assert not Target.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="dashboard.target").exists()


def test_an_unknown_indicator_or_one_not_shown_at_the_level_is_a_404_naming_it(
    make_user: Any,
) -> None:
    staff = make_user(Role.STREET_STAFF, STREET)
    with pytest.raises(NotFound) as refused:
        targets.set_target(staff, "no.such", HOME, "1", "")
    assert "indicator" in refused.value.fields
    with pytest.raises(NotFound):  # a street-only indicator has no community target
        targets.set_target(staff, "hub.datasets", HOME, "1", "")


def test_cards_judge_a_value_by_the_effective_target(
    make_user: Any, regions: dict[str, Region]
) -> None:
    indicator = REGISTRY[PERCENT]
    figure = values.Figure(indicator, regions[HOME], 90.0, "", "", None)
    assert figure.status == "bad"  # 90 % against the registry's 95 %
    targets.set_target(make_user(Role.COMMUNITY_STAFF, HOME), PERCENT, HOME, "85", "")
    goal = targets.effective_target(indicator, regions[HOME])
    judged = values.Figure(indicator, regions[HOME], 90.0, "", "", None, goal=goal)
    assert (judged.status, judged.target_display) == ("good", "85.0")
    found = values.latest([indicator], [regions[HOME], regions[NEXT_DOOR]])
    assert found[(PERCENT, HOME, "")].target == 85
    assert found[(PERCENT, NEXT_DOOR, "")].target == 95
