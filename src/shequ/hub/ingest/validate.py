"""Turn a staged input into one DuckDB query that types, checks and labels every row.

The query yields ``_row``, one typed column per schema field and ``_reject``: NULL
for a good row, otherwise ``"<column>: <reason>"`` for the first failed check. All
work is vectorised inside DuckDB; Python only splits batches afterwards.

Most values are already in the form a type expects, so a typed field is read by a
cheap expression first (on the value as it came, without trimming it) and by the full
one (trimmed, every accepted form) only where the cheap one gives nothing; the cheap
one accepts nothing the full one would read differently.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.tableschema import DUCKDB_TYPES, Field, TableSchema

# A cell longer than this is refused unless the field's maxLength says otherwise.
MAX_CELL_CHARS = 65_536

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "对")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "错")
DATE_FORMATS = ("%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y.%m.%d")
DATETIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H时",
    "%Y年%m月%d日",
)
# An Excel date serial (days since 1899-12-30) of five digits: 1927-05-18 to 2173-10-14.
# Fewer digits would be a year ("2021") or a count, so they are not read as a date.
EXCEL_SERIAL = "[1-9][0-9]{4}(\\.[0-9]+)?"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class ColumnPlan:
    """Which input column feeds each schema field, and what was left over."""

    sources: dict[str, str | None]  # field name -> input column (None: absent)
    ignored: list[str] = field(default_factory=list)


def plan_columns(
    staged: StagedInput, schema: TableSchema, column_map: dict[str, str]
) -> ColumnPlan:
    """Match input columns to fields: saved mapping, then name, then Chinese/English title.

    A column under a group of a two-level spreadsheet header ("车辆信息/号牌号码") is
    also matched by its leaf ("号牌号码") when no other column has that leaf. The sheet
    name of several sheets read as one (``StagedInput.sheet_column``) goes only to a
    field mapped from ``_sheet``, named ``sheet`` or titled 工作表 / sheet.
    """
    available = {c.strip().lower(): c for c in staged.columns}
    for key, column in _extra_names(staged).items():
        available.setdefault(key, column)
    sources: dict[str, str | None] = {}
    mapped = {target: upstream for upstream, target in column_map.items()}
    for f in schema.fields:
        candidates = [mapped.get(f.name), f.name, f.title, f.title_en]
        match = next(
            (
                available[c.strip().lower()]
                for c in candidates
                if c and c.strip().lower() in available
            ),
            None,
        )
        sources[f.name] = match
    missing = [
        f
        for f in schema.fields
        if sources[f.name] is None and (f.required or f.name in schema.primary_key)
    ]
    if missing:
        names = ", ".join(f"{f.name} ({f.title})" if f.title else f.name for f in missing)
        found = ", ".join(staged.columns[:30]) or "none"
        raise IngestError(
            f"required column(s) missing: {names}. The input has: {found}. "
            "Check the delimiter and header row, or map the upstream names on the source."
        )
    used = {c for c in sources.values() if c}
    extra = [staged.sheet_column] if staged.sheet_column else []
    return ColumnPlan(sources, [c for c in [*staged.columns, *extra] if c not in used])


SHEET_TITLES = ("sheet", "工作表")


def _extra_names(staged: StagedInput) -> dict[str, str]:
    """More names (lower-cased) by which columns match fields, name -> column: unique
    leaves of grouped headers, and the sheet column's names."""
    leaves: dict[str, list[str]] = {}
    for column, leaf in staged.leaves.items():
        leaves.setdefault(leaf.strip().lower(), []).append(column)
    names = {key: found[0] for key, found in leaves.items() if len(found) == 1}
    if staged.sheet_column:
        for key in (staged.sheet_column, *SHEET_TITLES):
            names.setdefault(key, staged.sheet_column)
    return names


# Cells that mean "nothing" in Chinese government files: read as empty.
EMPTY_MARKS = ("无", "-", "--", "/", "—", "——", "－", "／")
_SPACES = " \u3000"  # and the ideographic (full-width) space


