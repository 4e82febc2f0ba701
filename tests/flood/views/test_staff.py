"""Staff pages: devices with their state, rules edited with validation, the roster, silences."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from flood.access import SEES, make_people
from flood.factories import VILLAGE, add_gauge, admin, rows, threshold_rule
from shequ.core.models import AuditEvent, Region
from shequ.flood.models import DutyShift, MonitoringPoint, Rule, Silence
from shequ.flood.services import ingest, roster

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rules(culvert: MonitoringPoint, far_point: MonitoringPoint) -> dict[str, Rule]:
    made = {}
    for point, code in ((culvert, "W01"), (far_point, "B01")):
        gauge, _token = add_gauge(point, code, interval_seconds=60)
        made[point.code] = threshold_rule(gauge)
    ingest.ingest(made["culvert"].device, rows(3.0, start=timezone.now()))
    return made


def local(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("name", sorted(SEES))
def test_staff_pages_by_role(
    name: str, make_user: Callable[..., Any], rules: dict[str, Rule]
) -> None:
    client = login(make_people(make_user)[name])
    seen = SEES[name]
    if seen is None:
        for url in ("/flood/staff/", "/flood/staff/roster/", "/flood/staff/silences/"):
            assert client.get(url).status_code == 403
        return
    page = client.get("/flood/staff/").content.decode()
    for code, rule in rules.items():
        assert (f'data-testid="rule-{rule.pk}"' in page) == (code in seen)
        edit = client.post(f"/flood/staff/rules/{rule.pk}/", {
            "blue": 5, "yellow": 10, "orange": 20, "red": 30, "window_minutes": 10,
            "pending_seconds": 0, "clear_margin": 0, "clear_seconds": 0, "enabled": "on",
        })  # fmt: skip
        assert edit.status_code == (302 if code in seen else 404)
        rule.refresh_from_db()
        assert (rule.red == 30) == (code in seen)


def test_devices_show_online_and_offline(
    make_user: Callable[..., Any], rules: dict[str, Rule]
) -> None:
    add_gauge(rules["culvert"].point, "W02")  # never reported
    page = login(make_people(make_user)["village_officer"]).get("/flood/staff/").content.decode()
    state = dict(re.findall(r'data-testid="state-(W0\d)">(.*?)</td>', page))
    assert state == {"W01": "在线", "W02": '<span class="error">离线</span>'}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"yellow": 5, "blue": 10}, "yellow"),
        ({"red": 20, "orange": 25}, "red"),
        ({"blue": "", "yellow": "", "orange": "", "red": ""}, "blue"),
        ({"clear_margin": -1}, "clear_margin"),
        ({"window_minutes": "x"}, "window_minutes"),
    ],
)
def test_a_bad_rule_names_its_field(
    make_user: Callable[..., Any], rules: dict[str, Rule], change: dict[str, Any], field: str
) -> None:
    rule = rules["culvert"]
    form = {
        "blue": 10, "yellow": 15, "orange": 25, "red": 40, "window_minutes": 10,
        "pending_seconds": 0, "clear_margin": 0, "clear_seconds": 0, "enabled": "on",
    } | change  # fmt: skip
    answer = login(make_people(make_user)["village_officer"]).post(
        f"/flood/staff/rules/{rule.pk}/", form
    )
    assert answer.status_code == 422
    assert f'data-testid="error-{field}"' in answer.content.decode()
    rule.refresh_from_db()
    assert (rule.blue, rule.red) == (10.0, 40.0)
    assert not AuditEvent.objects.filter(action="flood.rule.update").exists()


def test_the_roster_adds_and_ends_shifts(
    make_user: Callable[..., Any], regions: dict[str, Region], culvert: MonitoringPoint
) -> None:
    people = make_people(make_user)
    client = login(people["street_staff"])
    now = timezone.now()
    form = {
        "region": VILLAGE, "person": people["village_officer"].username, "tier": 1,
        "starts_at": local(now), "ends_at": local(now + timedelta(hours=8)), "min_level": 1,
    }  # fmt: skip
    for change, field in (
        ({"person": people["far_officer"].username}, "person"),
        ({"person": "nobody"}, "person"),
        ({"ends_at": local(now - timedelta(hours=1))}, "ends_at"),
        ({"region": "990103001001"}, "region"),
    ):
        refused = client.post("/flood/staff/roster/", form | change)
        assert refused.status_code == 422, change
        assert f'data-testid="error-{field}"' in refused.content.decode(), change
    assert not DutyShift.objects.exists()
    assert client.post("/flood/staff/roster/", form).status_code == 302
    shift = DutyShift.objects.get()
    assert f'data-testid="shift-{shift.pk}"' in client.get("/flood/staff/roster/").content.decode()
    far = login(people["far_officer"])
    assert far.post(f"/flood/staff/roster/{shift.pk}/end/").status_code == 404
    assert client.post(f"/flood/staff/roster/{shift.pk}/end/").status_code == 302
    shift.refresh_from_db()
    assert shift.ends_at <= timezone.now() + timedelta(seconds=1)
    assert roster.on_duty(culvert, 1, 4, timezone.now() + timedelta(seconds=2)) == []


def test_silences_are_added_listed_and_ended(
    make_user: Callable[..., Any], culvert: MonitoringPoint, far_point: MonitoringPoint
) -> None:
    people = make_people(make_user)
    client = login(people["village_officer"])
    until = timezone.now() + timedelta(hours=2)
    past = client.post(
        "/flood/staff/silences/",
        {"point": "culvert", "until": local(timezone.now() - timedelta(hours=1)), "reason": "检修"},
    )
    assert past.status_code == 422 and 'data-testid="error-until"' in past.content.decode()
    other = client.post(
        "/flood/staff/silences/", {"point": "beishan", "until": local(until), "reason": "检修"}
    )
    assert other.status_code == 422 and 'data-testid="error-point"' in other.content.decode()
    assert (
        client.post(
            "/flood/staff/silences/",
            {"point": "culvert", "until": local(until), "reason": "水位计检修"},
        ).status_code
        == 302
    )
    made = Silence.objects.get()
    assert (
        f'data-testid="silence-{made.pk}"' in client.get("/flood/staff/silences/").content.decode()
    )
    assert (
        login(people["far_officer"]).post(f"/flood/staff/silences/{made.pk}/end/").status_code
        == 404
    )
    assert client.post(f"/flood/staff/silences/{made.pk}/end/").status_code == 302
    made.refresh_from_db()
    assert made.until <= timezone.now()
    assert 'data-testid="no-silences"' in client.get("/flood/staff/silences/").content.decode()
    assert AuditEvent.objects.filter(action="flood.silence.end").count() == 1


def test_update_rule_in_the_service(rules: dict[str, Rule]) -> None:
    from shequ.core.errors import Forbidden, Invalid
    from shequ.flood.services import devices

    rule = rules["culvert"]
    with pytest.raises(Invalid) as refused:
        devices.update_rule(admin(), rule, colour="red")
    assert "colour" in refused.value.fields
    with pytest.raises(Invalid) as refused:
        devices.update_rule(admin(), rule, red=float("inf"))
    assert "red" in refused.value.fields
    assert devices.update_rule(admin(), rule, yellow=None).yellow is None  # a level skipped
    with pytest.raises(Forbidden):
        from django.contrib.auth import get_user_model

        from shequ.core.models import Membership, Role

        far = get_user_model().objects.create_user("far-x")
        Membership.objects.create(
            user=far, region=Region.objects.get(code="990103001001"), role=Role.DUTY_OFFICER
        )
        devices.update_rule(far, rule, red=50.0)


def test_the_devices_page_changes_an_interval_and_shows_it_pending_then_applied(
    make_user: Callable[..., Any], rules: dict[str, Rule]
) -> None:
    from shequ.flood.services import downlink

    client = login(make_user("duty_officer", VILLAGE))
    sent = client.post("/flood/staff/devices/W01/interval/", {"interval_seconds": 300})
    assert sent.status_code == 302
    page = client.get("/flood/staff/").content.decode()
    assert 'data-testid="config-W01" data-state="pending"' in page
    downlink.acknowledge("W01", {"version": 1})
    page = client.get("/flood/staff/").content.decode()
    assert 'data-testid="config-W01" data-state="acknowledged"' in page
    elsewhere = client.post("/flood/staff/devices/B01/interval/", {"interval_seconds": 300})
    assert elsewhere.status_code == 404


def test_a_person_on_duty_chooses_on_the_roster_page_how_they_are_told(
    make_user: Callable[..., Any], regions: dict[str, Region]
) -> None:
    clerk = make_user("duty_officer", VILLAGE)
    now = timezone.now()
    shift = roster.add_shift(admin(), regions[VILLAGE], clerk, now, now + timedelta(hours=8))
    client = login(clerk)
    bad = client.post("/flood/staff/roster/me/channel/", {"kind": "email", "address": "nope"})
    assert bad.status_code == 302 and not roster.channels_of(clerk)
    sent = client.post(
        "/flood/staff/roster/me/channel/", {"kind": "email", "address": "wang@example.org"}
    )
    assert sent.status_code == 302
    page = client.get("/flood/staff/roster/").content.decode()
    row = re.search(rf'data-testid="reach-{shift.pk}">(.*?)</td>', page)
    assert row is not None and "w***@example.org" in row.group(1)
    assert "wang@example.org" not in page
    client.post("/flood/staff/roster/me/channel/", {"drop": "email"})
    assert not [c for c in roster.channels_of(clerk) if c.enabled]
