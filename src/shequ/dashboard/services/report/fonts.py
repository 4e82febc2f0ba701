"""The PDF's font: one with Chinese glyphs, embedded (subset) in every report.

``SHEQU_REPORT_FONT`` names a .ttf, .otf or .ttc file; without it the usual places are tried
(Debian's and Fedora's Noto CJK, WenQuanYi, Droid fallback, macOS and Windows fonts). A
collection (.ttc) holds several faces: the Simplified Chinese one is chosen. No font with
Chinese glyphs is a clear error, never a PDF of empty boxes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from fontTools.ttLib import TTCollection, TTFont

from shequ.core.errors import ServiceError

USUAL = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
PROBE = "社区周报指标"  # glyphs a report cannot do without


class FontMissing(ServiceError):
    status = 500
    default_code = "report_font_missing"


@dataclass(frozen=True)
class Face:
    path: Path
    index: int  # the face within a collection (0 for a single font)
    bold: Face | None = None


def _covers(font: TTFont) -> bool:
    cmap = font.getBestCmap() or {}
    return all(ord(c) in cmap for c in PROBE)


def _simplified(font: TTFont) -> bool:
    name = str(font["name"].getDebugName(1) or "")
    return name.endswith((" SC", "SC")) or "GB" in name or "Hei" in name or "hei" in name


def face_of(path: Path) -> int | None:
    """The index of the face with Chinese glyphs (the Simplified one first), None without."""
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            fonts = TTCollection(str(path), lazy=True).fonts
        else:
            fonts = [TTFont(str(path), lazy=True, fontNumber=0)]
    except Exception:  # not a font file at all
        return None
    covering = [n for n, font in enumerate(fonts) if _covers(font)]
    simplified = [n for n in covering if _simplified(fonts[n])]
    chosen = simplified or covering
    return chosen[0] if chosen else None


def _bold_of(path: Path) -> Face | None:
    for name in (path.name.replace("Regular", "Bold"), path.name.replace("-Regular", "-Medium")):
        sibling = path.with_name(name)
        if name != path.name and sibling.is_file():
            index = face_of(sibling)
            if index is not None:
                return Face(sibling, index)
    return None


@functools.cache
def _find(configured: str) -> Face:
    candidates = [configured] if configured else list(USUAL)
    for candidate in candidates:
        path = Path(candidate)
        if not path.is_file():
            continue
        index = face_of(path)
        if index is not None:
            return Face(path, index, _bold_of(path))
    if configured:
        message = _(
            "SHEQU_REPORT_FONT=%(path)s is not a font with Chinese glyphs: name a .ttf, .otf or "
            ".ttc file that has them (Debian: apt-get install fonts-noto-cjk)."
        ) % {"path": configured}
    else:
        message = _(
            "No font with Chinese glyphs for the weekly report's PDF: install one (Debian: "
            "apt-get install fonts-noto-cjk) or set SHEQU_REPORT_FONT to a .ttf, .otf or .ttc "
            "file. Looked in: %(paths)s."
        ) % {"paths": ", ".join(USUAL)}
    raise FontMissing(message)


def find() -> Face:
    """The report font (configured, else found); ``FontMissing`` says how to get one."""
    return _find(str(settings.REPORT_FONT or ""))
