"""The archive: the reports of the caller's regions, and a report's file for a download."""

from __future__ import annotations

from pathlib import Path

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shequ.core.errors import Forbidden, NotFound
from shequ.core.services import audit
from shequ.core.types import Requester, User
from shequ.dashboard.models import WeeklyReport
from shequ.dashboard.services.access import Scope, scope_of
from shequ.dashboard.services.report import store


def staff_scope(user: Requester) -> Scope:
    """Reports are for those who see every indicator (staff, analysts, duty officers)."""
    scope = scope_of(user)
    if scope.public_only or not scope.regions:
        raise Forbidden(_("Weekly reports are for staff."))
    return scope


def listing(user: Requester, region_code: str = "") -> QuerySet[WeeklyReport]:
    scope = staff_scope(user)
    codes = scope.codes
    if region_code:  # that region and those of yours under it (a street's communities)
        region = next((r for r in scope.regions if r.code == region_code), None)
        if region is None:
            raise NotFound(_("No region %(code)s among yours.") % {"code": region_code[:12]})
        codes = {code for code in codes if code.startswith(region.prefix)}
    return WeeklyReport.objects.filter(region__code__in=codes).select_related("region")


def download(user: User, report_id: int, fmt: str, request: HttpRequest | None = None) -> Path:
    """The report's file if it is of one of the caller's regions (else 404); audited."""
    scope = staff_scope(user)
    report = (
        WeeklyReport.objects.filter(pk=report_id, region__code__in=scope.codes)
        .select_related("region")
        .first()
    )
    if report is None or fmt not in store.FORMATS:
        raise NotFound(_("No such report among your regions."))
    path = store.path_of(report.pdf_name if fmt == "pdf" else report.xlsx_name)
    if path is None:
        raise NotFound(_("The report's file is gone: generate it again."))
    audit.record(
        "dashboard.report_download", actor=user, obj=report, request=request, format=fmt,
        week=report.week, language=report.language,
    )  # fmt: skip
    return path
