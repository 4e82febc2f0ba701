"""Personal information (PIPL): validation, normalisation, masking, encryption, look-up hashes.

Everything here is a pure function of its arguments, except the encryption helpers, which read
``settings.FERNET_KEYS`` and ``settings.PII_HMAC_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

__all__ = [
    "decrypt",
    "encrypt",
    "id_number_birth_date",
    "id_number_check_digit",
    "id_number_sex",
    "is_plate",
    "lookup_hash",
    "make_id_number",
    "mask",
    "mask_address",
    "mask_birth_date",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_plate",
    "mask_text",
    "normalize_plate",
    "rotate",
    "validate_id_number",
    "validate_phone",
]

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, as typed by Chinese IMEs.
_HALF_WIDTH = str.maketrans({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20})


def _half_width(value: str) -> str:
    return value.translate(_HALF_WIDTH)


# ---------------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)
# ---------------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# First two digits of the address code (GB/T 2260); 99 is the demo's made-up region.
_PROVINCE_PREFIXES = frozenset(
    str(n)
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        99,
    )
)


def _id_error(message: _StrOrPromise, **params: object) -> ValidationError:
    return ValidationError(message, code="invalid_id_number", params=params)


def id_number_check_digit(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if not re.fullmatch(r"[0-9]{17}", body):
        raise ValueError("the body of an ID number is 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(value: str) -> str:
    """Validate an 18-character resident ID number; return it normalised (half-width, upper X)."""
    number = _half_width(value).strip().upper()
    if len(number) != 18:
        raise _id_error(_("An ID number has 18 characters, not %(length)d."), length=len(number))
    if not _ID_SHAPE.fullmatch(number):
        raise _id_error(_("An ID number is 17 digits followed by a digit or X."))
    address = number[:6]
    if address[0] == "0" or address[:2] not in _PROVINCE_PREFIXES:
        raise _id_error(
            _("ID number address code %(code)s does not start with a province code."),
            code=address,
        )
    raw_birth = number[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise _id_error(
            _("ID number birth date %(date)s is not a real date."), date=raw_birth
        ) from None
    if birth.year < 1900:
        raise _id_error(_("ID number birth date %(date)s is before 1900."), date=raw_birth)
    # The server's local date: one day of slack either way does not matter for a birth date.
    if birth > date.today():
        raise _id_error(_("ID number birth date %(date)s is in the future."), date=raw_birth)
    # Structure first, checksum last: a typo in the date gets the more specific message.
    expected = id_number_check_digit(number[:17])
    if number[17] != expected:
        raise _id_error(
            _("ID number check digit should be %(expected)s, not %(actual)s."),
            expected=expected,
            actual=number[17],
        )
    return number


def id_number_birth_date(value: str) -> date:
    """The birth date encoded in a valid ID number."""
    number = validate_id_number(value)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_number_sex(value: str) -> Literal["male", "female"]:
    """The sex encoded in a valid ID number (17th digit odd = male)."""
    number = validate_id_number(value)
    return "male" if int(number[16]) % 2 else "female"


def make_id_number(address_code: str, birth: date, seq: int) -> str:
    """Build an ID number with a correct check digit (for demo and test data)."""
    if not re.fullmatch(r"[0-9]{6}", address_code):
        raise ValueError("address_code must be 6 ASCII digits")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be between 0 and 999")
    body = f"{address_code}{birth:%Y%m%d}{seq:03d}"
    if len(body) != 17:  # years before 1000 or after 9999 do not fit the format
        raise ValueError("birth year must have four digits")
    return body + id_number_check_digit(body)


# ---------------------------------------------------------------------------------------------
# Mobile phone numbers
# ---------------------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—−().]+")
_PHONE_SHAPE = re.compile(r"1[3-9][0-9]{9}")


def validate_phone(value: str) -> str:
    """Validate a mainland China mobile number; return its 11 digits without prefix."""
    digits = _PHONE_SEPARATORS.sub("", _half_width(value))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        # A bare 86 is only a country code if 11 digits follow; 86... is never a mobile number.
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
    if not _PHONE_SHAPE.fullmatch(digits):
        # The number itself is not echoed: error messages end up in logs.
        raise ValidationError(
            _("A mobile number has 11 digits and starts with 13 to 19."), code="invalid_phone"
        )
    return digits


# ---------------------------------------------------------------------------------------------
# Licence plates (GA 36-2018)
# ---------------------------------------------------------------------------------------------

PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SEPARATORS = re.compile(r"[\s·•・･‧∙⋅\-‐‑‒–—−._]+")
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never used: they look like 1 and 0
_ORDINARY_SERIAL = re.compile(r"[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]")
_NEW_ENERGY_SERIAL = re.compile(r"[A-HJK][A-HJ-NP-Z0-9]{5}|[0-9]{5}[DF]")


def _plate_error(message: _StrOrPromise, **params: object) -> ValidationError:
    return ValidationError(message, code="invalid_plate", params=params)


def normalize_plate(value: str) -> str:
    """Validate a licence plate and return its canonical form, e.g. ``浙A12345``.

    The canonical form is half-width, without separators and UPPER-case (the Chinese
    convention); store and compare plates only in this form.
    """
    plate = _PLATE_SEPARATORS.sub("", _half_width(value)).upper()
    if not plate:
        raise _plate_error(_("The licence plate is empty."))
    if plate[0] not in PLATE_PROVINCES:
        raise _plate_error(
            _(
                "A licence plate starts with a province abbreviation such as 京 or 浙, "
                'not "%(char)s".'
            ),
            char=plate[0],
        )
    if len(plate) not in (7, 8):
        raise _plate_error(
            _("A licence plate has 7 characters (8 for new-energy vehicles), not %(length)d."),
            length=len(plate),
        )
    if plate[1] not in _PLATE_LETTERS:
        raise _plate_error(
            _(
                "The second character of a licence plate is a letter other than I and O, "
                'not "%(char)s".'
            ),
            char=plate[1],
        )
    serial = plate[2:]
    if "I" in serial or "O" in serial:
        raise _plate_error(_("Licence plates never contain the letters I or O."))
    if len(serial) == 5 and not _ORDINARY_SERIAL.fullmatch(serial):
        raise _plate_error(
            _(
                '"%(serial)s" is not a valid licence plate serial (4 letters or digits and a '
                "letter, digit, 挂, 学, 警, 港 or 澳)."
            ),
            serial=serial,
        )
    if len(serial) == 6 and not _NEW_ENERGY_SERIAL.fullmatch(serial):
        raise _plate_error(
            _(
                '"%(serial)s" is not a valid new-energy plate serial (a letter A to K, usually '
                "D or F, and 5 letters or digits, or 5 digits and D or F)."
            ),
            serial=serial,
        )
    return plate


def is_plate(value: str) -> bool:
    """Whether ``value`` normalises to a valid licence plate."""
    try:
        normalize_plate(value)
    except ValidationError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Masking: never raises, never returns a clear value longer than 2 characters
# ---------------------------------------------------------------------------------------------

_MASK_FIXED = "******"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def _mask_middle(value: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters and star the rest."""
    n = len(value)
    # Malformed (short) input must still lose at least a third of its characters.
    keep = n - -(-n // 3)
    if head + tail > keep:
        head, tail = keep - keep // 2, keep // 2
    return value[:head] + "*" * (n - head - tail) + value[n - tail :]


def _normalised_or_stripped(normalise: Callable[[str], str], value: str) -> str:
    try:
        return normalise(value)
    except ValidationError:
        return value.strip()


def mask_id_number(value: str) -> str:
    """``330106199001011234`` -> ``330106************``: the address code (region) only.

    The 12 hidden characters are the birth date (8), a sequence number (3) and a check
    character computed from the rest. Whoever knows the birth decade (a masked birth date
    keeps it) still has 3,652 x 1000 candidates, and with the exact age (two possible years)
    and the sex (the parity of the sequence number) 730 x 500 = 365,000; keeping the last 4
    as the mask once did left one guess once the birth date was known.
    """
    return _mask_middle(_normalised_or_stripped(validate_id_number, value), 6, 0)


_DATE_HEAD = re.compile(r"([0-9]{4})(?:[^0-9].*|[0-9]{4}.*)?", re.DOTALL)


def mask_birth_date(value: str) -> str:
    """``1990-05-17`` -> ``199*-**-**``: the decade only (``******`` without a year).

    A birth date is the middle of an ID number: in clear beside a masked ID number it gives
    the number back in about 500 guesses. Its year alone would still leave only 365 dates;
    its decade leaves 3,652, and an ID number masked to its address code 3,652 x 1000.
    """
    match = _DATE_HEAD.fullmatch(_half_width(value).strip())
    return f"{match[1][:3]}*-**-**" if match else _MASK_FIXED


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    return _mask_middle(_normalised_or_stripped(validate_phone, value), 3, 4)


def mask_plate(value: str) -> str:
    """``浙A12345`` -> ``浙A***45``."""
    return _mask_middle(_normalised_or_stripped(normalize_plate, value), 2, 2)


def mask_name(value: str) -> str:
    """``张三`` -> ``张*``, ``欧阳小明`` -> ``欧***``, ``Alice Smith`` -> ``A***``."""
    name = value.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if _CJK.search(name):
        return name[0] + "*" * (len(name) - 1)
    # A fixed tail for Latin names: their length says more than a Chinese name's does.
    return name[0] + "***"


def mask_address(value: str) -> str:
    """Keep the first 6 characters (about province/city/district) and add ``****``."""
    address = value.strip()
    n = len(address)
    return address[: min(6, n - -(-n // 3))] + "****" if address else ""


_MASKERS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "id_card": mask_id_number,
    "phone": mask_phone,
    "plate": mask_plate,
    "address": mask_address,
    "birth_date": mask_birth_date,
    "face": lambda value: _MASK_FIXED,
    "health": lambda value: _MASK_FIXED,
}


def mask(kind: str, value: str | None) -> str | None:
    """Mask ``value`` as personal information of ``kind``; None and "" pass through."""
    try:
        masker = _MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of personal information: {kind!r}") from None
    if not value:
        return value
    return masker(value)


# Shapes of personal values inside free text (error messages, SQL, log lines). A value is
# matched as a whole token: not inside a longer run of letters or digits.
_TEXT_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_TEXT_PHONE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9][0-9]{9}(?![0-9])")
_TEXT_PLATE = re.compile(
    f"[{PLATE_PROVINCES}][A-HJ-NP-Za-hj-np-z][\\s·.-]?[A-HJ-NP-Za-hj-np-z0-9]{{4,5}}"
    "[A-HJ-NP-Za-hj-np-z0-9挂学警港澳](?![A-Za-z0-9])"
)
_TEXT_DATE = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})[-/.年]?([01]?[0-9])[-/.月]?([0-3]?[0-9])日?(?![0-9])"
)
_TEXT_DIGITS = re.compile(r"(?<![0-9])[0-9]{11,}(?![0-9])")
_TEXT_QUOTED = re.compile(r"'((?:[^'\\]|\\.|'')*)'|\"((?:[^\"\\]|\\.)*)\"")
_TEXT_LINE = re.compile(r"((?:Original Line|Line content|Row)\s*:\s*)(.*)", re.IGNORECASE)
_FIELD_SPLIT = re.compile(r"([,\t;|，、\s]+)")