def _trimmed(col: str) -> str:
    """The value without leading and trailing spaces, NULL if that leaves nothing or
    one of ``EMPTY_MARKS`` (无, -, /, —).

    trim() is costly (it walks every value by code point): call it only on values that
    start or end with a space, which the two prefix/suffix tests find cheaply (a value
    trimmed this way loses ideographic spaces at its ends as well); the marks are
    compared only with values of at most 6 bytes.
    """
    marks = ", ".join(literal(m) for m in ("", *EMPTY_MARKS))
    trimmed = f"trim({col}, {literal(_SPACES)})"
    return (
        f"CASE WHEN {col} LIKE ' %' OR {col} LIKE '% ' THEN "
        f"CASE WHEN {trimmed} IN ({marks}) THEN NULL ELSE {trimmed} END "
        f"WHEN strlen({col}) <= 6 AND {col} IN ({marks}) THEN NULL ELSE {col} END"
    )


trimmed_sql = _trimmed


# Full-width ASCII (U+FF01..U+FF5E), as Chinese input methods type it: "１２３４", "浙Ａ８８３０２".
_FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_HALF_WIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))


def half_width(value: str) -> str:
    """SQL: *value* with full-width letters, digits and signs as ASCII."""
    return f"translate({value}, {literal(_FULL_WIDTH)}, {literal(_HALF_WIDTH)})"


_PHONE_SEPARATORS = "[\\s\\-‐‑‒–—−().]+"
_PLATE_SEPARATORS = "[\\s·•・･‧∙⋅\\-‐‑‒–—−._]+"


def _normalised_text(f: Field, raw: str) -> str | None:
    """SQL: the canonical form of an identifier's text (as ``core.pii`` makes it).

    Phones without separators and +86/0086/86; plates in upper case without separators
    (浙A·88302 → 浙A88302); ID numbers with an upper-case X; all half-width. None for
    other text, which is stored as it came.
    """
    if f.pii == "phone":
        x = f"regexp_replace({half_width(raw)}, {literal(_PHONE_SEPARATORS)}, '', 'g')"
        return (
            f"CASE WHEN starts_with({x}, '+86') THEN substr({x}, 4) "
            f"WHEN starts_with({x}, '0086') THEN substr({x}, 5) "
            f"WHEN strlen({x}) = 13 AND starts_with({x}, '861') THEN substr({x}, 3) "
            f"ELSE {x} END"
        )
    if f.pii == "plate":
        return f"upper(regexp_replace({half_width(raw)}, {literal(_PLATE_SEPARATORS)}, '', 'g'))"
    if f.pii == "id_card":
        return f"upper(regexp_replace({half_width(raw)}, '\\s+', '', 'g'))"
    return None


def _canonical_text(f: Field, raw: str) -> str | None:
    """SQL: a cheap test that *raw* is already in its canonical form (see above)."""
    if f.pii == "phone":
        return f"strlen({raw}) = 11 AND starts_with({raw}, '1') AND TRY_CAST({raw} AS BIGINT) > 0"
    if f.pii == "plate":  # 3 bytes of province and 6 or 7 ASCII letters and digits
        return f"strlen({raw}) IN (9, 10) AND upper({raw}) = {raw}"
    if f.pii == "id_card":
        return f"strlen({raw}) IN (15, 18) AND NOT ends_with({raw}, 'x')"
    return None


# Local times are converted with the zone's fixed offset from this long after its last change.
_ZONE_MARGIN = timedelta(days=2)
_PLAIN_DATETIME = "%Y-%m-%d %H:%M:%S"


@functools.lru_cache(maxsize=8)
def fixed_offset_since(zone: str) -> tuple[datetime, int] | None:
    """(local time from which *zone* keeps one UTC offset, that offset in seconds).

    Found by DuckDB's own time zone rules (those ``CAST(... AS TIMESTAMPTZ)`` applies),
    sampled every 6 hours from 1900 to 2200. None for a zone whose offset still changes
    (daylight saving time): there every local time is converted by those rules.
    Asia/Shanghai keeps +08:00 after its last daylight saving time, in 1991.
    """
    with duckdb.connect() as con:
        con.execute(f"SET TimeZone = {literal(zone)}")
        found = con.execute(
            "WITH s AS (SELECT t, epoch(t) - epoch(CAST(t AS TIMESTAMPTZ)) AS off "
            "FROM generate_series(TIMESTAMP '1900-01-01', TIMESTAMP '2200-01-01', "
            "INTERVAL 6 HOUR) g(t)), "
            "last AS (SELECT off AS final FROM s ORDER BY t DESC LIMIT 1) "
            "SELECT max(t) FILTER (WHERE off <> final), any_value(final) FROM s, last"
        ).fetchone()
    if found is None or found[1] is None:
        return None
    changed, offset = found
    if changed is None:
        return datetime(1900, 1, 1), int(offset)
    if changed.year >= 2100:
        return None
    return changed + _ZONE_MARGIN, int(offset)


