"""Personal-information helpers: ID numbers, phones, plates, masks, encryption, look-up hashes."""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from shequ.core import pii

# --- strategies and helpers -----------------------------------------------------------------

PROVINCE_PREFIXES = [
    *("11", "12", "13", "14", "15", "21", "22", "23"),
    *("31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46"),
    *("50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "99"),
]
address_codes = st.builds(
    lambda prefix, rest: f"{prefix}{rest:04d}",
    st.sampled_from(PROVINCE_PREFIXES),
    st.integers(0, 9999),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
seqs = st.integers(0, 999)
id_numbers = st.builds(pii.make_id_number, address_codes, births, seqs)

phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
ALNUM = LETTERS + string.digits


def _fixed(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def _plate(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(PROVINCES), st.sampled_from(LETTERS), *parts).map("".join)


ordinary_plates = _plate(_fixed(ALNUM, 4), st.sampled_from(ALNUM + "挂学警港澳"))
small_new_energy_plates = _plate(st.sampled_from("DFABCEGHJK"), _fixed(ALNUM, 5))
large_new_energy_plates = _plate(_fixed(string.digits, 5), st.sampled_from("DF"))
plates = st.one_of(ordinary_plates, small_new_energy_plates, large_new_energy_plates)

SEPARATORS = ["", "", " ", "\u3000", "·", "•", "・", "-", "－"]


def _full_width(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


def _disguise(data: st.DataObject, value: str) -> str:
    """The value as a person might type it: odd case, full-width, separators anywhere."""
    out = [data.draw(st.sampled_from(SEPARATORS))]
    for char in value:
        if data.draw(st.booleans()):
            char = _full_width(char)
        if data.draw(st.booleans()):
            char = char.lower()
        out += [char, data.draw(st.sampled_from(SEPARATORS))]
    return "".join(out)


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    # English whatever LANGUAGE_CODE says, so the assertions survive new translations.
    with translation.override("en"):
        return " ".join(exc.value.messages)


def _with_x_check_digit() -> str:
    return next(
        number
        for seq in range(1000)
        if (number := pii.make_id_number("110105", date(1949, 12, 31), seq)).endswith("X")
    )


# --- resident ID numbers ----------------------------------------------------------------------


@given(address_codes, births, seqs)
def test_made_id_numbers_always_validate_and_round_trip_birth_date_and_sex(
    address: str, birth: date, seq: int
) -> None:
    number = pii.make_id_number(address, birth, seq)
    assert pii.validate_id_number(number) == number
    assert pii.id_number_birth_date(number) == birth
    assert pii.id_number_sex(number) == ("male" if seq % 2 else "female")


def test_it_accepts_the_standard_example_id_number() -> None:
    assert pii.validate_id_number("11010519491231002X") == "11010519491231002X"
    assert pii.id_number_sex("11010519491231002X") == "female"


@given(id_numbers, st.integers(0, 16), st.integers(1, 9))
def test_it_rejects_every_single_digit_change_in_the_body(
    number: str, position: int, delta: int
) -> None:
    changed = str((int(number[position]) + delta) % 10)
    mutated = number[:position] + changed + number[position + 1 :]
    assert pii.id_number_check_digit(mutated[:17]) != mutated[17]
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(mutated)
    assert exc.value.code == "invalid_id_number"


def test_it_rejects_wrong_check_digit_and_says_which_is_right() -> None:
    number = pii.make_id_number("330106", date(1990, 1, 1), 123)
    wrong = "0" if number[17] != "0" else "1"
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(number[:17] + wrong)
    assert exc.value.code == "invalid_id_number"
    assert f"check digit should be {number[17]}" in _messages(exc)


def test_it_rejects_february_30() -> None:
    body = "11010520230230123"
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(body + pii.id_number_check_digit(body))
    assert "birth date 20230230 is not a real date" in _messages(exc)


def test_it_rejects_a_birth_date_in_the_future() -> None:
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(pii.make_id_number("110105", tomorrow, 1))
    assert "in the future" in _messages(exc)


def test_it_rejects_a_birth_date_before_1900() -> None:
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(pii.make_id_number("110105", date(1899, 12, 31), 1))
    assert "before 1900" in _messages(exc)


def test_it_accepts_lower_case_x_and_returns_it_upper_case() -> None:
    number = _with_x_check_digit()
    assert pii.validate_id_number(number[:17] + "x") == number


def test_it_normalises_full_width_digits_and_surrounding_spaces() -> None:
    number = _with_x_check_digit()
    typed = "\u3000 " + "".join(_full_width(c) for c in number[:17]) + "ｘ "
    assert pii.validate_id_number(typed) == number


@pytest.mark.parametrize("address", ["010105", "000000", "190105", "720000"])
def test_it_rejects_address_codes_without_a_province(address: str) -> None:
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(pii.make_id_number(address, date(1990, 1, 1), 1))
    assert f"address code {address}" in _messages(exc)


def test_it_accepts_the_demo_region_99() -> None:
    number = pii.make_id_number("990001", date(1990, 1, 1), 1)
    assert pii.validate_id_number(number) == number


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "18 characters, not 0"),
        ("110105491231002", "18 characters, not 15"),
        ("11010519491231002X1", "18 characters, not 19"),
        ("11010519491231002Y", "digit or X"),
        ("1101051949123100X2", "digit or X"),
        ("11010519491231 02X", "digit or X"),
    ],
)
def test_it_rejects_malformed_id_numbers(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(value)
    assert exc.value.code == "invalid_id_number"
    assert fragment in _messages(exc)


def test_birth_date_and_sex_helpers_reject_invalid_numbers() -> None:
    with pytest.raises(ValidationError):
        pii.id_number_birth_date("110105194912310021")
    with pytest.raises(ValidationError):
        pii.id_number_sex("110105194912310021")


@pytest.mark.parametrize(
    ("address", "birth", "seq"),
    [
        ("11010", date(1990, 1, 1), 1),
        ("11010a", date(1990, 1, 1), 1),
        ("110105", date(1990, 1, 1), 1000),
        ("110105", date(1990, 1, 1), -1),
    ],
)
def test_make_id_number_rejects_bad_arguments(address: str, birth: date, seq: int) -> None:
    with pytest.raises(ValueError):
        pii.make_id_number(address, birth, seq)


# --- mobile phone numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "0086 13812345678",
        "86 138 1234 5678",
        "8613812345678",
        "138-1234-5678",
        " (+86) 138.1234.5678 ",
        "１３８ １２３４ ５６７８",
        "＋８６　１３８－１２３４－５６７８",
    ],
)
def test_phone_formats_normalise_to_the_same_11_digits(value: str) -> None:
    assert pii.validate_phone(value) == "13812345678"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "+87 13812345678",
        "+86 8613812345678",
        "1381234567a",
        "138+12345678",
        "0086",
    ],
)
def test_it_rejects_numbers_that_are_not_mainland_mobiles(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        pii.validate_phone(value)
    assert exc.value.code == "invalid_phone"


@given(phones, st.sampled_from(["", "+86", "0086", "86", "＋８６", "(+86)"]), st.data())
def test_phone_normalisation_is_idempotent(phone: str, prefix: str, data: st.DataObject) -> None:
    typed = _disguise(data, prefix + phone).replace("·", "").replace("•", "").replace("・", "")
    normalised = pii.validate_phone(typed)
    assert normalised == phone
    assert pii.validate_phone(normalised) == normalised


@given(st.text(alphabet="0123456789+-() 　８６１３"))
def test_phone_normalisation_of_arbitrary_text_is_idempotent_when_it_succeeds(text: str) -> None:
    try:
        normalised = pii.validate_phone(text)
    except ValidationError:
        return
    assert pii.validate_phone(normalised) == normalised


# --- licence plates ---------------------------------------------------------------------------


@given(plates)
def test_plate_normalisation_is_idempotent(plate: str) -> None:
    assert pii.normalize_plate(plate) == plate
    assert pii.normalize_plate(pii.normalize_plate(plate)) == plate
    assert pii.is_plate(plate)


@given(plates, st.data())
def test_plate_normalisation_ignores_separators_case_and_full_width(
    plate: str, data: st.DataObject
) -> None:
    assert pii.normalize_plate(_disguise(data, plate)) == plate


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("浙A12345", "浙A12345"),
        ("浙a·12345", "浙A12345"),
        (" 浙 A - 1 2 3 4 5 ", "浙A12345"),
        ("浙Ａ・１２３４５", "浙A12345"),
        ("京AD12345", "京AD12345"),
        ("京A·F1A234", "京AF1A234"),
        ("沪A12345D", "沪A12345D"),
        ("粤Z1234港", "粤Z1234港"),
        ("京A1234警", "京A1234警"),
        ("苏E1234挂", "苏E1234挂"),
    ],
)
def test_it_accepts_ordinary_and_new_energy_plates(value: str, expected: str) -> None:
    assert pii.normalize_plate(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        (" · ", "empty"),
        ("AA12345", "province abbreviation"),
        ("港A12345", "province abbreviation"),
        ("中A12345", "province abbreviation"),
        ("浙A1234", "not 6"),
        ("浙A1234567", "not 9"),
        ("浙I12345", "other than I and O"),
        ("浙O12345", "other than I and O"),
        ("浙112345", "other than I and O"),
        ("浙A1234O", "I or O"),
        ("浙AI2345", "I or O"),
        ("浙AD1234I", "I or O"),
        ("浙A挂1234", "licence plate serial"),
        ("浙A1234使", "licence plate serial"),
        ("浙A12345X", "new-energy plate serial"),
        ("浙AZ12345", "new-energy plate serial"),
        ("浙AD1234挂", "new-energy plate serial"),
    ],
)
def test_it_rejects_invalid_plates(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        pii.normalize_plate(value)
    assert exc.value.code == "invalid_plate"
    assert fragment in _messages(exc)
    assert not pii.is_plate(value)


# --- masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("masker", "value", "expected"),
    [
        (pii.mask_id_number, "330106199001011234", "330106************"),
        (pii.mask_id_number, "33010619900101123X", "330106************"),
        (pii.mask_id_number, "33010619900101123x", "330106************"),
        (pii.mask_id_number, "３３０１０６１９９００１０１１２３Ｘ", "330106************"),
        (pii.mask_birth_date, "1990-05-17", "199*-**-**"),
        (pii.mask_birth_date, "19900517", "199*-**-**"),
        (pii.mask_birth_date, " 1990年5月17日 ", "199*-**-**"),
        (pii.mask_birth_date, "May 1990", "******"),
        (pii.mask_phone, "13812345678", "138****5678"),
        (pii.mask_phone, "+86 138-1234-5678", "138****5678"),
        (pii.mask_name, "张三", "张*"),
        (pii.mask_name, "欧阳小明", "欧***"),
        (pii.mask_name, "李", "*"),
        (pii.mask_name, "Alice Smith", "A***"),
        (pii.mask_name, "Al", "A***"),
        (pii.mask_name, "", ""),
        (pii.mask_plate, "浙A12345", "浙A***45"),
        (pii.mask_plate, "浙a·12345", "浙A***45"),
        (pii.mask_plate, "京AD12345", "京A****45"),
        (pii.mask_address, "浙江省杭州市西湖区文三路1号", "浙江省杭州市****"),
        (pii.mask_address, "", ""),
    ],
)
def test_masks_follow_the_documented_examples(
    masker: Callable[[str], str], value: str, expected: str
) -> None:
    assert masker(value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("name", "张三", "张*"),
        ("id_card", "330106199001011234", "330106************"),
        ("birth_date", "1990-05-17", "199*-**-**"),
        ("phone", "13812345678", "138****5678"),
        ("plate", "浙A12345", "浙A***45"),
        ("address", "浙江省杭州市西湖区", "浙江省杭州市****"),
        ("face", "faces/2024/abc.jpg", "******"),
        ("health", "高血压", "******"),
        ("phone", None, None),
        ("face", "", ""),
    ],
)
def test_mask_dispatches_on_kind(kind: str, value: str | None, expected: str | None) -> None:
    assert pii.mask(kind, value) == expected


