"""Printable QR posters (二维码海报) per estate and per garage, drawn with segno as SVG."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str, scale: int = 8) -> str:
    """An inline SVG of the QR code for url (error correction M: survives a scuffed print)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, nl=False
    )
    return buffer.getvalue().decode()


def estate_path(slug: str) -> str:
    """Where the estate's QR code leads: the resident's sign-up page for that estate."""
    return f"/parking/e/{slug}/"


def garage_path(code: str) -> str:
    return f"/parking/g/{code}/"
