"""What the flood endpoints take and answer (errors through ``shequ.core.schemas``)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from shequ.core.inputs import OffsetDatetime
from shequ.flood.models import Alert, AlertEvent
from shequ.flood.services.ingest import MAX_BATCH, ReadingRow


class ReadingsIn(Schema):
    readings: list[ReadingRow] = Field(..., min_length=1, max_length=MAX_BATCH)


class IngestOut(Schema):
    received: int
    stored: int = Field(..., description="new readings; a repeated (device, time) is kept once")
    duplicates: int
    alerts_changed: int


class CameraEventIn(Schema):
    event_id: str = Field(..., min_length=1, max_length=64, description="unique per camera")
    time: OffsetDatetime = Field(..., description="ISO 8601 with an offset")
    type: Literal["water_on_road", "vehicle_trapped", "person_in_water", "landslide", "other"]
    confidence: float = Field(..., ge=0, le=1)
    boxes: list[list[float]] = Field(default_factory=list, max_length=50)
    image: str = Field(
        "", max_length=300, description="the vendor's URL of the image: kept, never fetched"
    )
    image_base64: str = Field(
        "",
        description=(
            "the snapshot, base64 (JPEG, PNG or WebP; a data: URL too), at most "
            "FLOOD_IMAGE_MAX_BYTES decoded (413) and within the request body limit (413)"
        ),
    )
    thumbnail_base64: str = Field("", description="the vendor's thumbnail, base64, if any")


class CameraEventOut(Schema):
    event_id: str
    type: str
    confidence: float
    replayed: bool
    has_image: bool


class PointOut(Schema):
    code: str
    name: str
    kind: str
    region_code: str
    lat: float
    lon: float
    level: int = Field(..., description="worst open alert: 0 none, 1 blue … 4 red")


class FloodAlertOut(Schema):
    id: int
    point: str
    rule: str
    device: str
    level: int
    state: str
    value: float | None
    opened_at: datetime
    changed_at: datetime
    acknowledged_at: datetime | None
    ack_comment: str
    resolved_at: datetime | None

    @staticmethod
    def resolve_point(obj: Alert) -> str:
        return obj.point.code

    @staticmethod
    def resolve_rule(obj: Alert) -> str:
        return obj.rule.kind

    @staticmethod
    def resolve_device(obj: Alert) -> str:
        return obj.rule.device.code


class AlertEventOut(Schema):
    at: datetime
    kind: str = Field(..., description="fired, escalated, acknowledged, ack_lapsed, passed_on, …")
    level: int
    value: float | None
    actor: str | None
    comment: str

    @staticmethod
    def resolve_actor(obj: AlertEvent) -> str | None:
        return obj.actor.get_username() if obj.actor else None


class AcknowledgeIn(Schema):
    comment: str = Field("", max_length=500)
