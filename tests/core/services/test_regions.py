"""The region tree: 12-digit statistical division codes, levels and parents."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shequ.core.models import Region
from shequ.core.models.regions import RegionLevel, prefix_of_code, validate_region_code

L = RegionLevel


@pytest.mark.parametrize(
    ("code", "level", "parent_code"),
    [
        ("110000000000", L.PROVINCE, None),
        ("990200000000", L.CITY, "990000000000"),
        ("990104000000", L.DISTRICT, "990100000000"),
        ("990102003000", L.STREET, "990102000000"),
        ("990102001003", L.COMMUNITY, "990102001000"),
        ("990102001202", L.VILLAGE, "990102001000"),
    ],
)
def test_it_accepts_a_good_code_at_every_level(
    regions: dict[str, Region], code: str, level: str, parent_code: str | None
) -> None:
    parent = regions[parent_code] if parent_code else None
    validate_region_code(code, level, parent)
    region = Region.objects.create(code=code, name="新", level=level, parent=parent)
    assert Region.objects.get(code=code) == region


@pytest.mark.parametrize(
    ("case", "code", "level", "parent_code", "field"),
    [
        ("11 digits", "99010200100", L.COMMUNITY, "990102001000", "code"),
        ("13 digits", "9901020010031", L.COMMUNITY, "990102001000", "code"),
        ("letters", "99010200100A", L.COMMUNITY, "990102001000", "code"),
        ("full-width digits", "９９０１０２００１００３", L.COMMUNITY, "990102001000", "code"),
        ("full-width province", "１１００００００００００", L.PROVINCE, None, "code"),
        ("trailing newline", "990102001003\n", L.COMMUNITY, "990102001000", "code"),
        ("community outside its street", "990102002003", L.COMMUNITY, "990102001000", "code"),
        ("level digits all zero", "990102001000", L.COMMUNITY, "990102001000", "code"),
        ("street digits all zero", "990102000000", L.STREET, "990102000000", "code"),
        ("digits below the level", "990102003001", L.STREET, "990102000000", "code"),
        ("street under a city", "990102003000", L.STREET, "990100000000", "parent"),
        ("community under a district", "990102003001", L.COMMUNITY, "990102000000", "parent"),
        ("community under a village", "990102001003", L.COMMUNITY, "990102001201", "parent"),
        ("province with a parent", "980000000000", L.PROVINCE, "990000000000", "parent"),
        ("city without a parent", "990200000000", L.CITY, None, "parent"),
        ("unknown level", "990102003000", "county", "990102000000", "level"),
    ],
)
def test_it_refuses_a_bad_code_and_names_the_field(
    regions: dict[str, Region],
    case: str,
    code: str,
    level: str,
    parent_code: str | None,
    field: str,
) -> None:
    parent = regions[parent_code] if parent_code else None
    before = Region.objects.count()

    with pytest.raises(ValidationError) as caught:
        validate_region_code(code, level, parent)
    assert field in caught.value.message_dict, case

    with pytest.raises(ValidationError):
        Region(code=code, name="坏", level=level, parent=parent).clean()
    with pytest.raises(ValidationError):
        Region.objects.create(code=code, name="坏", level=level, parent=parent)
    assert Region.objects.count() == before


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("990000000000", "99"),
        ("990100000000", "9901"),
        ("990102000000", "990102"),
        ("990102001000", "990102001"),
        ("990102001001", "990102001001"),
        ("990102001201", "990102001201"),
    ],
)
def test_the_prefix_of_a_code_is_its_significant_digits(
    regions: dict[str, Region], code: str, prefix: str
) -> None:
    assert prefix_of_code(code) == prefix
    assert regions[code].prefix == prefix


def test_a_region_covers_itself_and_its_descendants_only(regions: dict[str, Region]) -> None:
    street = regions["990102001000"]
    assert street.covers(street)
    assert street.covers(regions["990102001001"])
    assert street.covers(regions["990102001201"])
    assert not street.covers(regions["990102002000"])
    assert not street.covers(regions["990102002001"])
    assert not street.covers(regions["990102000000"])
    assert not street.covers(regions["990103001001"])
    assert regions["990000000000"].covers(regions["990103001001"])
    assert not regions["990102001001"].covers(regions["990102001002"])


def test_ancestors_run_from_the_parent_up_to_the_province(regions: dict[str, Region]) -> None:
    chain = regions["990102001001"].ancestors()
    assert [r.code for r in chain] == [
        "990102001000",
        "990102000000",
        "990100000000",
        "990000000000",
    ]
    assert regions["990000000000"].ancestors() == []


def test_it_refuses_a_centre_outside_the_globe(regions: dict[str, Region]) -> None:
    region = regions["990102001001"]
    region.centre_lat = 91
    with pytest.raises(ValidationError) as caught:
        region.save()
    assert "centre_lat" in caught.value.message_dict
