"""The time bank part of ``shequ demo``: 锦绣社区's time bank built through its own services.

356 volunteers and the elders they help are registered as members, the community pool is
seeded, and about 1,680 services over the last five months go through the whole journey
(posted, often by a family member or by staff taking a phone call; taken; checked in and
out; confirmed, the hours moving; rated), then a few live requests stay open or under way.
The history is written muted (nobody is told of services long past). Running it again
leaves the history as it is and tops the live requests up.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from shequ.core import pii
from shequ.core.models import Membership, Person, Region, Role
from shequ.core.services.people import create_person
from shequ.core.types import User
from shequ.timebank.models import HelpRequest, Member, Skill
from shequ.timebank.services import (
    flowback,
    ledger,
    members,
    notices,
    orders,
    ratings,
    records,
    requests,
)

log = logging.getLogger(__name__)

COMMUNITY = "990102001001"  # 锦绣社区
ESTATE = "锦绣花园"
ELDERS = 120
DAYS = 150  # about five months
SEED_HOURS = 4000
LIVE_OPEN = 8
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文斌宇浩子涵梓萱一诺欣怡"
WHAT = {
    "meals": "独居老人，晚饭想请人送一份热饭。",
    "escort": "周三上午去区医院复查，需要人陪同挂号取药。",
    "visit": "老伴去世后一个人住，想有人来聊聊天。",
    "shopping": "腿脚不便，请帮忙买些米面和蔬菜。",
    "housework": "请帮忙打扫一下厨房和卫生间。",
    "repairs": "厨房水龙头漏水，请帮忙看看。",
    "tutoring": "孩子初二数学跟不上，想请人辅导一次。",
    "phone_help": "不会用手机挂号和付款，请教一下。",
}


@dataclass
class Cast:
    staff: User
    volunteers: list[Member]
    elders: list[Member]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))


def _person(staff: User, region: Region, rng: random.Random, birth_year: int) -> Person:
    from datetime import date

    birth = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
    return create_person(
        staff,
        region,
        name=_name(rng),
        id_number=pii.make_id_number("990102", birth, rng.randint(1, 999)),
        phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
        address=f"{ESTATE}{rng.randint(1, 30)}幢{rng.randint(1, 6)}单元{rng.randint(101, 1802)}室",
    )


def _volunteer_user(index: int, region: Region) -> User:
    """A login for each demo volunteer (no password: only the demo's ``volunteer`` logs in)."""
    user, made = get_user_model().objects.get_or_create(username=f"tbv{index:03d}")
    if made:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, region=region, role=Role.VOLUNTEER)
    return user


def _cast(region: Region, rng: random.Random, how_many: int, elders_wanted: int) -> Cast:
    staff = get_user_model().objects.get(username="community")
    existing = Member.objects.filter(region=region)
    volunteers = list(existing.filter(is_volunteer=True).order_by("id"))
    elders = list(existing.filter(is_volunteer=False).order_by("id"))
    demo_volunteer = get_user_model().objects.get(username="volunteer")
    demo_resident = get_user_model().objects.get(username="resident")
    skills = list(Skill.values)
    for index in range(len(volunteers), how_many):
        user = demo_volunteer if index == 0 else _volunteer_user(index, region)
        volunteers.append(
            members.register(
                staff,
                _person(staff, region, rng, rng.randint(1960, 2004)),
                region=region,
                user=user,
                volunteer=True,
                skills=rng.sample(skills[:-1], 3),
                availability={str(d): ["18:00-21:00"] for d in range(5)} | {"5": ["09:00-17:00"]},
                estate=ESTATE,
                building=f"{rng.randint(1, 30)}幢",
                joined=timezone.now() - timedelta(days=DAYS + rng.randint(0, 60)),
            )
        )
    for index in range(len(elders), elders_wanted):
        elder = members.register(
            staff,
            _person(staff, region, rng, rng.randint(1935, 1955)),
            region=region,
            requester=True,
            estate=ESTATE,
            building=f"{rng.randint(1, 30)}幢",
            joined=timezone.now() - timedelta(days=DAYS + 30),
        )
        if index == 0:  # the seed's daughter posting for her father
            elder.carers.add(demo_resident)
        elders.append(elder)
    return Cast(staff, volunteers, elders)


