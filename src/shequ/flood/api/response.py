"""The emergency response level of a region (IV → I): what is in force, raising, lowering."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Schema

from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.models import RESPONSE_BY_NAME, RESPONSE_NAMES, RegionResponse, ResponseLevel
from shequ.flood.services import access, response

LevelName = Literal["none", "IV", "III", "II", "I"]


class ResponseLevelIn(Schema):
    level: LevelName = Field(..., description="none, or IV (lowest) … I (highest)")
    reason: str = Field(..., min_length=1, max_length=response.REASON_MAX)


class ResponseLevelOut(Schema):
    region_code: str
    region_name: str
    level: str = Field(..., description="none, IV, III, II or I")
    label: str
    reason: str
    since: datetime
    threshold_factor: float = Field(..., description="what the rules' thresholds are scaled by")
    interval_factor: float


def _out(row: RegionResponse) -> dict[str, Any]:
    f = response.factors(row.level)
    return {
        "region_code": row.region.code,
        "region_name": row.region.name,
        "level": RESPONSE_NAMES[row.level],
        "label": str(ResponseLevel(row.level).label),
        "reason": row.reason,
        "since": row.since,
        "threshold_factor": f.threshold if row.level else 1.0,
        "interval_factor": f.interval if row.level else 1.0,
    }


@router.get(
    "/response-levels",
    response={200: list[ResponseLevelOut], **errors(READ)},
    summary="Emergency responses in force over the caller's regions, highest first",
)
def list_response_levels(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(row) for row in response.active_for(request.user)]


@router.post(
    "/regions/{code}/response-level",
    response={200: ResponseLevelOut, **errors(WRITE)},
    summary="Raise or lower a region's emergency response level, saying why",
    description="Everyone on duty over the region is told; the same level again changes nothing.",
)
def set_response_level(request: HttpRequest, code: str, payload: ResponseLevelIn) -> dict[str, Any]:
    user = user_of(request)
    region = access.region_for(user, code)
    row = response.set_level(user, region, RESPONSE_BY_NAME[payload.level], payload.reason)
    return _out(row)


class ResponseSettingIn(Schema):
    threshold_factor: float = Field(..., gt=0, le=1, description="e.g. 0.6: 40 cm fires at 24")
    interval_factor: float = Field(..., gt=0, le=1)


class ResponseSettingOut(Schema):
    level: str
    threshold_factor: float
    interval_factor: float


@router.get(
    "/response-settings",
    response={200: list[ResponseSettingOut], **errors(READ)},
    summary="What each response level tightens",
)
def list_response_settings(request: HttpRequest) -> list[dict[str, Any]]:
    user_of(request)
    return [
        {
            "level": RESPONSE_NAMES[level],
            "threshold_factor": f.threshold,
            "interval_factor": f.interval,
        }
        for level in (1, 2, 3, 4)
        for f in [response.factors(level)]
    ]


@router.put(
    "/response-settings/{level}",
    response={200: ResponseSettingOut, **errors(WRITE)},
    summary="Set what a response level tightens (platform administrators)",
)
def put_response_setting(
    request: HttpRequest, level: Literal["IV", "III", "II", "I"], payload: ResponseSettingIn
) -> dict[str, Any]:
    row = response.update_setting(
        user_of(request), RESPONSE_BY_NAME[level], payload.threshold_factor, payload.interval_factor
    )
    return {
        "level": level,
        "threshold_factor": row.threshold_factor,
        "interval_factor": row.interval_factor,
    }
