"""The entity sets: what each is in the flood model, whom it shows, its links and properties.

A user sees the entities of the points in the regions where they hold ``flood`` (``scope``),
the same rule as the rest of the flood API: another region's Thing, its Datastreams and
Observations are as missing as unknown ones. Sensors and ObservedProperties are the device
kinds (1 water level, 2 rain, 3 displacement) of the gauges the user sees. Nothing personal is
shown: a point's responsible people, a device's token, are never part of an entity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from shequ.core.permissions import Perm, scope
from shequ.core.types import Requester
from shequ.flood.models import Device, DeviceKind, MonitoringPoint, PointKind, Reading
from shequ.flood.sta.filters import Field

KIND_IDS: dict[str, int] = {"water_level": 1, "rain": 2, "displacement": 3}
KINDS_BY_ID = {v: k for k, v in KIND_IDS.items()}
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
UNITS = {
    "water_level": {"name": "centimetre", "symbol": "cm", "definition": "ucum:cm"},
    "rain": {"name": "millimetre", "symbol": "mm", "definition": "ucum:mm"},
    "displacement": {"name": "millimetre", "symbol": "mm", "definition": "ucum:mm"},
}
PROPERTIES = {
    "water_level": ("Water level", "http://vocabs.lter-europe.net/EnvThes/22035"),
    "rain": ("Rainfall", "http://vocabs.lter-europe.net/EnvThes/21579"),
    "displacement": ("Displacement", "https://www.wikidata.org/wiki/Q190291"),
}
PROPERTY_TEXT = {
    "water_level": "Depth of water above the gauge's zero, in centimetres.",
    "rain": "Rain fallen since the previous report, in millimetres.",
    "displacement": "Ground movement measured by the sensor, in millimetres.",
}


@dataclass(frozen=True)
class Kinds:
    """The device kinds (Sensors, ObservedProperties) a request reaches, in id order."""

    kinds: tuple[str, ...]


Source = QuerySet[Any] | Kinds


@dataclass(frozen=True)
class Nav:
    target: str  # the entity set reached
    many: bool
    of: Callable[[Any, Requester], Source]  # from one (visible) object


@dataclass(frozen=True)
class EntitySet:
    name: str
    singular: str
    properties: tuple[str, ...]
    fields: Mapping[str, Field]  # what $filter and $orderby may use
    navs: Mapping[str, Nav]
    base: Callable[[Requester], Source]
    render: Callable[[Any], dict[str, Any]]

    def id_of(self, obj: Any) -> int:
        return KIND_IDS[obj] if isinstance(obj, str) else int(obj.pk)

    def get(self, user: Requester, entity_id: int) -> Any | None:
        source = self.base(user)
        if isinstance(source, Kinds):
            kind = KINDS_BY_ID.get(entity_id)
            return kind if kind in source.kinds else None
        return source.filter(pk=entity_id).first()


def visible_points(user: Requester) -> QuerySet[MonitoringPoint]:
    return scope(MonitoringPoint.objects.select_related("region"), user, Perm.FLOOD)


def _gauges() -> QuerySet[Device]:
    return Device.objects.exclude(kind=DeviceKind.CAMERA).select_related("point")


def visible_gauges(user: Requester) -> QuerySet[Device]:
    return scope(_gauges(), user, Perm.FLOOD, region_field="point__region")


def visible_readings(user: Requester) -> QuerySet[Reading]:
    qs = Reading.objects.exclude(device__kind=DeviceKind.CAMERA)
    return scope(qs, user, Perm.FLOOD, region_field="device__point__region")


def visible_kinds(user: Requester) -> Kinds:
    present = set(visible_gauges(user).values_list("kind", flat=True).distinct())
    return Kinds(tuple(k for k in sorted(KINDS_BY_ID.values(), key=_kind_id) if k in present))


def _kind_id(kind: str) -> int:
    return KIND_IDS[kind]


def _point_text(point: MonitoringPoint) -> str:
    return str(PointKind(point.kind).label)


def _thing(point: MonitoringPoint) -> dict[str, Any]:
    return {
        "name": point.name,
        "description": _point_text(point),
        "properties": {
            "code": point.code,
            "kind": point.kind,
            "nameEn": point.name_en,
            "regionCode": point.region.code,
        },
    }


def _location(point: MonitoringPoint) -> dict[str, Any]:
    return {
        "name": point.name,
        "description": _point_text(point),
        "encodingType": "application/geo+json",
        "location": {"type": "Point", "coordinates": [point.lon, point.lat]},
    }


def _sensor(kind: str) -> dict[str, Any]:
    label = str(DeviceKind(kind).label)
    return {
        "name": label,
        "description": label,
        "encodingType": "text/plain",
        "metadata": label,
        "properties": {"kind": kind},
    }


def _observed_property(kind: str) -> dict[str, Any]:
    name, definition = PROPERTIES[kind]
    return {
        "name": name,
        "definition": definition,
        "description": PROPERTY_TEXT[kind],
        "properties": {"kind": kind},
    }


def _datastream(device: Device) -> dict[str, Any]:
    return {
        "name": f"{device.point.name} {device.code}",
        "description": str(DeviceKind(device.kind).label),
        "observationType": MEASUREMENT,
        "unitOfMeasurement": UNITS[device.kind],
        "properties": {
            "code": device.code,
            "kind": device.kind,
            "reportingIntervalSeconds": device.interval_seconds,
        },
    }


def time_text(at: datetime) -> str:
    """UTC with a ``Z``, as SensorThings servers answer."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _observation(reading: Reading) -> dict[str, Any]:
    return {
        "phenomenonTime": time_text(reading.at),
        "resultTime": None,
        "result": reading.value,
    }


