"""The access pages in zh-Hans and English: staff (points, devices, alerts, passes, consent)
and residents (my passes: issue, QR, revoke; my consent: withdraw)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from access.factories import HOME, add_resident, health_row
from shequ.access.models import AccessPoint, Alert, Device, VisitorPass
from shequ.access.services import decide
from shequ.access.services.decide import CheckIn
from shequ.core.models import AuditEvent


def _login(user: Any, lang: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


@pytest.fixture
def resident(staff: Any, regions: dict[str, Any], make_user: Any, point: Any) -> Any:
    user = make_user("resident", HOME, username="resident")
    add_resident(staff, regions[HOME], 1, ref="V1", user=user)
    return user


@pytest.mark.parametrize(
    "url",
    [
        "/access/",
        "/access/points/",
        "/access/alerts/",
        "/access/passes/",
        "/access/consents/",
        "/access/welfare/",
    ],
)
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_staff_pages_render(staff: Any, point: Any, url: str, lang: str) -> None:
    response = _login(staff, lang).get(url)
    assert response.status_code == 200
    assert ("门禁" if lang == "zh-hans" else "Access") in response.content.decode()


def test_staff_add_a_point_and_issue_a_device_token(staff: Any, regions: dict[str, Any]) -> None:
    client = _login(staff)
    response = client.post(
        "/access/points/", {"region": HOME, "estate": "锦绣花园", "name": "东门", "kind": "gate"}
    )
    assert response.status_code == 302
    point = AccessPoint.objects.get(name="东门")
    page = client.post(f"/access/points/{point.pk}/", {"name": "人脸机1", "kind": "face"})
    token = page.context["token"]
    assert token.startswith("door_") and token in page.content.decode()
    device = Device.objects.get()
    assert token not in (device.digest, device.prefix)  # only its hash is kept
    client.post(f"/access/devices/{device.pk}/revoke/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_a_point_form_names_the_missing_field(staff: Any, regions: dict[str, Any]) -> None:
    response = _login(staff, "en").post(
        "/access/points/", {"region": HOME, "estate": "", "name": "东门", "kind": "gate"}
    )
    assert response.status_code == 200 and "estate" in response.context["form"].errors
    assert not AccessPoint.objects.exists()


def test_the_point_page_audits_its_log_view(staff: Any, point: Any) -> None:
    _login(staff).get(f"/access/points/{point.pk}/")
    assert AuditEvent.objects.filter(action="access.log.view", actor=staff).count() == 1


def test_staff_acknowledge_an_alert_with_a_note(
    staff: Any, regions: dict[str, Any], terminal: Any, load: Any
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    for n in range(3):
        decide.check(terminal[0], CheckIn(f"e{n}", "face", "V1", timezone.now()))
    alert = Alert.objects.get()
    client = _login(staff)
    inbox = client.get("/access/alerts/")
    assert inbox.status_code == 200 and f"/access/alerts/{alert.pk}/" in inbox.content.decode()
    page = client.get(f"/access/alerts/{alert.pk}/")
    assert len(page.context["events"]) == 3
    response = client.post(f"/access/alerts/{alert.pk}/", {"note": "已上门核实"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.note) == ("acknowledged", "已上门核实")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_resident_pages_render(resident: Any, lang: str) -> None:
    client = _login(resident, lang)
    assert client.get("/access/").status_code == 302  # residents land on their passes
    for url in ("/access/me/passes/", "/access/me/consent/"):
        assert client.get(url).status_code == 200
    page = client.get("/access/me/passes/").content.decode()
    # a phone's date-time picker shows its initial value only as YYYY-MM-DDTHH:MM
    assert re.search(
        r'type="datetime-local" name="valid_from" value="\d{4}-\d\d-\d\dT\d\d:\d\d"', page
    )


def test_a_resident_issues_shows_and_revokes_a_pass(resident: Any) -> None:
    client = _login(resident)
    start = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post(
        "/access/me/passes/",
        {
            "estate": "锦绣花园",
            "visitor": "张三",
            "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "max_uses": 2,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    visitor_pass = VisitorPass.objects.get()
    assert visitor_pass.visitor_masked != "张三" and visitor_pass.max_uses == 2
    qr = client.get(f"/access/me/passes/{visitor_pass.pk}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content and b'xmlns="http://www.w3.org/2000/svg"' in qr.content
    client.post(f"/access/me/passes/{visitor_pass.pk}/revoke/")
    visitor_pass.refresh_from_db()
    assert visitor_pass.revoked_at is not None


def test_a_pass_form_names_a_bad_period(resident: Any) -> None:
    client = _login(resident, "en")
    start = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post(
        "/access/me/passes/",
        {
            "estate": "锦绣花园",
            "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (start + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
            "max_uses": 1,
        },
    )
    assert response.status_code == 200
    assert "valid_until" in response.context["form"].errors
    assert not VisitorPass.objects.exists()


def test_someone_elses_pass_is_not_found(resident: Any, make_user: Any, staff: Any) -> None:
    from shequ.access.services import passes

    now = timezone.now()
    other, _token = passes.issue(
        staff,
        resident.access_credentials.get().region,
        "锦绣花园",
        visitor="",
        valid_from=now,
        valid_until=now + timedelta(hours=1),
    )
    client = _login(resident)
    assert client.get(f"/access/me/passes/{other.pk}/").status_code == 404
    assert client.get(f"/access/me/passes/{other.pk}/qr.svg").status_code == 404


def test_a_resident_without_a_credential_cannot_issue(make_user: Any, point: Any) -> None:
    client = _login(make_user("resident", HOME))
    page = client.get("/access/me/passes/")
    assert page.status_code == 200 and not page.context["estates"]


def test_a_resident_withdraws_consent(resident: Any) -> None:
    client = _login(resident)
    credential = resident.access_credentials.get()
    assert client.post(f"/access/me/consent/{credential.pk}/withdraw/", {}).status_code == 302
    credential.consent.refresh_from_db()
    assert credential.consent.withdrawn_at is None  # not confirmed: nothing changes
    client.post(f"/access/me/consent/{credential.pk}/withdraw/", {"confirm": "on"})
    credential.consent.refresh_from_db()
    assert credential.consent.withdrawn_at is not None


def test_residents_cannot_open_staff_pages(resident: Any) -> None:
    client = _login(resident)
    for url in ("/access/points/", "/access/alerts/", "/access/passes/", "/access/consents/"):
        assert client.get(url).status_code == 403


def test_staff_record_a_welfare_outcome(staff: Any, regions: dict[str, Any], point: Any) -> None:
    from shequ.access.models import WelfareCheck

    credential = add_resident(staff, regions[HOME], 1, ref="V1")
    check = WelfareCheck.objects.create(
        region=regions[HOME], person=credential.person, raised_at=timezone.now()
    )
    client = _login(staff)
    page = client.get("/access/welfare/")
    assert f"/access/welfare/{check.pk}/outcome/" in page.content.decode()
    client.post(f"/access/welfare/{check.pk}/outcome/", {"outcome": "nonsense"})
    check.refresh_from_db()
    assert check.outcome == "open"
    client.post(f"/access/welfare/{check.pk}/outcome/", {"outcome": "helped", "note": "送餐"})
    check.refresh_from_db()
    assert (check.outcome, check.note, check.recorded_by) == ("helped", "送餐", staff)
