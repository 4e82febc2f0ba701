"""Checking residence and plate ownership against hub data, so no paper proof is needed.

Two system queries, with clear values for exactly the columns compared and an audited
purpose: the household registry (a resident registered in the estate's community with this
phone or ID number) and the vehicle registrations (each plate registered to this phone or ID
number, in use). Values are inlined only after validation (digits, plate characters), and
quoted all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from shequ.core import pii
from shequ.hub.query.engine import run_query_system
from shequ.hub.query.errors import QueryError

log = logging.getLogger(__name__)

MATCHED, NO_MATCH, UNAVAILABLE = "matched", "no_match", "unavailable"


@dataclass
class Verification:
    residence: str
    plates: dict[str, str] = field(default_factory=dict)  # clear plate -> result
    checked_at: str = ""

    @property
    def complete(self) -> bool:
        return self.residence == MATCHED and all(v == MATCHED for v in self.plates.values())


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _who(phone: str, id_number: str, phone_col: str, id_col: str) -> str:
    terms = [f"{phone_col} = {_q(phone)}"]
    if id_number:
        terms.append(f"{id_col} = {_q(id_number)}")
    return "(" + " OR ".join(terms) + ")"


def check(
    *, region_code: str, phone: str, id_number: str, plates: list[str], purpose: str
) -> Verification:
    """Residence in the region and ownership of each plate (phone and ID already validated)."""
    result = Verification(residence=UNAVAILABLE, checked_at=timezone.now().isoformat())
    residence_sql = (
        "SELECT count(*) AS n FROM household_registry WHERE region_code = "
        f"{_q(region_code)} AND {_who(phone, id_number, 'phone', 'id_number')} "
        "AND (status IS NULL OR status = '正常')"
    )
    try:
        rows = run_query_system(residence_sql, clear=True, purpose=purpose, limit=1).rows_json()
        result.residence = MATCHED if rows and rows[0][0] else NO_MATCH
    except QueryError as exc:
        log.warning("residence check unavailable: %s", pii.mask_text(exc.message))
    plate_list = ", ".join(_q(p) for p in plates)
    plate_sql = (
        f"SELECT plate FROM vehicle_registrations WHERE plate IN ({plate_list}) AND "
        f"{_who(phone, id_number, 'owner_phone', 'owner_id_number')} "
        "AND (status IS NULL OR status = '正常')"
    )
    try:
        owned = {r[0] for r in run_query_system(plate_sql, clear=True, purpose=purpose).rows_json()}
        result.plates = {p: MATCHED if p in owned else NO_MATCH for p in plates}
    except QueryError as exc:
        log.warning("plate check unavailable: %s", pii.mask_text(exc.message))
        result.plates = dict.fromkeys(plates, UNAVAILABLE)
    return result
