"""A camera's snapshot for the demo typhoon: a small PNG drawn without an imaging library.

The culvert seen from its camera: a grey road under a dark arch, brown water as deep as the
gauge reads, and for a trapped vehicle a car in the water with its box in red.
"""

from __future__ import annotations

import struct
import zlib

WIDTH, HEIGHT = 160, 90
SKY, WALL, TUNNEL, ROAD = (176, 186, 196), (150, 150, 142), (40, 44, 52), (96, 96, 92)
WATER, CAR, BOX = (122, 98, 64), (36, 92, 170), (220, 40, 40)


def _pixel(x: int, y: int, water_top: int, trapped: bool) -> tuple[int, int, int]:
    edge = (y in (38, 39, 64, 65) and 48 <= x <= 96) or (x in (48, 49, 95, 96) and 38 <= y <= 65)
    if trapped and edge:
        return BOX
    if trapped and 54 <= x <= 90 and 46 <= y <= 60 and y < water_top + 6:
        return CAR
    if y >= water_top:
        return WATER
    inside = (x - 80) ** 2 / 60**2 + (y - 90) ** 2 / 70**2 <= 1
    if not inside:
        return WALL if y > 16 else SKY
    return ROAD if y > 66 else TUNNEL


def png(depth_cm: float, *, trapped: bool = False) -> bytes:
    """The picture for a water depth (0 to 60 cm fill the bottom half of the frame)."""
    water_top = HEIGHT - round(min(max(depth_cm, 0.0), 60.0) / 60.0 * HEIGHT / 2)
    rows = bytearray()
    for y in range(HEIGHT):
        rows.append(0)  # no filter
        for x in range(WIDTH):
            rows.extend(_pixel(x, y, water_top, trapped))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