@pytest.mark.parametrize("value", ["13812345678", None])
def test_mask_rejects_unknown_kinds(value: str | None) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        pii.mask("email", value)


@given(id_numbers)
def test_masked_id_numbers_keep_only_the_address_code(number: str) -> None:
    masked = pii.mask_id_number(number)
    assert masked == number[:6] + "************"
    assert number[6:14] not in masked[6:]
    # A birth decade kept by a masked birth date leaves 3,652 days x 1000 sequence numbers.
    assert masked.count("*") == 12


@given(phones)
def test_masked_phones_never_contain_the_middle_digits(phone: str) -> None:
    masked = pii.mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[7:]


@given(plates)
def test_masked_plates_keep_only_the_region_and_last_two_characters(plate: str) -> None:
    masked = pii.mask_plate(plate)
    assert masked == plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


MASKERS: list[Callable[[str], str]] = [
    pii.mask_id_number,
    pii.mask_phone,
    pii.mask_plate,
    pii.mask_name,
    pii.mask_address,
]


@given(st.sampled_from(MASKERS), st.text(st.characters(exclude_characters="*")))
def test_masks_never_raise_or_return_the_clear_value(
    masker: Callable[[str], str], value: str
) -> None:
    masked = masker(value)
    if len(value) > 2:
        assert masked != value
    if value.strip():
        assert "*" in masked


