"""The weekly reports' archive: each role sees and downloads its own regions' reports only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dashboard.factories import HOME, NEXT_DOOR, OTHER_STREET, STREET, VILLAGE
from shequ.core.models import AuditEvent, Role
from shequ.dashboard.models import WeeklyReport
from shequ.dashboard.services.report import store

pytestmark = pytest.mark.django_db
REGIONS = [STREET, HOME, NEXT_DOOR, VILLAGE, OTHER_STREET]


@pytest.fixture
def archive(regions: Any) -> dict[str, WeeklyReport]:
    """A 2026-W49 report of each region with files whose bytes name the region.

    Access does not depend on what a report says: the files are written as ``store`` does,
    the content is tested in tests/dashboard/report."""
    made = {}
    for code in REGIONS:
        names = {fmt: f"{code}/2026-W49-zh-hans.{fmt}" for fmt in store.FORMATS}
        for fmt, name in names.items():
            store._write(name, f"{fmt} of {code}".encode())
        made[code] = WeeklyReport.objects.create(
            region=regions[code], week="2026-W49", week_start="2026-11-30", language="zh-hans",
            generated_at=timezone.now(), xlsx_name=names["xlsx"], pdf_name=names["pdf"],
        )  # fmt: skip
    return made


# role, where the membership is -> the regions whose reports it sees (others: 404)
MATRIX = [
    (Role.PLATFORM_ADMIN, "990000000000", set(REGIONS)),
    (Role.STREET_STAFF, STREET, {STREET, HOME, NEXT_DOOR, VILLAGE}),
    (Role.COMMUNITY_STAFF, HOME, {HOME}),
    (Role.COMMUNITY_STAFF, NEXT_DOOR, {NEXT_DOOR}),
    (Role.DEPARTMENT_ANALYST, "990102000000", set(REGIONS)),
    (Role.DUTY_OFFICER, VILLAGE, {VILLAGE}),
]


@pytest.mark.parametrize(("role", "member_at", "sees"), MATRIX)
def test_reports_follow_the_users_regions(
    make_user: Any, archive: dict[str, WeeklyReport], role: str, member_at: str, sees: set[str]
) -> None:
    client = Client()
    client.force_login(make_user(role, member_at))
    page = client.get("/dashboard/reports/")
    assert page.status_code == 200
    listed = {code for code in REGIONS if f"report-{code}-2026-W49" in page.content.decode()}
    assert listed == sees
    for code, report in archive.items():
        for fmt in ("pdf", "xlsx"):
            got = client.get(f"/dashboard/reports/{report.pk}.{fmt}")
            expected = 200 if code in sees else 404
            assert got.status_code == expected, (role, member_at, code, fmt, got.status_code)
            if expected == 200:
                assert b"".join(got.streaming_content) == f"{fmt} of {code}".encode()  # type: ignore[attr-defined]
                assert got["Cache-Control"] == "private, no-store"
        asked = client.get("/dashboard/reports/", {"region": code})
        assert asked.status_code == (200 if code in sees else 404)


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER, Role.GARAGE_OPERATOR, None])
def test_residents_volunteers_operators_and_outsiders_get_no_reports(
    make_user: Any, archive: dict[str, WeeklyReport], role: str | None
) -> None:
    client = Client()
    client.force_login(make_user(role, HOME))
    assert client.get("/dashboard/reports/").status_code == 403
    assert client.get(f"/dashboard/reports/{archive[HOME].pk}.pdf").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(archive: dict[str, WeeklyReport]) -> None:
    client = Client()
    assert client.get("/dashboard/reports/").status_code == 302
    assert client.get(f"/dashboard/reports/{archive[HOME].pk}.pdf").status_code == 302


def test_a_download_is_audited_and_an_unknown_format_or_lost_file_is_404(
    staff: Any, archive: dict[str, WeeklyReport]
) -> None:
    client = Client()
    client.force_login(staff)
    report = archive[HOME]
    assert client.get(f"/dashboard/reports/{report.pk}.pdf").status_code == 200
    event = AuditEvent.objects.get(action="dashboard.report_download")
    assert (event.actor, event.region_code, event.object_id) == (staff, HOME, str(report.pk))
    assert event.details == {"format": "pdf", "week": "2026-W49", "language": "zh-hans"}
    assert client.get(f"/dashboard/reports/{report.pk}.docx").status_code == 404
    (store.root() / report.xlsx_name).unlink()
    assert client.get(f"/dashboard/reports/{report.pk}.xlsx").status_code == 404
    assert AuditEvent.objects.filter(action="dashboard.report_download").count() == 1


def test_the_archive_is_in_the_dashboards_navigation_in_both_languages(
    staff: Any, archive: dict[str, WeeklyReport]
) -> None:
    client = Client()
    client.force_login(staff)
    overview = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="nav-reports"' in overview and "周报" in overview
    page = client.get("/dashboard/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "周报" in page and "中文" in page and "待解决问题 0 项" in page
    client.cookies.load({"django_language": "en"})
    english = client.get("/dashboard/reports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Weekly reports" in english and "0 open problems" in english


def test_a_streets_archive_lists_its_communities_reports_too(
    make_user: Any, archive: dict[str, WeeklyReport]
) -> None:
    client = Client()
    client.force_login(make_user(Role.DEPARTMENT_ANALYST, "990102000000"))
    page = client.get("/dashboard/reports/", {"region": STREET}).content.decode()
    listed = {code for code in REGIONS if f"report-{code}-2026-W49" in page}
    assert listed == {STREET, HOME, NEXT_DOOR, VILLAGE}  # not the other street's
