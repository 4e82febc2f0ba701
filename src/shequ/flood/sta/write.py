"""Reading what a client posts: one Observation, or ``CreateObservations``' data arrays.

Each becomes a ``Batch`` of one datastream's (time, value) rows, with the name of each row in
the request (``phenomenonTime``, ``0.dataArray.3.phenomenonTime``) for the errors. The views
hand the batches to ``shequ.flood.services.ingest``, the path every reading takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from shequ.core.errors import Invalid
from shequ.core.inputs import OffsetDatetime

MAX_ROWS = 10_000
LIMIT = 1e6
OBSERVATION_KEYS = ("phenomenonTime", "result", "resultTime", "Datastream")
COMPONENTS = ("phenomenonTime", "result", "resultTime")
_TIME = TypeAdapter(OffsetDatetime)


@dataclass
class Batch:
    datastream_id: int
    rows: list[tuple[datetime, float]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # where each row is in the request


def _invalid(name: str, message: str) -> Invalid:
    return Invalid(f"{name}: {message}", "sta_invalid", fields={name: [message]})


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise _invalid(name, _("a time in ISO 8601 with an offset, e.g. +08:00 or Z."))
    if "/" in value:
        raise _invalid(name, _("a time interval is not supported; send one instant."))
    try:
        return _TIME.validate_python(value)
    except PydanticError as exc:
        raise _invalid(name, "; ".join(e["msg"] for e in exc.errors())) from None


def _result(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(name, _("a number."))
    if not math.isfinite(value) or abs(value) > LIMIT:
        raise _invalid(name, _("a finite number between -1e6 and 1e6."))
    return float(value)


def _no_result_time(value: Any, name: str) -> None:
    if value is not None:
        raise _invalid(name, _("resultTime is not stored: send null or leave it out."))


def datastream_id(value: Any, name: str) -> int:
    """The id of ``{"@iot.id": 5}``: a link to an existing Datastream (no deep insert)."""
    entity_id = value.get("@iot.id") if isinstance(value, dict) else None
    if isinstance(entity_id, str) and entity_id.isdigit():
        entity_id = int(entity_id)
    if not isinstance(entity_id, int) or isinstance(entity_id, bool):
        raise _invalid(
            name, _('a link to an existing Datastream, {"@iot.id": <id>} (no deep insert).')
        )
    return entity_id


def observation(body: Any, datastream: int | None) -> Batch:
    """One Observation; ``datastream`` when posted to ``Datastreams(<id>)/Observations``."""
    if not isinstance(body, dict):
        raise _invalid("body", _("an Observation is a JSON object."))
    for key in body:
        if key not in OBSERVATION_KEYS:
            raise _invalid(key, _("not supported here."))
    linked = datastream_id(body["Datastream"], "Datastream") if "Datastream" in body else None
    if datastream is not None and linked is not None and linked != datastream:
        raise _invalid("Datastream", _("not the Datastream of the path."))
    target = datastream if datastream is not None else linked
    if target is None:
        raise _invalid("Datastream", _("required: the Datastream this Observation belongs to."))
    if "phenomenonTime" not in body:
        raise _invalid("phenomenonTime", _("required."))
    if "result" not in body:
        raise _invalid("result", _("required."))
    _no_result_time(body.get("resultTime"), "resultTime")
    row = (_time(body["phenomenonTime"], "phenomenonTime"), _result(body["result"], "result"))
    return Batch(target, [row], ["phenomenonTime"])


def data_arrays(body: Any) -> list[Batch]:
    """``CreateObservations``: a list of ``{Datastream, components, dataArray}``."""
    if not isinstance(body, list) or not body:
        raise _invalid("body", _("a non-empty JSON list of data arrays."))
    batches, total = [], 0
    for index, item in enumerate(body):
        where = str(index)
        if not isinstance(item, dict):
            raise _invalid(where, _("a JSON object with Datastream, components and dataArray."))
        for key in item:
            if key not in ("Datastream", "components", "dataArray", "dataArray@iot.count"):
                raise _invalid(f"{where}.{key}", _("not supported here."))
        batch = Batch(datastream_id(item.get("Datastream"), f"{where}.Datastream"))
        components = item.get("components")
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise _invalid(f"{where}.components", _("a list of property names."))
        for name in components:
            if name not in COMPONENTS:
                raise _invalid(
                    f"{where}.components", _("%(name)s is not supported.") % {"name": name}
                )
        for name in ("phenomenonTime", "result"):
            if name not in components:
                raise _invalid(f"{where}.components", _("%(name)s is required.") % {"name": name})
        rows = item.get("dataArray")
        if not isinstance(rows, list):
            raise _invalid(f"{where}.dataArray", _("a list of rows."))
        total += len(rows)
        if total > MAX_ROWS:
            raise _invalid(where, _("at most %(n)s observations a request.") % {"n": MAX_ROWS})
        for number, row in enumerate(rows):
            at = f"{where}.dataArray.{number}"
            if not isinstance(row, list) or len(row) != len(components):
                raise _invalid(at, _("a row of %(n)s values.") % {"n": len(components)})
            values = dict(zip(components, row, strict=True))
            _no_result_time(values.get("resultTime"), f"{at}.resultTime")
            when = _time(values["phenomenonTime"], f"{at}.phenomenonTime")
            batch.rows.append((when, _result(values["result"], f"{at}.result")))
            batch.names.append(f"{at}.phenomenonTime")
        batches.append(batch)
    return batches
