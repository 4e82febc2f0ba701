"""Residents and their verified applications, as the parking tests (and browser tests) need them.

What ``apply`` leaves behind when the hub data matched: a resident account with an encrypted,
hashed and masked phone, and an application with the plates in the same three forms.
"""

from __future__ import annotations

import json
from typing import Any

from shequ.core import pii
from shequ.parking.models import Application, Estate, ResidentAccount
from shequ.parking.services import plates


def add_resident_account(user: Any, estate: Estate, phone: str) -> ResidentAccount:
    return ResidentAccount.objects.create(
        user=user,
        phone_enc=pii.encrypt(phone),
        phone_hash=pii.lookup_hash("phone", phone),
        phone_masked=pii.mask_phone(phone),
        estate=estate,
    )


def add_application(
    user: Any, estate: Estate, plate_list: list[str], status: str = "verified", **fields: Any
) -> Application:
    clean = [plates.normalize(p) for p in plate_list]
    return Application.objects.create(
        resident=user,
        estate=estate,
        plates_enc=pii.encrypt(json.dumps(clean)),
        plate_hashes=[plates.plate_hash(p) for p in clean],
        plates_masked=[pii.mask_plate(p) for p in clean],
        status=status,
        **fields,
    )
