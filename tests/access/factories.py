"""Objects for the access tests: doors and devices, residents with credentials, hub statuses.

锦绣社区 (HOME) has 锦绣花园's north gate; 北山社区 (ELSEWHERE, another district) has a gate
of its own. Statuses reach the hub through the real ingestion pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone

from core.lanes import LanesClient
from parking.factories import write_rows
from shequ.access.models import AccessPoint, Credential, Device
from shequ.access.services import credentials, devices
from shequ.core import pii
from shequ.core.models import Person, Region
from shequ.core.services.people import create_person
from shequ.hub.models import Dataset
from shequ.hub.services.runs import ingest_file

STREET = "990102001000"  # 望湖街道
HOME = "990102001001"  # 锦绣社区
NEXT_DOOR = "990102001002"  # 和园社区, same street
ELSEWHERE = "990103001001"  # 北山社区, another district
ESTATE = "锦绣花园"

Load = Callable[[str, Iterable[dict[str, Any]]], int]


def id_number(seq: int, born: date = date(1980, 5, 1)) -> str:
    return pii.make_id_number("990102", born, seq)


def add_point(region: Region, name: str = "北门", estate: str = ESTATE) -> AccessPoint:
    return AccessPoint.objects.create(region=region, estate=estate, name=name)


def add_device(actor: Any, point: AccessPoint, kind: str = "face") -> tuple[Device, str]:
    return devices.issue_device(actor, point, kind, f"{kind} terminal")


def device_client(raw: str) -> Client:
    """A device's client: its check takes the devices' lane, as under ``shequ serve``."""
    return LanesClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def add_resident(
    actor: Any,
    region: Region,
    seq: int,
    *,
    ref: str = "",
    kind: str = "face",
    user: Any = None,
    name: str = "王芳",
) -> Credential:
    """A person of the region with a face (or card) credential and its consent."""
    person: Person = create_person(actor, region, name=name, id_number=id_number(seq))
    return credentials.enrol(
        actor,
        person,
        kind=kind,
        ref=ref or f"V{seq:06d}",
        purpose="小区门禁人脸识别通行",
        channel="paper",
        given_on=timezone.localdate(),
        user=user,
    )


def health_row(seq: int, status: str, region_code: str = HOME) -> dict[str, Any]:
    return {
        "id_number": id_number(seq),
        "name": "王芳",
        "status": status,
        "reason": "",
        "updated_at": "2026-10-01T08:00:00+08:00",
        "region_code": region_code,
    }


def registry_row(seq: int, status: str = "正常", region_code: str = HOME) -> dict[str, Any]:
    return {
        "person_id": f"P{seq}",
        "name": "王芳",
        "id_number": id_number(seq),
        "gender": "女",
        "birth_date": "1980-05-01",
        "ethnicity": "汉族",
        "phone": "13800000000",
        "household_id": f"E001-{seq:05d}",
        "relation_to_head": "户主",
        "address": "锦绣花园1幢101室",
        "region_code": region_code,
        "registered_on": "2012-01-01",
        "status": status,
    }


def ingest(folder: Path, key: str, rows: Iterable[dict[str, Any]]) -> int:
    path = write_rows(folder / f"{key}.csv", rows)
    run = ingest_file(Dataset.objects.get(key=key), path, mode="replace")
    assert run.status == "succeeded", run.error
    return int(run.rows_written)


def check_body(
    event_id: str, value: str, method: str = "face", at: datetime | None = None
) -> dict[str, Any]:
    moment = at or timezone.now()
    return {"event_id": event_id, "method": method, "value": value, "time": moment.isoformat()}
