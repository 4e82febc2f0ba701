"""The threat model of docs/privacy.md as a property: for every catalog dataset with personal
columns, rows drawn by hypothesis, every grant that reads the dataset masked (nothing in clear,
or one personal column asked in clear) and every pair of columns that grant returns, an attacker
who combines the two cannot narrow a masked personal value to fewer than 1,000 candidates.

The attacker's search enumerates the values a masked value may hide (its kept characters fixed,
its starred ones free, the structure of an ID number respected) and keeps those consistent with
the partner column as the grant returns it: a birth date or a sex that the ID number encodes
must agree with the candidate's. Values of a kind with a fixed mask (face, health) must come out
as the same constant whatever they are: the output then says nothing about them.

The masked rows come from ``masked_select``, the SQL that defines the query engine's dataset
views, and the effective clear columns from ``TableSchema.clear_allowed``, as ``access_for``.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.core import pii
from shequ.hub.query.masking import FIXED_MASK, masked_select
from shequ.hub.services.catalog import read_catalog
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema

THRESHOLD = 1000
# Pairs of columns of the same person the attacker knows to be linked, whether or not the
# catalog declares it: (dataset, ID number column, birth date column, sex column or "").
SAME_PERSON = {
    "household_registry": ("id_number", "birth_date", "gender"),
    "floating_population": ("id_number", "", "gender"),
    "death_records": ("id_number", "", "gender"),
    "community_corrections": ("id_number", "", "gender"),
}
# The attacker's dictionary of given-name characters: GB 2312 level 1 (3,755 characters).
GB2312_LEVEL1 = [
    c
    for hi in range(0xB0, 0xD8)
    for lo in range(0xA1, 0xFF)
    if (c := bytes([hi, lo]).decode("gb2312", errors="ignore"))
]
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
PROVINCES = "浙京沪苏"


def _datasets() -> list[tuple[str, TableSchema]]:
    found = []
    for category in read_catalog():
        for item in category["datasets"]:
            schema = TableSchema.from_dict(item["schema"])
            if schema.pii_fields():
                found.append((item["key"], schema))
    return found


DATASETS = _datasets()


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------

births = st.dates(min_value=date(1930, 1, 1), max_value=date(2025, 12, 31))
regions = st.sampled_from(["330106", "330105", "110101", "440305"])
sequences = st.integers(min_value=0, max_value=999)
given_names = st.lists(st.sampled_from(GB2312_LEVEL1), min_size=1, max_size=2).map("".join)
surnames = st.sampled_from("王李张刘陈杨黄赵吴周欧")
names = st.builds(lambda s, g: s + g, surnames, given_names)
phones = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(min_value=0, max_value=10**9 - 1),
)
plates = st.builds(
    lambda p, letter, serial: f"{p}{letter}{serial}",
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJK"),
    st.text(PLATE_CHARS, min_size=5, max_size=5),
)
addresses = st.builds(
    lambda road, n, room: f"浙江省杭州市西湖区{road}路{n}号{room}室",
    st.sampled_from(["文三", "文二", "学院", "古墩"]),
    st.integers(1, 999),
    st.integers(101, 2999),
)


@st.composite
def rows(draw: Any, key: str, schema: TableSchema) -> dict[str, Any]:
    kinds = schema.pii_fields()
    row: dict[str, Any] = {}
    id_col, birth_col, sex_col = SAME_PERSON.get(key, ("", "", ""))
    for f in schema.fields:
        kind = kinds.get(f.name)
        if kind == "id_card":
            birth, seq = draw(births), draw(sequences)
            row[f.name] = pii.make_id_number(draw(regions), birth, seq)
        elif kind == "phone":
            row[f.name] = draw(phones)
        elif kind == "plate":
            row[f.name] = draw(plates)
        elif kind == "name":
            row[f.name] = draw(names)
        elif kind == "address":
            row[f.name] = draw(addresses)
        elif kind in ("face", "health") and f.type in ("integer", "number"):
            row[f.name] = draw(st.integers(0, 300))
        elif kind in ("face", "health"):
            row[f.name] = draw(st.text(string.ascii_letters + "高血压糖尿病", min_size=1))
        elif f.type == "date":
            row[f.name] = draw(births)
        else:
            row[f.name] = None  # not personal: plays no part in the search
    if id_col and row.get(id_col):
        number = row[id_col]
        if birth_col:
            row[birth_col] = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if sex_col:
            row[sex_col] = "男" if int(number[16]) % 2 else "女"
    return row


def returned(
    con: duckdb.DuckDBPyConnection, schema: TableSchema, row: dict[str, Any], clear: frozenset[str]
) -> dict[str, Any]:
    """The row as a grant with these clear columns reads it through the engine's masking."""
    kinds = schema.pii_fields()
    params, selects = [], []
    for f in schema.fields:
        selects.append(f'CAST(? AS {DUCKDB_TYPES[f.type]}) AS "{f.name}"')
        value = row[f.name]
        params.append(value.isoformat() if isinstance(value, date) else value)
    source = f"(SELECT {', '.join(selects)})"
    columns = [
        (f.name, kinds[f.name] if f.name in kinds and f.name not in clear else None)
        for f in schema.fields
    ]
    result = con.execute(masked_select(source, columns), params)
    names = [d[0] for d in result.description]
    values = result.fetchone()
    assert values is not None
    return dict(zip(names, values, strict=True))


# ---------------------------------------------------------------------------------------------
# The attacker's search
# ---------------------------------------------------------------------------------------------


def _fits(candidate: str, masked: str) -> bool:
    return len(candidate) == len(masked) and all(
        m == "*" or m == c for c, m in zip(candidate, masked, strict=True)
    )