def _mask_shapes(text: str, *, dates: bool = True, digits: bool = True) -> str:
    text = _TEXT_ID.sub(lambda m: mask_id_number(m[0]), text)
    text = _TEXT_PHONE.sub(lambda m: mask_phone(m[0]), text)
    text = _TEXT_PLATE.sub(lambda m: mask_plate(m[0]), text)
    if dates:
        text = _TEXT_DATE.sub(lambda m: f"{m[1][:3]}*-**-**", text)
    if digits:
        text = _TEXT_DIGITS.sub(lambda m: _mask_middle(m[0], 2, 2), text)
    return text


def _mask_fields(raw: str) -> str:
    """A quoted raw line or value: each field keeps its first character (shapes as above)."""
    parts = _FIELD_SPLIT.split(raw)
    out = []
    for i, part in enumerate(parts):
        if i % 2 or len(part) <= 1:
            out.append(part)
            continue
        shaped = _mask_shapes(part)
        out.append(shaped if shaped != part else part[0] + "*" * (len(part) - 1))
    return "".join(out)


def mask_text(text: str, *, quoted: bool = True, dates: bool = True, digits: bool = True) -> str:
    """Free text with the personal values it may quote masked.

    ID numbers, mobile numbers, plates, dates (to their decade) and runs of 11 or more digits
    are masked wherever they stand. With ``quoted`` (error messages that quote the data they
    failed on: a raw CSV line, a value that did not convert), every field inside quotes or
    after "Original Line:" keeps only its first character: a name or an address has no shape
    to recognise, and the error's line number is what finds the row. ``dates`` and
    ``digits`` off leave dates and other digit runs alone (SQL, where they are mostly not
    personal and a personal one is masked by the column it is compared with).
    """
    if not text:
        return text
    if quoted:
        text = _TEXT_LINE.sub(lambda m: m[1] + _mask_fields(m[2]), text)
        text = _TEXT_QUOTED.sub(
            lambda m: f"'{_mask_fields(m[1])}'" if m[1] is not None else f'"{_mask_fields(m[2])}"',
            text,
        )
    return _mask_shapes(text, dates=dates, digits=digits)


# ---------------------------------------------------------------------------------------------
# Encryption and look-up hashes
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("settings.FERNET_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    # Keyed on the current settings value so that override_settings in tests takes effect.
    keys = settings.FERNET_KEYS
    return _multi_fernet((keys,) if isinstance(keys, str) else tuple(keys))


def encrypt(value: str) -> str:
    """Encrypt with the first of ``settings.FERNET_KEYS``."""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt with any of ``settings.FERNET_KEYS``; raises ``cryptography.fernet.InvalidToken``."""
    return _fernet().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    """Re-encrypt a token under the first key, so that older keys can be retired."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def lookup_hash(kind: str, value: str) -> str:
    """Hex HMAC-SHA256 of an already-normalised value, for exact look-ups of encrypted columns."""
    if ":" in kind:
        # The kind ends at the first colon; one inside it would let two kinds collide.
        raise ValueError("kind must not contain ':'")
    key = settings.PII_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("settings.PII_HMAC_KEY is empty")
    return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
