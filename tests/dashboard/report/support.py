"""Values in given weeks for the weekly report's tests, and reading its files back."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from shequ.core.models import Region
from shequ.dashboard.indicators import Direction, Function, Indicator, NoData, Reason
from shequ.dashboard.models import Value


def _never(region: Region, now: datetime) -> float:
    raise NoData(Reason.ERROR, "the tests store values by hand")


def indicator(key: str, target: float | None, direction: Direction = Direction.HIGHER,
              decimals: int = 0) -> Indicator:  # fmt: skip
    return Indicator(key, "parking", f"测试{key[-2:]}", f"Test {key}", "个", "n",
                     Function(_never), target=target, direction=direction,
                     decimals=decimals)  # fmt: skip


def local(text: str) -> datetime:
    """A moment in the platform's time zone: '2026-12-02 10:00'."""
    return timezone.make_aware(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def store(key: str, region: Region, at: str, value: float | None, reason: str = "",
          detail: str = "") -> Value:  # fmt: skip
    return Value.objects.create(indicator=key, region=region, at=local(at), value=value,
                                reason=reason, detail=detail)  # fmt: skip


def skip_or_fail(reason: str) -> None:
    if os.environ.get("SHEQU_TEST_STRICT") == "1":  # CI installs poppler-utils
        pytest.fail(f"{reason} (SHEQU_TEST_STRICT=1: CI must provide it)")
    pytest.skip(reason)


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        skip_or_fail("pdftotext (poppler-utils) is not installed")
    done = subprocess.run([str(tool), "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def pdf_fonts(path: Path) -> str:
    tool = shutil.which("pdffonts")
    if tool is None:
        skip_or_fail("pdffonts (poppler-utils) is not installed")
    return subprocess.run([str(tool), str(path)], capture_output=True, check=True).stdout.decode()
