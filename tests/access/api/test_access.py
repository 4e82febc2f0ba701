"""Who sees which alerts and logs: a role × object matrix (API and pages).

Two alerts: one at 锦绣社区 (HOME), one at 北山社区 (ELSEWHERE, another district).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from access.factories import ELSEWHERE, HOME, add_device, add_point, add_resident, health_row
from shequ.access.models import Alert
from shequ.access.services import decide
from shequ.access.services.decide import CheckIn
from shequ.core.models import Role

# role, region of the membership
ROLES: dict[str, tuple[str | None, str]] = {
    "admin": (Role.PLATFORM_ADMIN, "990000000000"),
    "street": (Role.STREET_STAFF, "990102001000"),
    "community": (Role.COMMUNITY_STAFF, HOME),
    "community_elsewhere": (Role.COMMUNITY_STAFF, ELSEWHERE),
    "resident": (Role.RESIDENT, HOME),
    "analyst": (Role.DEPARTMENT_ANALYST, "990102000000"),
    "nobody": (None, HOME),
}
# which alerts each role sees
SEES: dict[str, set[str]] = {
    "admin": {"home", "elsewhere"},
    "street": {"home"},
    "community": {"home"},
    "community_elsewhere": {"elsewhere"},
    "resident": set(),
    "analyst": set(),
    "nobody": set(),
}


@pytest.fixture
def alerts(admin: Any, regions: dict[str, Any], load: Any) -> dict[str, Alert]:
    load(
        "health_code_status",
        [health_row(1, "red"), health_row(2, "yellow", ELSEWHERE)],
    )
    made = {}
    for name, code, seq in (("home", HOME, 1), ("elsewhere", ELSEWHERE, 2)):
        device, _raw = add_device(admin, add_point(regions[code]))
        add_resident(admin, regions[code], seq, ref=f"V{seq}")
        decide.check(device, CheckIn(f"e{seq}", "face", f"V{seq}", timezone.now()))
        made[name] = Alert.objects.get(region=regions[code])
    return made


def _user(make_user: Any, role: str) -> Any:
    kind, code = ROLES[role]
    return make_user(kind, code, username=f"u_{role}")


@pytest.mark.parametrize("role", ROLES)
def test_the_alert_list_shows_only_the_users_regions(
    role: str, alerts: dict[str, Alert], make_user: Any, client_for: Any
) -> None:
    client = client_for(_user(make_user, role))
    response = client.get("/api/v1/access/alerts")
    assert response.status_code == 200
    ids = {a["id"] for a in response.json()}
    assert ids == {alerts[name].pk for name in SEES[role]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["home", "elsewhere"])
def test_acknowledging_needs_staff_of_the_alerts_region(
    role: str, target: str, alerts: dict[str, Alert], make_user: Any, client_for: Any
) -> None:
    client = client_for(_user(make_user, role))
    alert = alerts[target]
    response = client.post(
        f"/api/v1/access/alerts/{alert.pk}/acknowledge", {"note": "ok"}, "application/json"
    )
    alert.refresh_from_db()
    if target in SEES[role]:
        assert response.status_code == 200 and alert.status == "acknowledged"
    else:
        assert response.status_code == 404 and alert.status == "open"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["home", "elsewhere"])
def test_the_alert_page_with_its_log_follows_the_same_rule(
    role: str, target: str, alerts: dict[str, Alert], make_user: Any
) -> None:
    client = Client()
    client.force_login(_user(make_user, role))
    response = client.get(f"/access/alerts/{alerts[target].pk}/")
    if target in SEES[role]:
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_the_point_pages_show_only_the_users_regions(
    role: str, alerts: dict[str, Alert], make_user: Any
) -> None:
    client = Client()
    client.force_login(_user(make_user, role))
    for name, alert in alerts.items():
        point = alert.first_event.point if alert.first_event else None
        assert point is not None
        response = client.get(f"/access/points/{point.pk}/")
        expected = 200 if name in SEES[role] else (404, 403)
        if isinstance(expected, int):
            assert response.status_code == expected
        else:
            assert response.status_code in expected


def test_anonymous_gets_401_from_the_api(alerts: dict[str, Alert]) -> None:
    assert Client().get("/api/v1/access/alerts").status_code == 401
