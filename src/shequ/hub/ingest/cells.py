"""Reading one cell as what it means: SQL that trims, normalises (full-width, marks of nothing,
phone and plate separators) and types a raw text cell, or finds it unreadable.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import duckdb

from shequ.hub.tableschema import DUCKDB_TYPES, Field

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


# Cells that mean "nothing" in Chinese government files: read as empty.
EMPTY_MARKS = ("无", "-", "--", "/", "—", "——", "－", "／")


_SPACES = " \u3000"  # and the ideographic (full-width) space


def trimmed_sql(col: str) -> str:
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


# Full-width ASCII (U+FF01..U+FF5E), as Chinese input methods type it: "１２３４", "浙Ａ８８３０２".
_FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))


_HALF_WIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))


def half_width(value: str) -> str:
    """SQL: *value* with full-width letters, digits and signs as ASCII.

    translate() builds its table of 94 pairs anew for every value (about 10 µs: 10 s for
    a million), so only values that hold a full-width character go through it.
    """
    translated = f"translate({value}, {literal(_FULL_WIDTH)}, {literal(_HALF_WIDTH)})"
    some = f"regexp_matches({value}, {literal(FULL_WIDTH_CLASS)})"
    return f"CASE WHEN {some} THEN {translated} ELSE {value} END"


FULL_WIDTH_CLASS = "[\\x{ff01}-\\x{ff5e}]"  # RE2: any character of _FULL_WIDTH


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


# Local times are converted with the zone's fixed offset from this long after its last change
# (seen at a daily sample, so the change itself came less than a day after it).
_ZONE_MARGIN = timedelta(days=2)


_PLAIN_DATETIME = "%Y-%m-%d %H:%M:%S"


@functools.lru_cache(maxsize=8)
def fixed_offset_since(zone: str) -> tuple[datetime, int] | None:
    """(local time from which *zone* keeps one UTC offset, that offset in seconds).

    Found by DuckDB's own time zone rules (those ``CAST(... AS TIMESTAMPTZ)`` applies),
    sampled daily from 1900 to 2200 (every 6 hours took a tenth of a second, paid by each
    new process's first ingest). None for a zone whose offset still changes (daylight
    saving time): there every local time is converted by those rules. Asia/Shanghai keeps
    +08:00 after its last daylight saving time, in 1991.
    """
    with duckdb.connect() as con:
        con.execute(f"SET TimeZone = {literal(zone)}")
        found = con.execute(
            "WITH s AS (SELECT t, epoch(t) - epoch(CAST(t AS TIMESTAMPTZ)) AS off "
            "FROM generate_series(TIMESTAMP '1900-01-01', TIMESTAMP '2200-01-01', "
            "INTERVAL 1 DAY) g(t)), "
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


def quick_sql(
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
