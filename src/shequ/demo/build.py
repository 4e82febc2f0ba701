"""The synthetic demo community (made-up codes and names, fake but well-formed).

Running it again refreshes the same objects instead of duplicating them.
Each app adds its own demo data: ``demo_steps`` finds ``<app>.demo.build`` in every installed
app, the way the admin finds ``admin`` modules.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from shequ.config import env, persistent_secret
from shequ.core import pii
from shequ.core.models import Channel, Department, Membership, Person, Region, Role
from shequ.core.models.notifications import ChannelKind
from shequ.core.models.regions import DepartmentKind, RegionLevel
from shequ.core.services.people import create_person

# Province 99 is not a real province: every code below is made up but valid in form.
REGIONS = [
    ("990000000000", "示范省", "Demo Province", RegionLevel.PROVINCE, None, (30.25, 120.16)),
    ("990100000000", "示范市", "Demo City", RegionLevel.CITY, "990000000000", (30.25, 120.16)),
    (
        "990102000000",
        "临江区",
        "Linjiang District",
        RegionLevel.DISTRICT,
        "990100000000",
        (30.26, 120.17),
    ),
    (
        "990102001000",
        "望湖街道",
        "Wanghu Sub-district",
        RegionLevel.STREET,
        "990102000000",
        (30.27, 120.15),
    ),
    (
        "990102001001",
        "锦绣社区",
        "Jinxiu Community",
        RegionLevel.COMMUNITY,
        "990102001000",
        (30.272, 120.148),
    ),
    (
        "990102001002",
        "和园社区",
        "Heyuan Community",
        RegionLevel.COMMUNITY,
        "990102001000",
        (30.268, 120.156),
    ),
    (
        "990102001201",
        "石桥村",
        "Shiqiao Village",
        RegionLevel.VILLAGE,
        "990102001000",
        (30.241, 120.132),
    ),
    (
        "990102002000",
        "江南街道",
        "Jiangnan Sub-district",
        RegionLevel.STREET,
        "990102000000",
        (30.21, 120.21),
    ),
]

DEPARTMENTS = [
    (
        "990102000000",
        "police",
        "临江区公安分局",
        "Linjiang Public Security Bureau",
        DepartmentKind.POLICE,
    ),
    (
        "990102000000",
        "traffic-police",
        "临江区交警大队",
        "Linjiang Traffic Police",
        DepartmentKind.TRAFFIC_POLICE,
    ),
    ("990102000000", "health", "临江区卫生健康局", "Linjiang Health Bureau", DepartmentKind.HEALTH),
    (
        "990102000000",
        "housing",
        "临江区住房和城乡建设局",
        "Linjiang Housing Bureau",
        DepartmentKind.HOUSING,
    ),
    ("990102000000", "telecom", "临江区电信分公司", "Linjiang Telecom", DepartmentKind.TELECOM),
    (
        "990102000000",
        "urban",
        "临江区城市管理局",
        "Linjiang Urban Management",
        DepartmentKind.URBAN_MANAGEMENT,
    ),
    (
        "990102001000",
        "office",
        "望湖街道办事处",
        "Wanghu Sub-district Office",
        DepartmentKind.STREET_OFFICE,
    ),
]

# (username, full name, role, region code, department code or None)
USERS = [
    ("admin", "平台管理员", Role.PLATFORM_ADMIN, "990000000000", None),
    ("street", "王街道", Role.STREET_STAFF, "990102001000", None),
    ("community", "李社区", Role.COMMUNITY_STAFF, "990102001001", None),
    ("analyst", "赵分析", Role.DEPARTMENT_ANALYST, "990102000000", "police"),
    ("garage", "陈物业", Role.GARAGE_OPERATOR, "990102001001", None),
    ("duty", "刘值班", Role.DUTY_OFFICER, "990102001201", None),
    ("volunteer", "周志愿", Role.VOLUNTEER, "990102001001", None),
    ("resident", "吴居民", Role.RESIDENT, "990102001001", None),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"

DemoStep = Callable[[], object]  # what a step returns is for its own logging


def demo_steps() -> list[DemoStep]:
    """``build`` of each installed app's ``demo`` module, in ``INSTALLED_APPS`` order."""
    steps = []
    for config in apps.get_app_configs():
        if config.module is not None and module_has_submodule(config.module, "demo"):
            steps.append(import_module(f"{config.name}.demo").build)
    return steps


