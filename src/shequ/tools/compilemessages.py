"""Compile the .po catalogues to .mo with Babel, so setup needs no GNU gettext."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        # Written beside and renamed over: a server or test reading the catalogue meanwhile
        # sees the old file or the new one, never a half-written one.
        part = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        with part.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        os.replace(part, mo_path)
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(LOCALE_DIR.parent.parent.parent)}")
