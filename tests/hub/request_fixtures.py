"""The data-request tests' dataset and people (imported explicitly by the test modules).

The dataset ``people`` belongs to 望湖街道 and is owned by 临江区公安分局 (a department at the
district); ``users`` are who ask and who decide: a district analyst, the street's staff, a
member of the owning department, a platform admin, and community staff, staff of another
district and a resident who may not decide.
"""

from __future__ import annotations

from typing import Any

import pytest

from shequ.core.models import Department, Membership, Role
from shequ.hub.models import Category, Dataset

PROVINCE = "990000000000"
DISTRICT = "990102000000"  # 临江区
STREET = "990102001000"  # 望湖街道: the dataset's region
HOME = "990102001001"  # 锦绣社区
OTHER_STREET = "990103001000"  # 北山街道, another district

SCHEMA: dict[str, Any] = {
    "primaryKey": ["person_id"],
    "regionField": "region_code",
    "fields": [
        {"name": "person_id", "title": "人员编号"},
        {"name": "name", "title": "姓名", "pii": "name", "grade": "important"},
        {"name": "phone", "title": "手机号", "pii": "phone", "grade": "important"},
        {"name": "age", "title": "年龄", "type": "integer"},
        {"name": "region_code", "title": "区划代码"},
    ],
}


@pytest.fixture(name="police")
def police_fixture(regions: dict[str, Any]) -> Department:
    return Department.objects.create(
        region=regions[DISTRICT], code="police", name="临江区公安分局", kind="police"
    )


@pytest.fixture(name="dataset")
def dataset_fixture(regions: dict[str, Any], police: Department) -> Dataset:
    category = Category.objects.create(key="people", name="人口", name_en="People")
    return Dataset.objects.create(
        key="people",
        title="人口信息",
        title_en="People",
        category=category,
        region=regions[STREET],
        department=police,
        tier="district",
        sharing="conditional",
        schema=SCHEMA,
    )


@pytest.fixture(name="users")
def users_fixture(make_user: Any, regions: dict[str, Any], police: Department) -> dict[str, Any]:
    officer = make_user(None, username="officer")
    Membership.objects.create(
        user=officer, region=regions[DISTRICT], department=police, role=Role.DEPARTMENT_ANALYST
    )
    return {
        "analyst": make_user(Role.DEPARTMENT_ANALYST, DISTRICT, username="analyst"),
        "street": make_user(Role.STREET_STAFF, STREET, username="street"),
        "officer": officer,
        "admin": make_user(Role.PLATFORM_ADMIN, PROVINCE, username="admin"),
        "community": make_user(Role.COMMUNITY_STAFF, HOME, username="community"),
        "other": make_user(Role.STREET_STAFF, OTHER_STREET, username="other"),
        "resident": make_user(Role.RESIDENT, HOME, username="resident"),
    }