def demo_password() -> str:
    """One password for every demo login: $SHEQU_DEMO_PASSWORD or generated once in var/."""

    def generate() -> str:
        return f"shequ-{random.SystemRandom().randint(1000, 9999)}-demo"

    return env("DEMO_PASSWORD") or persistent_secret(settings.VAR_DIR, "demo_password", generate)


def build_regions() -> None:
    for code, name, name_en, level, parent_code, (lat, lon) in REGIONS:
        parent = Region.objects.get(code=parent_code) if parent_code else None
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "level": level,
                "parent": parent,
                "centre_lat": lat,
                "centre_lon": lon,
            },
        )
    for region_code, code, name, name_en, kind in DEPARTMENTS:
        Department.objects.update_or_create(
            region=Region.objects.get(code=region_code),
            code=code,
            defaults={"name": name, "name_en": name_en, "kind": kind},
        )


def build_users(password: str) -> list[dict[str, str]]:
    User = get_user_model()
    logins = []
    for username, full_name, role, region_code, dept_code in USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = full_name
        user.is_staff = user.is_superuser = role == Role.PLATFORM_ADMIN
        user.set_password(password)
        user.save()
        region = Region.objects.get(code=region_code)
        department = Department.objects.get(code=dept_code) if dept_code else None
        Membership.objects.update_or_create(
            user=user, region=region, role=role, defaults={"department": department}
        )
        logins.append({"username": username, "role": str(role.label), "region": region.name})
    return logins


def build_people(count: int = 60) -> None:
    """Residents of the two communities and the village, with fake valid ID numbers."""
    rng = random.Random(20211)
    admin = get_user_model().objects.get(username="admin")
    homes = list(Region.objects.filter(level__in=[RegionLevel.COMMUNITY, RegionLevel.VILLAGE]))
    existing = Person.objects.filter(region__in=homes).count()
    for i in range(existing, count):
        region = homes[i % len(homes)]
        birth = date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))
        id_number = pii.make_id_number("990102", birth, rng.randint(1, 999))
        create_person(
            admin,
            region,
            name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
            id_number=id_number,
            phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            address=f"{region.name}{rng.randint(1, 30)}幢{rng.randint(1, 6)}单元"
            f"{rng.randint(101, 1802)}室",
        )


def build_channels() -> None:
    for region in Region.objects.filter(
        level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.VILLAGE]
    ):
        Channel.objects.get_or_create(
            region=region,
            kind=ChannelKind.INBOX,
            defaults={
                "name": "站内信",
                "config": {"roles": [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.DUTY_OFFICER]},
            },
        )


def build_demo(scale: int = 1, *, hub: bool = True) -> list[dict[str, str]]:
    """Create or refresh the demo; ``scale`` multiplies the generated hub rows."""
    from shequ.demo.data import load_demo_hub

    password = demo_password()
    with transaction.atomic():
        build_regions()
        logins = build_users(password)
        build_people()
        build_channels()
    if hub:
        load_demo_hub(scale)
    for step in demo_steps():
        step()
    return [{**login, "password": password} for login in logins]


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width: CJK characters take two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - shown)


def print_logins(logins: list[dict[str, Any]], url: str) -> None:
    print(f"\nshequ demo is ready at {url}\n")
    print(_pad("user", 12) + _pad("password", 22) + _pad("role", 28) + "region")
    for login in logins:
        print(
            _pad(login["username"], 12)
            + _pad(login["password"], 22)
            + _pad(login["role"], 28)
            + login["region"]
        )
    print(flush=True)
