"""The access part of ``shequ demo``: two estates' doors, residents and visitors, a week.

It runs after the demo hub is loaded, and reads it as the doors do: residents are taken from
the hub's household registry (the red and yellow health codes among them, and the elders
living alone), enrolled with consent, and a week of door events is played through the
ordinary decision service (so the red and yellow attempts raise their alerts). One elder
living alone was last seen 60 hours ago, so the welfare list has one check. Running it again
refreshes the same objects (event ids repeat, so nothing is counted twice).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shequ.access.models import AccessPoint, Credential, Device
from shequ.access.services import credentials, decide, devices, passes, welfare
from shequ.access.services.decide import CheckIn
from shequ.core.models import Person, Region
from shequ.core.services.people import create_person, find_by_id_number
from shequ.hub.query import QueryError, run_query_system

log = logging.getLogger(__name__)

# estate, community, doors (name, kind, device kinds)
DOORS = [
    (
        "锦绣花园",
        "990102001001",
        [("北门", "gate", ["face", "qr"]), ("南门", "gate", ["face", "card"])],
    ),
    ("和园小区", "990102001002", [("东门", "gate", ["face", "qr"])]),
]
RESIDENTS = 16  # green residents enrolled per community, beside the abnormal and the elders
PURPOSE = "小区门禁人脸识别通行（智安小区）"


def _rows(sql: str) -> list[list[Any]]:
    return run_query_system(sql, clear=True, purpose="demo: enrol door residents").rows_json()


def _people(region_code: str) -> list[tuple[str, str, str]]:
    """(person_id, name, id_number): the abnormal statuses first, the elders, then others."""
    q = f"'{region_code}'"
    abnormal = _rows(
        "SELECT r.person_id, r.name, r.id_number FROM household_registry r JOIN "
        "health_code_status h ON h.id_number = r.id_number WHERE r.region_code = "
        f"{q} AND h.status IN ('red', 'yellow') ORDER BY r.person_id LIMIT 3"
    )
    elders = _rows(
        "SELECT r.person_id, r.name, r.id_number FROM household_registry r JOIN "
        f"elderly_living_alone e ON e.id_number = r.id_number WHERE r.region_code = {q}"
    )
    green = _rows(
        "SELECT r.person_id, r.name, r.id_number FROM household_registry r JOIN "
        "health_code_status h ON h.id_number = r.id_number WHERE r.region_code = "
        f"{q} AND h.status = 'green' ORDER BY r.person_id LIMIT {RESIDENTS}"
    )
    return [(str(a), str(b), str(c)) for a, b, c in abnormal + elders + green]


def _enrol(admin: Any, region: Region, person_id: str, name: str, id_number: str) -> Credential:
    person: Person | None = find_by_id_number(region, id_number)
    if person is None:
        person = create_person(admin, region, name=name, id_number=id_number)
    found = Credential.objects.filter(person=person, kind="face").first()
    if found is not None:
        return found
    return credentials.enrol(
        admin,
        person,
        kind="face",
        ref=f"DEMO-{person_id}",
        purpose=PURPOSE,
        channel="paper",
        given_on=timezone.localdate() - timedelta(days=30),
    )


def _doors(admin: Any) -> dict[str, list[Device]]:
    by_estate: dict[str, list[Device]] = {}
    for estate, code, doors in DOORS:
        region = Region.objects.get(code=code)
        for name, kind, device_kinds in doors:
            point, _ = AccessPoint.objects.get_or_create(
                region=region, estate=estate, name=name, defaults={"kind": kind}
            )
            for device_kind in device_kinds:
                if not point.devices.filter(kind=device_kind).exists():
                    devices.issue_device(admin, point, device_kind, f"{name}{device_kind}")
            by_estate.setdefault(estate, []).extend(point.devices.filter(revoked_at__isnull=True))
    return by_estate


def build() -> dict[str, Any]:
    users = get_user_model().objects
    admin = users.get(username="admin")
    try:
        people = {code: _people(code) for _estate, code, _doors in DOORS}
    except QueryError as exc:  # the demo without its hub: doors only
        log.warning("access demo: hub unreadable (%s); doors only", exc.message)
        people = {}
    doors = _doors(admin)
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(20215)
    checks = 0
    elders = {
        str(row[0])
        for row in (_rows("SELECT id_number FROM elderly_living_alone") if people else [])
    }
    quiet_elder_done = False
    for estate, code, _d in DOORS:
        region = Region.objects.get(code=code)
        faces = [d for d in doors[estate] if d.kind == "face"]
        for n, (person_id, name, id_number) in enumerate(people.get(code, [])):
            credential = _enrol(admin, region, person_id, name, id_number)
            ref = f"DEMO-{person_id}"
            last = now - timedelta(hours=rng.randint(1, 8))
            if id_number in elders and not quiet_elder_done:
                last = now - timedelta(hours=60)  # the elder not seen for 60 hours
                quiet_elder_done = True
            if n == 0 and code == "990102001001":
                resident = users.get(username="resident")
                Credential.objects.filter(pk=credential.pk).update(user=resident)
            for day in range(7):
                at = last - timedelta(days=day, minutes=rng.randint(0, 90))
                device = faces[(n + day) % len(faces)]
                decide.check(device, CheckIn(f"demo-{person_id}-{day}", "face", ref, at))
                checks += 1
    checks += _visitors(doors, now)
    raised = welfare.sweep(now, respect_quiet=False)
    return {"checks": checks, "welfare_checks": raised}


def _visitors(doors: dict[str, list[Device]], now: Any) -> int:
    """Three passes issued by the demo resident; two of them used at the QR scanner."""
    resident = get_user_model().objects.get(username="resident")
    credential = Credential.objects.filter(user=resident, active=True).first()
    if credential is None:
        return 0
    scanner = next(d for d in doors["锦绣花园"] if d.kind == "qr")
    mine = passes.passes_for(resident)
    while mine.count() < 3:
        passes.issue(
            resident,
            credential.region,
            "锦绣花园",
            visitor=["张伟", "李娜", "刘洋"][mine.count()],
            valid_from=now - timedelta(hours=2),
            valid_until=now + timedelta(days=2),
            max_uses=2,
        )
    used = 0
    for n, visitor_pass in enumerate(list(mine.order_by("pk"))[:2]):
        token = passes.token_of(resident, visitor_pass)
        at = now - timedelta(minutes=30 + n)
        decide.check(scanner, CheckIn(f"demo-visitor-{visitor_pass.pk}", "qr", token, at))
        used += 1
    return used
