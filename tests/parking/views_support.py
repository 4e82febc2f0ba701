"""Helpers of the parking page tests (imported explicitly: ``from views_support import …``).

``write_hub_data`` puts a resident in the household registry and their cars in the vehicle
registrations, through the real ingestion pipeline, so that ``apply`` verifies them.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any

from django.test import Client

from shequ.core import pii

HOME = "990102001001"
OWNER_ID = pii.make_id_number("990102", date(1980, 5, 1), 7)
STREET = "990102001000"


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_hub_data(regions: dict[str, Any], folder: Path, phone: str, plates: list[str]) -> None:
    from shequ.hub.models import Dataset
    from shequ.hub.services.catalog import load_catalog
    from shequ.hub.services.runs import ingest_file

    load_catalog(region=regions[STREET])
    person = {
        "person_id": "P1",
        "name": "王芳",
        "id_number": OWNER_ID,
        "gender": "女",
        "birth_date": "1980-05-01",
        "ethnicity": "汉族",
        "phone": phone,
        "household_id": "E001-00001",
        "relation_to_head": "户主",
        "address": "锦绣花园1幢101室",
        "region_code": HOME,
        "registered_on": "2012-01-01",
        "status": "正常",
    }
    cars = [
        {
            "plate": plate,
            "vehicle_type": "小型汽车",
            "owner_name": "王芳",
            "owner_id_number": OWNER_ID,
            "owner_address": "锦绣花园1幢101室",
            "owner_phone": phone,
            "estate_code": "E001",
            "region_code": HOME,
            "registered_on": "2020-05-01",
            "status": "正常",
        }
        for plate in plates
    ]
    for key, rows in (("household_registry", [person]), ("vehicle_registrations", cars)):
        run = ingest_file(Dataset.objects.get(key=key), _write(folder / f"{key}.csv", rows))
        assert run.status == "succeeded", run.error


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def code_from(text: str) -> str:
    codes = re.findall(r"login code for \d{3}\*{4}\d{4}: (\d{6})", text)
    assert codes, text
    return codes[-1]


def client_of(user: Any) -> Client:
    return logged_in(user) if user is not None else Client(HTTP_ACCEPT_LANGUAGE="en")


# Who (the ``people`` fixture) gets which status from a garage's operator pages ...
GARAGE_PAGES = {
    "anonymous": 302,
    "resident": 403,
    "operator": 200,
    "other_operator": 403,
    "staff": 200,
    "staff_elsewhere": 403,
    "street_staff": 200,
}
# ... and from the staff pages (staff elsewhere see their own region's).
STAFF_PAGES = GARAGE_PAGES | {"operator": 403, "staff_elsewhere": 200}