@given(
    st.sampled_from([pii.mask_id_number, pii.mask_phone, pii.mask_plate]),
    st.text(alphabet=string.digits + string.ascii_letters, min_size=1),
)
def test_masks_hide_at_least_a_third_of_malformed_input(
    masker: Callable[[str], str], value: str
) -> None:
    masked = masker(value)
    assert masked.count("*") * 3 >= len(masked)


# --- encryption and look-up hashes ------------------------------------------------------------

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@given(st.text())
def test_encrypt_and_decrypt_round_trip(value: str) -> None:
    with override_settings(FERNET_KEYS=[NEW_KEY, OLD_KEY]):
        token = pii.encrypt(value)
        assert pii.decrypt(token) == value
    Fernet(NEW_KEY.encode()).decrypt(token.encode())  # the first key is the one that encrypts


def test_encryption_is_randomised(settings: Any) -> None:
    settings.FERNET_KEYS = [NEW_KEY]
    assert pii.encrypt("13812345678") != pii.encrypt("13812345678")


def test_a_token_from_an_old_key_decrypts_after_a_new_key_is_put_first(settings: Any) -> None:
    settings.FERNET_KEYS = [OLD_KEY]
    token = pii.encrypt("330106199001011234")
    settings.FERNET_KEYS = [NEW_KEY, OLD_KEY]
    assert pii.decrypt(token) == "330106199001011234"


