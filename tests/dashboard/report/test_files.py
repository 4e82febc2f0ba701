"""The report's files: the PDF's Chinese text in an embedded font, the workbook read back, one
row per region, week and language however often it is generated, and staff told once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import connection

from dashboard.factories import HOME, NEXT_DOOR, STREET, registered
from dashboard.report.support import indicator, pdf_fonts, pdf_text, store
from shequ.core.models import Channel, InboxMessage, Role
from shequ.dashboard.models import WeeklyReport
from shequ.dashboard.services.report import fonts, weekly, weeks
from shequ.dashboard.services.report import store as reports

pytestmark = pytest.mark.django_db
W49 = weeks.parse("2026-W49")


@pytest.fixture
def figures(regions: Any) -> Any:
    with registered(indicator("test.up", target=10, decimals=1)):
        store("test.up", regions[HOME], "2026-11-27 09:00", 9.0)
        store("test.up", regions[HOME], "2026-12-03 09:00", 12345.5)
        yield regions


def test_the_pdf_says_it_in_chinese_in_an_embedded_font(figures: Any) -> None:
    made = reports.generate(figures[HOME], W49, "zh-hans")
    path = reports.path_of(made.pdf_name)
    assert path is not None and path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    assert "锦绣社区周报（2026-W49）" in text
    assert "2026-11-30 至 2026-12-06" in text
    assert "测试up" in text and "12,345.5" in text and "+12,336.5" in text and "达标" in text
    assert "暂无数据" in text and "待解决问题" in text
    listed = pdf_fonts(path)
    assert "NotoSansCJK" in listed or "CID" in listed
    for row in listed.splitlines()[2:]:
        assert " yes yes yes " in row, row  # embedded, subset, with a Unicode map


def test_the_english_pdf_is_in_english(figures: Any) -> None:
    made = reports.generate(figures[HOME], W49, "en")
    text = pdf_text(Path(reports.root() / made.pdf_name))
    assert "锦绣社区 weekly report, 2026-W49" in text  # the region's name stays Chinese
    assert "This week" in text and "no data" in text and "Open problems" in text


def test_the_workbook_reads_back_with_numbers_and_no_data_in_words(figures: Any) -> None:
    made = reports.generate(figures[HOME], W49, "zh-hans")
    book = openpyxl.load_workbook(reports.root() / made.xlsx_name)
    sheet = book["指标"]
    assert sheet["A1"].value == "锦绣社区周报（2026-W49）"
    header = [c.value for c in sheet[5]]
    assert header[:7] == ["指标", "单位", "本周", "上周", "变化", "目标", "是否达标"]
    rows = {r[8]: r for r in sheet.iter_rows(min_row=6, values_only=True)}
    assert rows["test.up"][2:7] == (12345.5, 9.0, 12336.5, 10, "达标")
    missing = rows["parking.idle_night_spaces"]
    assert missing[2] == "暂无数据" and "该周未计算" in missing[7]  # never an empty cell or 0
    assert [c.value for c in book["待解决问题"][1]] == ["问题", "数量"]


def test_generating_again_keeps_one_row_and_replaces_the_files(figures: Any) -> None:
    first = reports.generate(figures[HOME], W49, "zh-hans")
    before = (reports.root() / first.pdf_name).read_bytes()
    store("test.up", figures[HOME], "2026-12-05 09:00", 3.0)  # a late value changes the week
    again = reports.generate(figures[HOME], W49, "zh-hans")
    assert WeeklyReport.objects.filter(region=figures[HOME], week="2026-W49").count() == 1
    assert again.pk == first.pk and again.generated_at > first.generated_at
    assert again.off_target == first.off_target + 1
    assert (reports.root() / again.pdf_name).read_bytes() != before
    assert sorted(p.name for p in (reports.root() / HOME).iterdir()) == [
        "2026-W49-zh-hans.pdf", "2026-W49-zh-hans.xlsx"]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_generations_at_once_end_with_one_row(figures: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite's test database locks)")
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            reports.generate(figures[NEXT_DOOR], W49, "en")
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert WeeklyReport.objects.filter(region=figures[NEXT_DOOR], week="2026-W49").count() == 1
    assert pdf_text(reports.root() / f"{NEXT_DOOR}/2026-W49-en.pdf")


def test_a_language_not_offered_is_refused_and_nothing_written(figures: Any) -> None:
    with pytest.raises(Exception, match="language") as refused:
        reports.generate(figures[HOME], W49, "fr")
    assert "language" in refused.value.fields  # type: ignore[attr-defined]
    assert not WeeklyReport.objects.exists() and not reports.root().exists()


def test_no_chinese_font_is_a_clear_error_not_boxes(figures: Any, settings: Any,
                                                    tmp_path: Path) -> None:  # fmt: skip
    not_a_font = tmp_path / "plain.ttf"
    not_a_font.write_bytes(b"nothing")
    settings.REPORT_FONT = str(not_a_font)
    fonts._find.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="not a font with Chinese glyphs"):
            reports.generate(figures[HOME], W49, "zh-hans")
        settings.REPORT_FONT = ""
        fonts._find.cache_clear()
        original = fonts.USUAL
        fonts.USUAL = (str(tmp_path / "none.ttc"),)
        try:
            with pytest.raises(fonts.FontMissing, match=r"fonts-noto-cjk.*none\.ttc"):
                fonts.find()
        finally:
            fonts.USUAL = original
    finally:
        fonts._find.cache_clear()
    assert not WeeklyReport.objects.exists()


def test_a_configured_collection_picks_its_simplified_chinese_face(settings: Any) -> None:
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not noto.is_file():
        pytest.skip("fonts-noto-cjk is not installed")
    settings.REPORT_FONT = str(noto)
    fonts._find.cache_clear()
    try:
        face = fonts.find()
    finally:
        fonts._find.cache_clear()
    assert face.path == noto and face.index == 2  # JP, KR, SC, …: the SC face
    assert face.bold is not None and face.bold.path.name == "NotoSansCJK-Bold.ttc"


def test_the_monday_run_tells_each_regions_staff_once_with_a_link(
    figures: Any, make_user: Any
) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    Channel.objects.create(region=figures[HOME], kind="inbox", name="inbox", config={})
    both = [figures[STREET], figures[HOME]]
    outcome = weekly.run(W49, only=both)
    assert outcome.failed == [] and outcome.reports == 4 and outcome.notified == 2
    again = weekly.run(W49, only=both, languages=["zh-hans"])
    assert again.notified == 0  # the files are regenerated, nobody is told twice
    messages = list(InboxMessage.objects.filter(user=staff))
    assert len(messages) == 1
    assert messages[0].url == f"/dashboard/reports/?region={HOME}"
    assert "2026-W49" in messages[0].title and "12,345" not in messages[0].body
    assert WeeklyReport.objects.filter(week="2026-W49", region__code=STREET).count() == 2