ID = Field("pk", int)

SETS: dict[str, EntitySet] = {
    s.name: s
    for s in (
        EntitySet(
            "Things",
            "Thing",
            ("name", "description", "properties"),
            {"@iot.id": ID, "id": ID, "name": Field("name", str)},
            {
                "Locations": Nav("Locations", True, lambda p, _u: _points().filter(pk=p.pk)),
                "Datastreams": Nav(
                    "Datastreams", True, lambda p, _u: _gauges().filter(point_id=p.pk)
                ),
            },
            visible_points,
            _thing,
        ),
        EntitySet(
            "Locations",
            "Location",
            ("name", "description", "encodingType", "location"),
            {"@iot.id": ID, "id": ID, "name": Field("name", str)},
            {"Things": Nav("Things", True, lambda p, _u: _points().filter(pk=p.pk))},
            visible_points,
            _location,
        ),
        EntitySet(
            "Sensors",
            "Sensor",
            ("name", "description", "encodingType", "metadata", "properties"),
            {},
            {
                "Datastreams": Nav(
                    "Datastreams", True, lambda k, u: visible_gauges(u).filter(kind=k)
                )
            },
            visible_kinds,
            _sensor,
        ),
        EntitySet(
            "ObservedProperties",
            "ObservedProperty",
            ("name", "definition", "description", "properties"),
            {},
            {
                "Datastreams": Nav(
                    "Datastreams", True, lambda k, u: visible_gauges(u).filter(kind=k)
                )
            },
            visible_kinds,
            _observed_property,
        ),
        EntitySet(
            "Datastreams",
            "Datastream",
            ("name", "description", "observationType", "unitOfMeasurement", "properties"),
            {"@iot.id": ID, "id": ID},
            {
                "Thing": Nav("Things", False, lambda d, _u: _points().filter(pk=d.point_id)),
                "Sensor": Nav("Sensors", False, lambda d, _u: Kinds((d.kind,))),
                "ObservedProperty": Nav(
                    "ObservedProperties", False, lambda d, _u: Kinds((d.kind,))
                ),
                "Observations": Nav(
                    "Observations", True, lambda d, _u: Reading.objects.filter(device_id=d.pk)
                ),
            },
            visible_gauges,
            _datastream,
        ),
        EntitySet(
            "Observations",
            "Observation",
            ("phenomenonTime", "resultTime", "result"),
            {
                "@iot.id": ID,
                "id": ID,
                "phenomenonTime": Field("at", datetime),
                "result": Field("value", float),
            },
            {
                "Datastream": Nav(
                    "Datastreams", False, lambda r, _u: _gauges().filter(pk=r.device_id)
                )
            },
            visible_readings,
            _observation,
        ),
    )
}


def _points() -> QuerySet[MonitoringPoint]:
    return MonitoringPoint.objects.select_related("region")
