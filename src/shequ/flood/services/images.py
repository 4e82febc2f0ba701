"""Images of the flood watch (camera snapshots, task photos): kept under the data dir.

An image is checked by its first bytes (JPEG, PNG or WebP, whatever its name or the type the
client claims), refused past ``FLOOD_IMAGE_MAX_BYTES`` (413), and written atomically under
``DATA_DIR/flood/images/<yyyy>/<mm>/<random>.<ext>``. A stored image is named by that relative
path; ``path_of`` refuses any other name, so a name from the database can never reach
outside the folder. Pictures may show people (personal data): views serve them only to who
watches the owning point's region, never cached by anyone else (``Cache-Control: private``).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from shequ.core.errors import Invalid, ServiceError
from shequ.core.files import write_atomically

log = logging.getLogger(__name__)

TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
THUMB_EDGE = 320  # pixels, the longer side of a thumbnail made here
# An image of more pixels is not decoded for a thumbnail: a few KB of PNG can declare
# 30,000 x 30,000 pixels (2.7 GB once decoded). A 4K camera's frame is 8.3 million.
THUMB_MAX_PIXELS = 40_000_000
_NAME = re.compile(r"^\d{4}/\d{2}/[A-Za-z0-9_-]{16,40}\.(jpg|png|webp)$")


class TooLarge(ServiceError):
    status = 413
    default_code = "too_large"


def root() -> Path:
    return Path(settings.DATA_DIR) / "flood" / "images"


def sniff(data: bytes) -> str | None:
    """The image's extension from its first bytes; None when it is no JPEG, PNG or WebP."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check(data: bytes, field: str) -> str:
    """The image's extension, or a refusal naming ``field``: 413 too large, 422 no image."""
    limit = settings.FLOOD_IMAGE_MAX_BYTES
    if len(data) > limit:
        raise TooLarge(
            _("%(field)s: an image of at most %(n)s bytes.") % {"field": field, "n": limit},
            fields={field: [_("At most %(n)s bytes.") % {"n": limit}]},
        )
    ext = sniff(data)
    if ext is None:
        raise Invalid(
            _("%(field)s: not a JPEG, PNG or WebP image.") % {"field": field},
            fields={field: [_("A JPEG, PNG or WebP image.")]},
        )
    return ext


@dataclass(frozen=True)
class Stored:
    name: str
    content_type: str


def store(data: bytes, field: str) -> Stored:
    """Check and keep an image; its name under ``root()``."""
    ext = check(data, field)
    now = timezone.now()
    name = f"{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}.{ext}"
    write_atomically(root() / name, data)
    return Stored(name, TYPES[ext])


def thumbnail(data: bytes) -> bytes | None:
    """A JPEG of at most ``THUMB_EDGE`` pixels a side made from a checked image; None when
    the image is that small already or cannot be decoded (it is kept as sent, and serves as
    its own thumbnail). Encoded anew, so nothing of the original's metadata (EXIF: where and
    with which camera it was taken) is in it; turned upright as its EXIF says."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as img:
                width, height = img.size
                if width * height > THUMB_MAX_PIXELS:
                    log.warning("no thumbnail for a %dx%d image: too many pixels", width, height)
                    return None
                if max(width, height) <= THUMB_EDGE:
                    return None
                img.draft("RGB", (THUMB_EDGE, THUMB_EDGE))  # a JPEG decoded at a reduced scale
                upright = ImageOps.exif_transpose(img)
                upright.thumbnail((THUMB_EDGE, THUMB_EDGE))
                out = io.BytesIO()
                upright.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        log.warning("no thumbnail for an image that cannot be decoded: %s", exc)
        return None
    return out.getvalue()


def path_of(name: str) -> Path | None:
    """The file of a stored image's name; None for a name that is not one, or a file gone."""
    if not _NAME.fullmatch(name):
        return None
    path = root() / name
    return path if path.is_file() else None


def content_type(name: str) -> str:
    return TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


def remove(name: str) -> None:
    """Forget an image (a transaction that stored it failed)."""
    path = path_of(name)
    if path is not None:
        path.unlink(missing_ok=True)