# A date or time whose year has two digits ("85-07-12", "24-03-05 08:30"): DuckDB reads it
# as the year 85 or 24. Refused unless the source declares the century (``year_start``).
TWO_DIGIT_YEAR = "^[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]"
# A comma separates thousands only in groups of three before the decimal point.
GROUPED_INTEGER = "[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\\.0*)?"
GROUPED_NUMBER = "[+-]?[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]*)?"
# How spreadsheets write a number too long to show: never an identifier.
SCIENTIFIC = "[+-]?[0-9]+(\\.[0-9]*)?[eE][+-]?[0-9]+"


def _with_century(raw: str, year_start: int | None) -> str:
    """*raw* with a two-digit year widened into the 100 years from *year_start*."""
    if year_start is None:
        return raw
    base, cut = divmod(year_start, 100)
    century = (
        f"CASE WHEN CAST(left({raw}, 2) AS INTEGER) >= {cut} THEN '{base}' ELSE '{base + 1}' END"
    )
    two_digits = f"regexp_matches({raw}, {literal(TWO_DIGIT_YEAR)})"
    return f"CASE WHEN {two_digits} THEN {century} || {raw} ELSE {raw} END"


NUMERIC_TYPES = ("integer", "number", "date", "datetime")  # read from half-width text


def numeric_text(raw: str) -> str:
    """SQL: the text a field of ``NUMERIC_TYPES`` is read from."""
    return f"trim({half_width(raw)})"  # an ideographic space is a space


def typed_sql(f: Field, raw: str, year_start: int | None = None, *, prepared: bool = False) -> str:
    """The typed value of the text *raw* (NULL where it is not one), for field *f*.

    *year_start*: the first year of the century two-digit years are read in (the
    source's declaration); without one a two-digit year is not a valid date.
    *prepared*: *raw* is already ``numeric_text`` (for ``NUMERIC_TYPES``).
    """
    if f.type == "string":
        clean = _normalised_text(f, raw)
        if "pattern" in f.constraints:
            # The text as it came if it matches, else its cleaned form if that does
            # (full-width digits in a region code); NULL: the pattern check refuses it.
            pattern = literal(f.constraints["pattern"])
            clean = clean or half_width(raw)
            return (
                f"CASE WHEN regexp_full_match({raw}, {pattern}) THEN {raw} "
                f"WHEN regexp_full_match({clean}, {pattern}) THEN {clean} END"
            )
        if clean is not None:
            return f"CASE WHEN {_canonical_text(f, raw)} THEN {raw} ELSE {clean} END"
        return raw
    if f.type in NUMERIC_TYPES and not prepared:
        raw = numeric_text(raw)
    if f.type == "boolean":
        return (
            f"CASE WHEN lower({raw}) IN ({', '.join(map(literal, TRUE_WORDS))}) THEN TRUE "
            f"WHEN lower({raw}) IN ({', '.join(map(literal, FALSE_WORDS))}) THEN FALSE END"
        )
    if f.type == "integer":
        # DuckDB would round "1.5" to 2 and read "0x1F" as 31: accept only whole numbers
        # (with thousands separators, or "12.0" as spreadsheets write them).
        # Most values are plain digits and read back the same: that test is cheaper.
        # Thousands separators only in groups of three: "1,2,3" is not 123.
        cleaned = f"replace({raw}, ',', '')"
        plain = f"CAST(TRY_CAST({raw} AS BIGINT) AS VARCHAR) = {raw}"
        whole = f"regexp_full_match({raw}, {literal(GROUPED_INTEGER)})"
        return (
            f"CASE WHEN {plain} THEN TRY_CAST({raw} AS BIGINT) "
            f"WHEN {whole} THEN TRY_CAST({cleaned} AS BIGINT) END"
        )
    if f.type == "number":
        # Thousands separators from spreadsheets, only in groups of three before the
        # decimal point: "3,5" (a decimal comma) and "1.234,50" are not numbers here.
        # DuckDB's cast reads "3_5" as 35: an underscore is refused too.
        cleaned = (
            f"CASE WHEN contains({raw}, ',') AND regexp_full_match({raw}, "
            f"{literal(GROUPED_NUMBER)}) THEN replace({raw}, ',', '') ELSE {raw} END"
        )
        number = f"TRY_CAST({cleaned} AS DOUBLE)"
        # not NaN or infinity
        return f"CASE WHEN isfinite({number}) AND NOT contains({raw}, '_') THEN {number} END"
    if f.type == "date":
        value = _with_century(raw, year_start)
        alts = [f"TRY_CAST({value} AS DATE)"] + [
            f"CAST(TRY_STRPTIME({value}, {literal(fmt)}) AS DATE)" for fmt in DATE_FORMATS
        ]
        alts.append(
            f"CASE WHEN regexp_full_match({value}, '[1-9][0-9]{{4}}') "
            f"THEN DATE '1899-12-30' + CAST({value} AS INTEGER) END"
        )
        # A year before 1000 is a two-digit year read as written ("85-07-12"): refused.
        found = f"COALESCE({', '.join(alts)})"
        return f"CASE WHEN {found} >= DATE '1000-01-01' THEN {found} END"
    if f.type == "datetime":
        # Text without an offset is local time (SET TimeZone on the connection).
        value = _with_century(raw, year_start)
        alts = [f"TRY_CAST({value} AS TIMESTAMPTZ)"] + [
            f"CAST(TRY_STRPTIME({value}, {literal(fmt)}) AS TIMESTAMPTZ)"
            for fmt in DATETIME_FORMATS
        ]
        serial = (
            f"TIMESTAMP '1899-12-30' + to_seconds(CAST(round(CAST({value} AS DOUBLE) * 86400) "
            "AS BIGINT))"
        )
        alts.append(
            f"CASE WHEN regexp_full_match({value}, {literal(EXCEL_SERIAL)}) "
            f"THEN CAST({serial} AS TIMESTAMPTZ) END"
        )
        alts.append(f"CAST({_half_day(value)} AS TIMESTAMPTZ)")
        found = f"COALESCE({', '.join(alts)})"
        return f"CASE WHEN {found} >= TIMESTAMPTZ '1000-01-02 00:00:00+00' THEN {found} END"
    if f.type == "time":  # checked as a time, stored as text (see tableschema.ARROW_TYPES)
        return f"CAST(TRY_CAST({raw} AS TIME) AS VARCHAR)"
    return f"TRY_CAST({raw} AS {DUCKDB_TYPES[f.type]})"


