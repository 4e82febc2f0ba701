"""Printable QR posters (二维码海报) per estate and per garage, drawn with segno as SVG."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str, scale: int = 8, size: str = "") -> str:
    """An SVG of the QR code for url (error correction M: survives a scuffed print).

    It has a viewBox, so it scales to whatever box the poster gives it (without one, a
    110 mm box printed the code at its pixel size in a corner); ``size`` (e.g. ``"110mm"``)
    also sets width and height, for the downloadable file.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        nl=False,
        omitsize=True,  # segno then writes a viewBox
    )
    svg = buffer.getvalue().decode()
    if size:
        svg = svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
    return svg


def estate_path(slug: str) -> str:
    """Where the estate's QR code leads: the resident's sign-up page for that estate."""
    return f"/parking/e/{slug}/"


def garage_path(code: str) -> str:
    return f"/parking/g/{code}/"
