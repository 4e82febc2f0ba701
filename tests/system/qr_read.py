"""Read back the QR code of an SVG that segno drew (a visitor pass shown on a phone).

The system tier has no camera and no QR library: the modules are taken from the SVG's path,
the data modules are read in the standard's placement order under each of the eight masks,
and an answer counts only when segno, asked to draw that text with that mask, draws exactly
the same modules (so a misread can never pass as a token).
"""

from __future__ import annotations

import re
from typing import Any

import segno
from segno import consts, encoder

_STEP = re.compile(r"([MmHh])\s*(-?\d+(?:\.\d+)?)(?:[\s,]+(-?\d+(?:\.\d+)?))?")


def svg_modules(svg: str) -> list[list[int]]:
    """The dark modules of segno's SVG (``d="M4 4.5h7m3 0h1…"``), without the quiet zone."""
    found = re.search(r'\sd="([^"]+)"', svg)
    assert found, "no path in the QR code's SVG"
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in _STEP.findall(found.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:  # "h": a run of dark modules on the current row
            run = int(float(a))
            dark.update((int(y), int(x) + k) for k in range(run))
            x += run
    border = min(c for _r, c in dark)  # the top-left finder's corner sits on the quiet zone
    size = max(c for _r, c in dark) - border + 1
    return [[int((r + border, c + border) in dark) for c in range(size)] for r in range(size)]


def _data_positions(size: int) -> list[tuple[int, int]]:
    """Where the codeword bits sit, in order (ISO/IEC 18004 7.7.3, as segno places them)."""
    layout = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(layout, size, size)
    encoder.add_alignment_patterns(layout, size, size)
    order: list[tuple[int, int]] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (size - 1 - vertical) if upwards else vertical
                if layout[i][j] == 0x2:
                    order.append((i, j))
    return order


def _text(version: int, data: list[int]) -> str | None:
    bits = "".join(f"{b:08b}" for b in data)
    if bits[:4] != "0100":  # byte mode
        return None
    width = 8 if version < 10 else 16
    length = int(bits[4 : 4 + width], 2)
    body = bits[4 + width : 4 + width + 8 * length]
    if len(body) < 8 * length:
        return None
    try:
        return bytes(int(body[k : k + 8], 2) for k in range(0, len(body), 8)).decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_qr(svg: str) -> str:
    """The text of a QR code drawn by segno (byte mode; segno may have raised the error level)."""
    modules = svg_modules(svg)
    size = len(modules)
    version = (size - 17) // 4
    assert size == 17 + 4 * version and 1 <= version <= 9, f"not a QR code: {size} modules"
    positions = _data_positions(size)
    ecc: Any = consts.ECC  # version -> error level -> the blocks' (count, data words)
    for error in "lmqh":
        blocks = [
            info.num_data
            for info in ecc[version][encoder.normalize_errorlevel(error)]
            for _ in range(info.num_blocks)
        ]
        for mask, is_dark in enumerate(encoder.get_data_mask_functions(False)):
            bits = "".join(str(modules[i][j] ^ int(is_dark(i, j))) for i, j in positions)
            words = iter(int(bits[k : k + 8], 2) for k in range(0, 8 * sum(blocks), 8))
            # Data codewords are interleaved across the blocks: undo it.
            data: list[list[int]] = [[] for _ in blocks]
            for k in range(max(blocks)):
                for n, length in enumerate(blocks):
                    if k < length:
                        data[n].append(next(words))
            text = _text(version, [w for block in data for w in block])
            if text is None:
                continue
            again = segno.make(
                text, error=error, version=version, mask=mask, mode="byte", boost_error=False
            )
            if [list(row) for row in again.matrix] == modules:
                return text
    raise AssertionError("the QR code could not be read back")