def test_rotate_re_encrypts_so_the_old_key_alone_can_no_longer_decrypt(settings: Any) -> None:
    settings.FERNET_KEYS = [OLD_KEY]
    token = pii.encrypt("张三")
    settings.FERNET_KEYS = [NEW_KEY, OLD_KEY]
    rotated = pii.rotate(token)
    assert pii.decrypt(rotated) == "张三"
    settings.FERNET_KEYS = [NEW_KEY]
    assert pii.decrypt(rotated) == "张三"
    settings.FERNET_KEYS = [OLD_KEY]
    with pytest.raises(InvalidToken):
        pii.decrypt(rotated)


def test_decrypt_rejects_tokens_from_unknown_keys(settings: Any) -> None:
    settings.FERNET_KEYS = [OLD_KEY]
    token = pii.encrypt("secret")
    settings.FERNET_KEYS = [NEW_KEY]
    with pytest.raises(InvalidToken):
        pii.decrypt(token)


def test_encryption_without_keys_is_a_configuration_error(settings: Any) -> None:
    settings.FERNET_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        pii.encrypt("secret")


def test_lookup_hash_is_stable_and_kind_separated(settings: Any) -> None:
    settings.PII_HMAC_KEY = "first-key"
    digest = pii.lookup_hash("phone", "13812345678")
    assert digest == pii.lookup_hash("phone", "13812345678")
    assert digest == hmac.new(b"first-key", b"phone:13812345678", hashlib.sha256).hexdigest()
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != pii.lookup_hash("id_card", "13812345678")
    assert digest != pii.lookup_hash("phone", "13812345679")
    settings.PII_HMAC_KEY = "second-key"
    assert digest != pii.lookup_hash("phone", "13812345678")


def test_lookup_hash_rejects_a_colon_in_the_kind(settings: Any) -> None:
    settings.PII_HMAC_KEY = "first-key"
    with pytest.raises(ValueError):
        pii.lookup_hash("phone:cn", "13812345678")