def _half_day(value: str) -> str:
    """SQL: a local time written with 上午 (morning) or 下午 (afternoon), else NULL.

    "2024-03-05 下午3:30" is 15:30, "上午12:10" is 00:10; 下午 with an hour after 12,
    or 上午 with one after 12, is no time.
    """
    bare = f"trim(regexp_replace({value}, '\\s*(上午|下午)\\s*', ' ', 'g'))"
    naive = (
        "COALESCE("
        + ", ".join(
            [f"TRY_CAST({bare} AS TIMESTAMP)"]
            + [f"TRY_STRPTIME({bare}, {literal(fmt)})" for fmt in DATETIME_FORMATS]
        )
        + ")"
    )
    pm, am = f"contains({value}, '下午')", f"contains({value}, '上午')"
    return (
        f"CASE WHEN NOT regexp_matches({value}, '上午|下午') THEN NULL "
        f"WHEN {pm} AND {am} THEN NULL "
        f"WHEN {pm} AND hour({naive}) < 12 THEN {naive} + INTERVAL 12 HOUR "
        f"WHEN {pm} AND hour({naive}) = 12 THEN {naive} "
        f"WHEN {am} AND hour({naive}) = 12 THEN {naive} - INTERVAL 12 HOUR "
        f"WHEN {am} AND hour({naive}) < 12 THEN {naive} END"
    )


def _quick_sql(
    f: Field, value: str, zone: str, year_start: int | None = None
) -> tuple[str | None, str] | None:
    """(helper, expression) reading *value* untrimmed, in its common form.

    The expression is NULL where that form does not apply; where it is not NULL it
    equals ``typed_sql`` of the trimmed value. ``{h}`` in it stands for the helper's
    column (a cast computed once instead of twice). None: no cheap form (text is always
    trimmed).
    """
    if f.type == "integer":  # digits that read back the same (no spaces, signs, zeros)
        return (
            f"TRY_CAST({value} AS BIGINT)",
            f"CASE WHEN CAST({{h}} AS VARCHAR) = {value} THEN {{h}} END",
        )
    if f.type == "number":  # DuckDB's DOUBLE cast skips spaces; a comma makes it NULL
        return (
            f"TRY_CAST({value} AS DOUBLE)",
            f"CASE WHEN isfinite({{h}}) AND NOT contains({value}, '_') THEN {{h}} END",
        )
    if f.type == "datetime":
        fixed = fixed_offset_since(zone)
        if fixed is None:
            return None
        since, offset = fixed
        # A whole-second local time after the zone's last change of offset: shifted by
        # that offset (exact in whole seconds), as the time zone rules would shift it.
        return f"TRY_STRPTIME({value}, {literal(_PLAIN_DATETIME)})", (
            f"CASE WHEN {{h}} >= TIMESTAMP {literal(since.isoformat(sep=' '))} "
            f"THEN to_timestamp(epoch({{h}}) - {offset}) END"
        )
    if f.type == "date":  # DuckDB's own reading (it skips spaces); the year has 4 digits
        return f"TRY_CAST({value} AS DATE)", "CASE WHEN {h} >= DATE '1000-01-01' THEN {h} END"
    if f.type in ("boolean", "time"):  # spaces make these NULL or are skipped
        return None, typed_sql(f, value, year_start)
    return None


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


