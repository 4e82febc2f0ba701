"""The weekly report against the real processes: `shequ dashboard report` writes last week's
report of the demo's street and community from the demo's two weeks of indicator values, and
their staff download it over HTTP from the archive page, each only their own region's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from system_support import Platform, assert_clean

STREET = "990102001000"  # 望湖街道
COMMUNITY = "990102001001"  # 锦绣社区


def report(platform: Platform, *argv: str) -> str:
    return platform.run("dashboard", "report", *argv)


def links(page: str, region: str) -> dict[str, str]:
    """The archive row's download links of a region: {'pdf': url, 'xlsx': url} (Chinese)."""
    row = re.search(rf'data-testid="report-{region}-[^"]+">(.*?)</tr>', page, re.S)
    assert row, f"no report of {region} listed"
    found = re.findall(r'href="(/dashboard/reports/\d+\.(pdf|xlsx))"', row[1])
    return {fmt: url for url, fmt in found[:2]}


def test_staff_download_their_regions_weekly_report_as_pdf(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    said = report(platform, "--region", STREET)
    assert f"{STREET} " in said and "2 reports" in said
    report(platform, "--region", COMMUNITY, "--language", "zh-hans")
    refused = report_refused(platform, "--week", "2026-W99")
    assert "week" in refused and "2026-W99" in refused and "ISO" in refused

    street, community = clients["street"], clients["community"]
    page = street.get("/dashboard/reports/")
    assert_clean(page, "archive")
    assert page.status_code == 200 and "周报" in page.text
    mine = links(page.text, STREET)
    pdf = street.get(mine["pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    xlsx = street.get(mine["xlsx"])
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    if os.environ.get("SHEQU_SCREENSHOT_DIR"):  # kept beside the screenshots, to look at
        folder = Path(os.environ["SHEQU_SCREENSHOT_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dashboard-weekly-report-street.pdf").write_bytes(pdf.content)
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext (poppler-utils) is missing: .ci/run installs it")
    text = subprocess.run(
        [tool, "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "望湖街道周报" in text and "待解决问题" in text
    assert "达标" in text  # the demo's values met or missed their targets: not all "no data"
    assert "356 人" in text  # the demo's volunteers (R4.3), as the week closed

    # The community's staff see their community's report, not the street's.
    own = community.get("/dashboard/reports/")
    assert own.status_code == 200 and f"report-{STREET}-" not in own.text
    assert community.get(links(own.text, COMMUNITY)["pdf"]).status_code == 200
    assert community.get(mine["pdf"]).status_code == 404
    assert clients["resident"].get(mine["pdf"]).status_code == 403


def report_refused(platform: Platform, *argv: str) -> str:
    return platform.run("dashboard", "report", *argv, expect=2, timeout=120)
