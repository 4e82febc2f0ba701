"""Licence plates as the parking app keeps them: normalised, encrypted, masked, hashed.

``fuzzy_key`` folds what ANPR cameras confuse (0/D/Q/O, 8/B, 1/I) and drops the province
character, which cameras often miss: two plates with the same key are a *probable* match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shequ.core import pii

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_FOLD = str.maketrans({"D": "0", "Q": "0", "O": "0", "B": "8", "I": "1"})
_HALF_WIDTH = str.maketrans({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20})
_SEPARATORS = re.compile(r"[\s·•・･‧∙⋅\-‐‑‒–—−._]+")


@dataclass(frozen=True)
class StoredPlate:
    enc: str
    masked: str
    hash: str
    fuzzy: str


def normalize(value: str) -> str:
    """The canonical plate (``浙A12345``); ValidationError says what is wrong with it."""
    return pii.normalize_plate(value)


def loose(value: str) -> str:
    """What a camera sent, half-width, without separators, upper case (maybe not a plate)."""
    return _SEPARATORS.sub("", str(value).translate(_HALF_WIDTH)).upper()


def fuzzy_key(value: str) -> str:
    text = loose(value)
    if text and text[0] in PROVINCES:
        text = text[1:]
    return text.translate(_FOLD)


def plate_hash(plate: str) -> str:
    return pii.lookup_hash("plate", plate)


def fuzzy_hash(value: str) -> str:
    return pii.lookup_hash("plate_fuzzy", fuzzy_key(value))


def protect(plate: str) -> StoredPlate:
    """Everything stored about a normalised plate."""
    return StoredPlate(
        enc=pii.encrypt(plate),
        masked=pii.mask_plate(plate),
        hash=plate_hash(plate),
        fuzzy=fuzzy_hash(plate),
    )