def _checks(
    f: Field,
    raw: str,
    typed: str,
    *,
    key: bool = False,
    untrimmed: str | None = None,
    year_start: int | None = None,
) -> list[tuple[str, str]]:
    """(condition that means failure, reason SQL expression) in the order they are tried.

    ``key``: the field is part of the primary key, so it may not be empty either.
    ``untrimmed``: *raw* (the trimmed value) is costly, so every condition tests the
    typed or untrimmed value first and reaches *raw* only for rows that may fail.
    """
    c = f.constraints
    # Quarantine reasons quote the bad value, masked when the column holds personal data.
    # A short value (a two-character name) would show whole through its ends: hide it all.
    shown = (
        f"left({raw}, 40)"
        if f.pii == "none"
        else f"CASE WHEN length({raw}) >= 8 THEN left({raw}, 2) || '***' || right({raw}, 2) "
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


def unique_groups(schema: TableSchema) -> list[list[str]]:
    """The column sets whose values must not repeat: the primary key, then unique fields."""
    groups = [schema.primary_key] if schema.primary_key else []
    groups += [
        [f.name]
        for f in schema.fields
        if f.constraints.get("unique") and [f.name] != schema.primary_key
    ]
    return groups


def _row_hash(schema: TableSchema, alias: str, have: set[str] | None = None) -> str:
    """SQL: a hash of a row's stored values (columns missing from *have* as NULL)."""
    values = [
        f"CAST({alias}.{ident(f.name)} AS {DUCKDB_TYPES[f.type]})"
        if have is None or f.name in have
        else f"CAST(NULL AS {DUCKDB_TYPES[f.type]})"
        for f in schema.fields
    ]
    return f"hash({', '.join(values)})"


def _duplicates(groups: list[list[str]]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """CTEs, joins and checks that reject repeated keys: the first good row wins.

    A hash aggregate finds keys seen more than once among good rows and a hash join
    marks the later ones; unlike a window over the whole input this needs no sort.
    Empty values are not duplicates of each other (as in SQL). A later row equal to
    the first in every column (a re-delivery) is skipped and counted, not rejected.
    """
    ctes, joins, checks = [], [], []
    for n, cols in enumerate(groups):
        keys = ", ".join(ident(c) for c in cols)
        present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in cols)
        ctes.append(
            f"dup{n} AS (SELECT {keys}, min(_row) AS first, arg_min(_h, _row) AS first_h "
            f"FROM checked WHERE _reject1 IS NULL AND {present} GROUP BY {keys} "
            "HAVING count(*) > 1)"
        )
        on = " AND ".join(f"c.{ident(c)} = dup{n}.{ident(c)}" for c in cols)
        joins.append(f"LEFT JOIN dup{n} ON {on}")
        later = f"dup{n}.first IS NOT NULL AND c._row <> dup{n}.first"
        checks.append(
            (
                f"{later} AND c._reject1 IS NULL AND c._h = dup{n}.first_h",
                f"{literal(DROPPED + 'exact repeat of row ')} || dup{n}.first",
            )
        )
        checks.append(
            (later, f"{literal('+'.join(cols) + ': ')} || 'duplicate of row ' || dup{n}.first")
        )
    return ctes, joins, checks


@dataclass
class TableKeys:
    """Keys the table already holds, which new rows must not repeat.

    ``source``: SQL reading the table's current rows. ``groups``: per key, its columns and,
    for an upsert, the primary key: then a value is refused only where the table holds it
    in a row with another primary key (that row is not the one the upsert replaces).
    """

    source: str
    groups: list[tuple[list[str], list[str] | None]]
    columns: set[str] = field(default_factory=set)  # the table's columns


def table_key_groups(
    schema: TableSchema, mode: str, columns: set[str]
) -> list[tuple[list[str], list[str] | None]]:
    """Which keys of new rows are checked against the table's rows, for *mode*.

    An append may repeat no key (primary key, unique field) the table holds; an upsert
    replaces rows by primary key, so only its unique fields are checked, against rows
    with another key; a replace drops the table's rows. *columns*: the table's columns
    (a field added since has no values there to repeat).
    """
    if mode == "append":
        return [(cols, None) for cols in unique_groups(schema) if set(cols) <= columns]
    if mode == "upsert" and schema.primary_key and set(schema.primary_key) <= columns:
        return [
            (cols, list(schema.primary_key))
            for cols in unique_groups(schema)
            if cols != schema.primary_key and set(cols) <= columns
        ]
    return []


def _table_joins(
    held: TableKeys, schema: TableSchema
) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """CTEs, joins and checks that reject rows whose key the table already holds.

    A row equal in every column to the table's row of its key (a re-delivery) is
    skipped and counted instead.
    """
    ctes, joins, checks = [], [], []
    same = f"{_row_hash(schema, 'e', held.columns)} = c._h"
    for n, (cols, pk) in enumerate(held.groups):
        on = " AND ".join(f"e.{ident(c)} = c.{ident(c)}" for c in cols)
        other = ""
        if pk:
            other = " AND NOT (" + " AND ".join(f"e.{ident(c)} = c.{ident(c)}" for c in pk) + ")"
        ctes.append(
            f"held{n} AS (SELECT c._row AS r, bool_and({same}) AS same FROM checked c "
            f"JOIN {held.source} e ON {on}{other} GROUP BY c._row)"
        )
        joins.append(f"LEFT JOIN held{n} ON held{n}.r = c._row")
        reason = "already in the table in another row" if pk else "already in the table"
        if not pk:
            checks.append(
                (
                    f"held{n}.r IS NOT NULL AND held{n}.same AND c._reject1 IS NULL",
                    literal(DROPPED + "exact repeat of a row in the table"),
                )
            )
        checks.append((f"held{n}.r IS NOT NULL", literal("+".join(cols) + ": " + reason)))
    return ctes, joins, checks


# A row's reason starting with this is no rejection: the row is left out with a note.
DROPPED = "dropped "


WIDE_FIELDS = 64  # see _fields_sql
# A query's planning time grows faster than its number of columns (DuckDB 2.0: 500
# fields 1.7 s, 2,000 fields 11.5 s): a wider input is typed and checked in parts of
# this many fields, each a query of its own over the input read once (see validation_sql).
PART_FIELDS = 100


@dataclass
class _Part:
    """The SQL typing and checking some fields (see ``_fields_sql``)."""

    raws: list[str] = field(default_factory=list)  # from the input: SELECT … FROM src
    quicks: list[str] = field(default_factory=list)  # from raws: SELECT *, … FROM raw
    prepared: list[str] = field(default_factory=list)  # from quicks: SELECT *, …
    passed: list[str] = field(default_factory=list)  # raws the checks read
    typed: list[str] = field(default_factory=list)  # from quicks: the typed fields
    names: list[str] = field(default_factory=list)  # of the typed fields, as identifiers
    failures: list[tuple[str, str]] = field(default_factory=list)  # (condition, reason)

    def first_failure(self) -> str:
        """SQL: the reason of the first failed check, NULL if none failed."""
        return "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r in self.failures) + " END"


def _fields_sql(
    schema: TableSchema,
    plan: ColumnPlan,
    numbers: range,
    *,
    zone: str,
    year_start: int | None,
) -> _Part:
    """The SQL typing and checking the fields numbered *numbers* (in schema order)."""
    part = _Part()
    # The trimmed text is inlined where it is needed, so that only the values that need
    # it pay for it; but it is used several times per column, and a wide input's query
    # then took DuckDB minutes to plan (2,000 columns: 12 MB of SQL). There it is a
    # column of its own, computed once per value.
    wide = len(schema.fields) > WIDE_FIELDS
    for i in numbers:
        f = schema.fields[i]
        src = plan.sources[f.name]
        raw = f"r_{i}"
        part.passed.append(raw)
        # A pattern is matched on the trimmed text of every value: nothing to save there.
        quick = (
            None
            if src is None or "pattern" in f.constraints
            else _quick_sql(f, raw, zone, year_start)
        )
        key = f.name in schema.primary_key
        part.names.append(ident(f.name))
        if src is not None and quick is not None:
            # The value as it came; trimmed (and read in every form) only where needed.
            helper, expr = quick
            part.raws.append(f"{ident(src)} AS {raw}")
            part.raws += [f"{helper} AS h_{i}"] if helper else []
            part.quicks.append(f"{expr.replace('{h}', f'h_{i}')} AS q_{i}")
            trimmed = _trimmed(raw)
            full = typed_sql(f, trimmed, year_start)
            if wide:
                part.quicks.append(f"{trimmed} AS t_{i}")
                trimmed = f"t_{i}"
                part.passed.append(trimmed)
                full = typed_sql(f, trimmed, year_start)
                if f.type in NUMERIC_TYPES:
                    # Its text for the full reading, once: the query is a third smaller.
                    part.prepared.append(
                        f"CASE WHEN q_{i} IS NULL THEN {numeric_text(trimmed)} END AS w_{i}"
                    )
                    full = typed_sql(f, f"w_{i}", year_start, prepared=True)
            # CASE, unlike COALESCE, computes the full reading only for the rows it needs.
            part.typed.append(
                f"CASE WHEN q_{i} IS NOT NULL THEN q_{i} ELSE {full} END AS {ident(f.name)}"
            )
            checks = _checks(
                f, trimmed, ident(f.name), key=key, untrimmed=raw, year_start=year_start
            )
        else:
            part.raws.append(
                f"{_trimmed(ident(src))} AS {raw}" if src else f"NULL::VARCHAR AS {raw}"
            )
            part.typed.append(f"{typed_sql(f, raw, year_start)} AS {ident(f.name)}")
            checks = _checks(f, raw, ident(f.name), key=key, year_start=year_start)
        part.failures += [
            (cond, f"{literal(f.name + ': ')} || {reason}") for cond, reason in checks
        ]
    return part


def _parts(
    staged: StagedInput,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    zone: str,
    year_start: int | None,
) -> list[_Part]:
    """The fields' SQL in parts of ``PART_FIELDS``, the input's own checks added."""
    count = len(schema.fields)
    parts = [
        _fields_sql(
            schema, plan, range(n, min(n + PART_FIELDS, count)), zone=zone, year_start=year_start
        )
        for n in range(0, count, PART_FIELDS)
    ]
    first, last = parts[0], parts[-1]
    # Read the ignored columns too (DuckDB checks text is UTF-8 only in columns it reads),
    # so that bad bytes anywhere in the input fail the run, as a transcoded input would.
    last.raws += [ident(c) for c in plan.ignored]
    last.passed += [ident(c) for c in plan.ignored]
    last.failures += [(f"strlen({ident(c)}) < 0", literal("never")) for c in plan.ignored]
    if staged.totals_cells or staged.footer_cells:
        # The totals and footer rows the CSV ends with: dropped, noted (see readers_csv).
        firsts = [ident(c) for c in staged.columns[:2]]
        first.raws.append(f"coalesce({', '.join(firsts)}) AS z_0")
        first.passed.append("z_0")
        for cells, what in ((staged.totals_cells, "totals"), (staged.footer_cells, "footer")):
            if cells:
                listed = ", ".join(literal(c) for c in cells)
                first.failures.insert(0, (f"z_0 IN ({listed})", literal(f"{DROPPED}{what} row")))
    return parts


def _key_column(staged: StagedInput) -> str:
    """A name for the row numbers of a wide input's parts, which no input column has."""
    taken = {c.lower() for c in staged.columns}
    k = "_k"
    while k in taken:
        k += "_"
    return k


def parts_sql(
    staged: StagedInput,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    zone: str,
    year_start: int | None = None,
) -> list[str]:
    """Statements to run before ``validation_sql`` on the same connection (none if narrow).

    A wide input is read once into a temporary table whose rows get a unique number
    (``_row`` is not unique for several sheets read as one); each part of
    ``PART_FIELDS`` fields is typed and checked from it into a temporary table of its
    own, a query DuckDB plans in a fraction of the whole's time; ``validation_sql``
    joins them back by that number.
    """
    parts = _parts(staged, schema, plan, zone=zone, year_start=year_start)
    if len(parts) == 1:
        return []
    k = _key_column(staged)
    statements = [
        f"CREATE OR REPLACE TEMP TABLE src AS SELECT *, row_number() OVER () AS {k} "
        f"FROM ({staged.select_sql})"
    ]
    for n, part in enumerate(parts):
        row = "_row, " if n == 0 else ""
        raw = f"SELECT {k}, {row}{', '.join(part.raws)} FROM src"
        quick = f"SELECT {', '.join(['*', *part.quicks])} FROM ({raw})"
        prepared = f"SELECT {', '.join(['*', *part.prepared])} FROM ({quick})"
        typed = f"SELECT {k}, {row}{', '.join(part.passed + part.typed)} FROM ({prepared})"
        statements.append(
            f"CREATE OR REPLACE TEMP TABLE p{n} AS SELECT {k}, {row}{', '.join(part.names)}, "
            f"{part.first_failure()} AS _reject FROM ({typed})"
        )
    statements.append("DROP TABLE src")
    return statements


def _parted_typed(staged: StagedInput, schema: TableSchema, count: int) -> str:
    """SQL of the typed fields and ``_reject1`` from the tables of ``parts_sql``.

    Left joins, which DuckDB keeps in their order: inner joins of many parts on one
    key would be ordered by the join optimiser, whose work grows fast with their number.
    """
    k = _key_column(staged)
    joins = " ".join(f"LEFT JOIN p{n} ON p{n}.{k} = p0.{k}" for n in range(1, count))
    rejects = ", ".join(f"p{n}._reject" for n in range(count))
    cols = ", ".join(ident(name) for name in schema.names)
    return f"SELECT p0._row, {cols}, coalesce({rejects}) AS _reject1 FROM p0 {joins}"


def validation_sql(
    staged: StagedInput,
    schema: TableSchema,
    plan: ColumnPlan,
    *,
    duplicates: bool = True,
    zone: str,
    held: TableKeys | None = None,
    year_start: int | None = None,
) -> str:
    """The query; with ``duplicates=False`` it does not look for repeated keys (see run.py).

    *zone*: the time zone of local times in the input (the connection's TimeZone).
    *held*: keys already in the table, which a new row must not repeat (see run.py).

    The first failed check gives a row's reason: the fields' checks in schema order. A
    wide input's parts (``PART_FIELDS``) each give their first failure; the first of
    those, in the parts' order, is the same reason.
    """
    parts = _parts(staged, schema, plan, zone=zone, year_start=year_start)
    out_cols = ", ".join(ident(n) for n in schema.names)
    if len(parts) == 1:
        (part,) = parts
        head = (
            f"WITH src AS ({staged.select_sql}), "
            f"raw AS (SELECT _row, {', '.join(part.raws)} FROM src), "
            f"quick AS (SELECT {', '.join(['*', *part.quicks])} FROM raw), "
            f"prepared AS (SELECT {', '.join(['*', *part.prepared])} FROM quick), "
            f"typed AS (SELECT _row, {', '.join(part.passed + part.typed)} FROM prepared), "
        )
        first_pass = part.first_failure()
    else:  # see parts_sql
        head = f"WITH typed AS ({_parted_typed(staged, schema, len(parts))}), "
        first_pass = "_reject1"
    checked = f"SELECT _row, {out_cols}, {first_pass} AS _reject1 FROM typed"
    groups = unique_groups(schema) if duplicates else []
    if not groups and not (held and held.groups):
        plain = f"SELECT _row, {out_cols}, _reject1 AS _reject FROM checked"
        return f"{head}checked AS ({checked}) {plain}"
    # Keys the table holds are checked first: a row repeating one is refused as such,
    # even when an earlier row of the input repeats it too.
    ctes, joins, checks = _table_joins(held, schema) if held else ([], [], [])
    more = _duplicates(groups)
    ctes, joins, checks = ctes + more[0], joins + more[1], checks + more[2]
    final = (
        "CASE WHEN c._reject1 IS NOT NULL THEN c._reject1 "
        + " ".join(f"WHEN {c} THEN {r}" for c, r in checks)
        + " END"
    )
    c_cols = ", ".join(f"c.{ident(n)}" for n in schema.names)
    checked = f"SELECT *, {_row_hash(schema, 'k')} AS _h FROM ({checked}) k"
    # checked is read twice (keys, then rows): materialise it once instead of parsing twice.
    return (
        f"{head}checked AS MATERIALIZED ({checked}), {', '.join(ctes)} "
        f"SELECT c._row, {c_cols}, {final} AS _reject FROM checked c {' '.join(joins)}"
    )