def _one_service(cast: Cast, rng: random.Random, volunteer: Member, posted: datetime) -> None:
    elder = rng.choice(cast.elders)
    category = rng.choice(list(WHAT))
    carer = elder.carers.first() if elder.pk == cast.elders[0].pk else None
    poster = carer or cast.staff
    start = posted + timedelta(hours=rng.randint(1, 8))
    minutes = rng.choice([30, 45, 60, 60, 90, 120])
    req = requests.post(
        poster,
        elder,
        category=category,
        description=WHAT[category],
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        estimated_minutes=minutes,
        address=f"{ESTATE}{elder.building}{rng.randint(1, 6)}单元{rng.randint(101, 1802)}室",
        now=posted,
    )
    assert volunteer.user is not None
    taken_at = posted + timedelta(minutes=max(1, int(rng.expovariate(1 / 25))))
    order = orders.take(volunteer.user, req, now=min(taken_at, start))
    orders.check_in(volunteer.user, order, now=start)
    out = start + timedelta(minutes=minutes + rng.randint(-10, 20))
    orders.check_out(volunteer.user, order, now=out)
    orders.confirm(poster, order, now=out + timedelta(hours=rng.randint(1, 20)))
    if rng.random() < 0.8:
        score = rng.choices([5, 4, 3], weights=[80, 17, 3])[0]
        ratings.rate(poster, order, score=score, now=out + timedelta(hours=21))


def _history(cast: Cast, rng: random.Random, count: int) -> int:
    now = timezone.now()
    start = now - timedelta(days=DAYS)
    # Every volunteer serves at least once; the rest goes to the keenest third more often.
    order = list(cast.volunteers) + rng.choices(
        cast.volunteers,
        weights=[3 if i % 3 == 0 else 1 for i in range(len(cast.volunteers))],
        k=max(0, count - len(cast.volunteers)),
    )
    rng.shuffle(order)
    times = sorted(start + timedelta(minutes=rng.randint(0, (DAYS - 2) * 24 * 60)) for _ in order)
    batch = 100
    for first in range(0, len(order), batch):
        with transaction.atomic():
            for volunteer, posted in zip(
                order[first : first + batch], times[first : first + batch], strict=True
            ):
                _one_service(cast, rng, volunteer, posted)
    return len(order)


def _live(cast: Cast, rng: random.Random) -> int:
    """Open requests for today and tomorrow (the demo ``volunteer`` can take them)."""
    now = timezone.now()
    have = HelpRequest.objects.filter(
        region=cast.elders[0].region, status=HelpRequest.Status.OPEN, ends_at__gt=now
    ).count()
    made = 0
    for i in range(have, LIVE_OPEN):
        elder = cast.elders[i % len(cast.elders)]
        category = list(WHAT)[i % len(WHAT)]
        start = now + timedelta(hours=2 + 5 * i)
        poster = elder.carers.first() or cast.staff
        requests.post(
            poster,
            elder,
            category=category,
            description=WHAT[category],
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            estimated_minutes=60,
            urgency="urgent" if i == 0 else "normal",
            address=f"{ESTATE}{elder.building}2单元{301 + i}室",
            now=now - timedelta(minutes=rng.randint(5, 90)),
        )
        made += 1
    return made


def build(*, volunteers: int | None = None, services: int | None = None) -> dict[str, Any]:
    """Build (once) the community's time bank history and keep a few live requests open.

    By default ``TIMEBANK_DEMO_VOLUNTEERS`` (356) volunteers and ``TIMEBANK_DEMO_SERVICES``
    (1,680) services, the seed's figures.
    """
    volunteers = volunteers or settings.TIMEBANK_DEMO_VOLUNTEERS
    services = services or settings.TIMEBANK_DEMO_SERVICES
    region = Region.objects.get(code=COMMUNITY)
    rng = random.Random(20214)
    elders = min(ELDERS, max(2, volunteers // 3))
    already = HelpRequest.objects.filter(region=region).exclude(status="open").exists()
    with notices.muted():
        with transaction.atomic():
            cast = _cast(region, rng, volunteers, elders)
            pool = ledger.pool_of(region)
            if pool.balance == 0 and not already:
                ledger.transfer(
                    ledger.issue_of(region), pool, SEED_HOURS * 60, kind="seed", key="demo:seed"
                )
        done = 0 if already else _history(cast, rng, services)
    live = _live(cast, rng)
    published = flowback.publish()
    records.publish()
    report = ledger.check()
    log.info("time bank demo: %d services, %d live requests, ledger ok=%s", done, live, report.ok)
    return {"services": done, "live": live, "ledger_ok": report.ok, "hub_version": published}
