"""The reasons a typed cell is refused: required, patterns, enums, bounds, lengths, and the ID
number's own rules (GB 11643 check digit, address code, birth date).
"""

from __future__ import annotations

from shequ.hub.ingest.cells import MAX_CELL_CHARS, SCIENTIFIC, TWO_DIGIT_YEAR, literal
from shequ.hub.tableschema import Field

# A row's reason starting with this is no rejection: the row is left out with a note.
DROPPED = "dropped "

IDENTIFIER_KINDS = ("id_card", "phone")


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# First two digits of the address code (GB/T 2260), as core.pii checks them.
_ID_PROVINCES = (
    *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
    *range(61, 66), 71, 81, 82, 99,
)  # fmt: skip


def _id_number_checks(v: str, shown: str) -> list[tuple[str, str]]:
    """A resident ID number (GB 11643): shape, province, birth date, check digit.

    The 15-digit form issued before 1999 (no check digit, two-digit birth year in the
    1900s) is accepted as it is, its birth date checked.
    """
    total = " + ".join(
        f"CAST(substr({v}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_ID_WEIGHTS)
    )
    birth = f"CASE WHEN length({v}) = 18 THEN substr({v}, 7, 8) ELSE '19' || substr({v}, 7, 6) END"
    provinces = ", ".join(f"'{n}'" for n in _ID_PROVINCES)
    born = f"TRY_STRPTIME({birth}, '%Y%m%d')"
    return [
        (
            f"{v} IS NOT NULL AND NOT regexp_full_match({v}, '[0-9]{{17}}[0-9X]|[0-9]{{15}}')",
            "'not an ID number (17 digits and a digit or X, or the 15 digits of the form "
            f"before 1999): ' || {shown}",
        ),
        (
            f"{v} IS NOT NULL AND left({v}, 2) NOT IN ({provinces})",
            f"'not an ID number: the address code does not start with a province: ' || {shown}",
        ),
        (
            f"{v} IS NOT NULL AND ({born} IS NULL OR {born} < TIMESTAMP '1900-01-01' "
            f"OR {born} > current_date)",
            f"'not an ID number: the birth date in it is not a real date: ' || {shown}",
        ),
        (
            f"{v} IS NOT NULL AND length({v}) = 18 AND "
            f"substr('10X98765432', ({total}) % 11 + 1, 1) <> right({v}, 1)",
            f"'not an ID number: wrong check digit (GB 11643): ' || {shown}",
        ),
    ]


def cell_checks(
    f: Field,
    raw: str,
    typed: str,
    *,
    key: bool = False,
    untrimmed: str | None = None,
    year_start: int | None = None,
    shown_from: str | None = None,
) -> list[tuple[str, str]]:
    """(condition that means failure, reason SQL expression) in the order they are tried.

    ``key``: the field is part of the primary key, so it may not be empty either.
    ``untrimmed``: *raw* (the trimmed value) is costly, so every condition tests the
    typed or untrimmed value first and reaches *raw* only for rows that may fail.
    ``shown_from``: the trimmed value a reason quotes, when *raw* is NULL for values
    the typed value came from without it (default *raw*).
    """
    c = f.constraints
    # Quarantine reasons quote the bad value, masked when the column holds personal data.
    # A short value (a two-character name) would show whole through its ends: hide it all.
    text = shown_from or raw
    shown = (
        f"left({text}, 40)"
        if f.pii == "none"
        else f"CASE WHEN length({text}) >= 8 THEN left({text}, 2) || '***' || right({text}, 2) "
        "ELSE '***' END"
    )
    checks: list[tuple[str, str]] = []
    empty = f"{raw} IS NULL" if untrimmed is None else f"{typed} IS NULL AND {raw} IS NULL"
    if f.required or key:
        checks.append((empty, literal("required value is empty")))
    max_len = int(c.get("maxLength", MAX_CELL_CHARS))
    checks.append(
        (
            # strlen (bytes, known without reading the text) is never below the length in
            # characters: count characters only when the bytes are too many.
            f"strlen({untrimmed or raw}) > {max_len} AND length({raw}) > {max_len}",
            f"'longer than {max_len} characters (' || length({raw}) || ')'",
        )
    )
    failed = f"{typed} IS NULL AND {raw} IS NOT NULL"
    if f.type in ("integer", "number"):
        checks.append(
            (
                f"{failed} AND contains({raw}, ',') "
                f"AND regexp_full_match({raw}, '[+-]?[0-9][0-9.,]*')",
                f"'not a valid {f.type}: a comma separates thousands only in groups of three "
                f"digits before the decimal point: ' || {shown}",
            )
        )
    if f.type in ("integer", "string") and (f.type == "integer" or f.pii in IDENTIFIER_KINDS):
        # An integer that reads is no such number; "e" is tested first, cheaply.
        read = f"{typed} IS NULL AND " if f.type == "integer" else ""
        checks.append(
            (
                f"{read}{raw} IS NOT NULL AND (contains({raw}, 'e') OR contains({raw}, 'E')) "
                f"AND regexp_full_match({raw}, {literal(SCIENTIFIC)})",
                "'a spreadsheet number in scientific notation, not an exact value: its last "
                "digits are lost (keep the column as text in the spreadsheet): ' || "
                f"{shown}",
            )
        )
    if f.type in ("date", "datetime") and year_start is None:
        checks.append(
            (
                f"{failed} AND regexp_matches({raw}, {literal(TWO_DIGIT_YEAR)})",
                f"'not a valid {f.type}: a two-digit year is ambiguous (the source may declare "
                f"the century): ' || {shown}",
            )
        )
    if f.type != "string":
        checks.append((failed, f"'not a valid {f.type}: ' || {shown}"))
    if f.type == "string" and f.pii == "id_card":
        checks += _id_number_checks(typed, shown)
    if "enum" in c:
        values = ", ".join(literal(v) for v in c["enum"])
        checks.append(
            (
                f"{typed} IS NOT NULL AND CAST({typed} AS VARCHAR) NOT IN ({values})",
                f"'not one of the allowed values: ' || {shown}",
            )
        )
    if "pattern" in c and f.type == "string":  # typed: NULL unless the text matches
        checks.append(
            (f"{typed} IS NULL AND {raw} IS NOT NULL", f"'does not match the pattern: ' || {shown}")
        )
    elif "pattern" in c:
        checks.append(
            (
                f"{raw} IS NOT NULL AND NOT regexp_full_match({raw}, {literal(c['pattern'])})",
                f"'does not match the pattern: ' || {shown}",
            )
        )
    if "minimum" in c:
        checks.append(
            (
                f"{typed} < {literal(c['minimum'])}",
                f"'below the minimum {c['minimum']}: ' || {shown}",
            )
        )
    if "maximum" in c:
        checks.append(
            (
                f"{typed} > {literal(c['maximum'])}",
                f"'above the maximum {c['maximum']}: ' || {shown}",
            )
        )
    return checks