def _dates_for(seen: Any) -> Iterator[date]:
    """Birth dates consistent with what a birth date column returned."""
    if isinstance(seen, date):
        yield seen
        return
    text = str(seen or "")
    low, high = date(1900, 1, 1), date(2026, 12, 31)
    if len(text) >= 4 and text[:3].isdigit():
        decade = int(text[:3]) * 10
        if text[3].isdigit():
            low, high = date(int(text[:4]), 1, 1), date(int(text[:4]), 12, 31)
        else:
            low, high = date(max(decade, 1900), 1, 1), date(min(decade + 9, 2026), 12, 31)
    day = low
    while day <= high:
        yield day
        day += timedelta(days=1)


def id_candidates(masked: str, partners: dict[str, Any]) -> Iterator[str]:
    """ID numbers whose mask is ``masked`` and whose birth date and sex agree with what the
    partner columns returned."""
    if len(masked) != 18:
        return
    regions_seen = [masked[:6]] if "*" not in masked[:6] else ["330106", "330105", "110101"]
    seqs = [seq for seq in range(1000) if _fits(f"{seq:03d}", masked[14:17])]
    for region, day in itertools.product(regions_seen, _dates_for(partners.get("birth"))):
        body = f"{region}{day:%Y%m%d}"
        if not _fits(body, masked[:14]):
            continue
        for seq in seqs:
            number = body + f"{seq:03d}"
            number += pii.id_number_check_digit(number)
            sex = partners.get("sex")
            if sex in ("男", "女") and (sex == "男") != bool(seq % 2):
                continue
            if _fits(number, masked) and pii.mask_id_number(number) == masked:
                yield number


def fill_candidates(masked: str, alphabet: str | list[str]) -> Iterator[str]:
    stars = [i for i, c in enumerate(masked) if c == "*"]
    for filling in itertools.product(alphabet, repeat=len(stars)):
        chars = list(masked)
        for i, c in zip(stars, filling, strict=True):
            chars[i] = c
        yield "".join(chars)


def candidates(kind: str, masked: str, partners: dict[str, Any]) -> Iterator[str]:
    if kind == "id_card":
        yield from id_candidates(masked, partners)
    elif kind == "phone":
        yield from (
            c for c in fill_candidates(masked, string.digits) if pii.mask_phone(c) == masked
        )
    elif kind == "plate":
        yield from (c for c in fill_candidates(masked, PLATE_CHARS) if pii.mask_plate(c) == masked)
    elif kind == "name":
        for c in fill_candidates(masked, GB2312_LEVEL1):
            if pii.mask_name(c) == masked:
                yield c
    elif kind == "address":
        # Everything after the kept head is free: any street, number and room fits.
        head = masked.removesuffix("****")
        yield from (f"{head}{n}号" for n in itertools.count(1))
    elif kind == "birth_date":
        yield from (d.isoformat() for d in _dates_for(masked))


def search(kind: str, masked: str, partners: dict[str, Any], clear: Any) -> list[str]:
    """The candidates for a masked value, up to the threshold; the clear value must be one."""
    found = list(itertools.islice(candidates(kind, masked, partners), THRESHOLD))
    if len(found) < THRESHOLD:
        assert str(clear) in found, f"the search missed the clear value {clear!r} of {masked!r}"
    return found


def links(key: str, schema: TableSchema, column: str) -> dict[str, str]:
    """Columns that tell about the target column: partner -> "birth" or "sex"."""
    found: dict[str, str] = {}
    id_col, birth_col, sex_col = SAME_PERSON.get(key, ("", "", ""))
    if column == id_col:
        if birth_col:
            found[birth_col] = "birth"
        if sex_col:
            found[sex_col] = "sex"
    for f in schema.fields:
        if column in getattr(f, "part_of", ()) and f.pii == "birth_date":
            found[f.name] = "birth"
    return found


# ---------------------------------------------------------------------------------------------
# The property
# ---------------------------------------------------------------------------------------------


def _grants(schema: TableSchema) -> list[frozenset[str]]:
    """Effective clear columns of a masked grant and of each grant asking one column in clear."""
    allowed = getattr(schema, "clear_allowed", frozenset)  # before the rule: as asked
    asked = [frozenset(), *(frozenset({name}) for name in schema.pii_fields())]
    return list(dict.fromkeys(allowed(a) for a in asked))


@pytest.mark.parametrize(("key", "schema"), DATASETS, ids=[k for k, _ in DATASETS])
def test_no_pair_of_returned_columns_narrows_a_masked_value_below_1000(
    key: str, schema: TableSchema
) -> None:
    kinds = schema.pii_fields()
    con = duckdb.connect()

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(rows(key, schema))
    def check(row: dict[str, Any]) -> None:
        for clear in _grants(schema):
            seen = returned(con, schema, row, clear)
            for column, kind in kinds.items():
                if column in clear or row[column] is None:
                    continue
                masked = seen[column]
                if kind in ("face", "health"):
                    assert masked == FIXED_MASK, (key, column)
                    continue
                linked = links(key, schema, column)
                # Alone (any unlinked partner adds nothing), with each linked partner, and
                # with all of them at once.
                partner_sets = [(), *((p,) for p in linked)]
                if len(linked) > 1:
                    partner_sets.append(tuple(linked))
                for partners in partner_sets:
                    told = {linked[p]: seen[p] for p in partners}
                    found = search(kind, masked, told, _clear_text(row[column]))
                    assert len(found) >= THRESHOLD, (
                        f"{key}.{column} ({kind}) returned as {masked!r} with "
                        f"{ {p: seen[p] for p in partners} } (clear: {sorted(clear)}): "
                        f"{len(found)} candidates, {found[:3]}"
                    )

    try:
        check()
    finally:
        con.close()


def _clear_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
