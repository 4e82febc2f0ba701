"""Hours beyond services: donations by members; staff's reversals and seed hours."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema

from shequ.core.inputs import Id
from shequ.core.models import Region
from shequ.core.schemas import WRITE, errors
from shequ.core.types import user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.schemas import TransferOut
from shequ.timebank.models import Member, Transfer
from shequ.timebank.services import access, accounts
from shequ.timebank.services.errors import NotFound


class HoursDonationIn(Schema):
    to_member_id: Id | None = Field(None, description="default: the community pool")
    minutes: int = Field(..., ge=1, le=6000)
    key: str | None = Field(None, max_length=100, description="repeat it to retry safely")


class TransferReverseIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class PoolSeedIn(Schema):
    region: str = Field(..., pattern=r"^\d{12}$")
    minutes: int = Field(..., ge=1, le=600_000)
    key: str | None = Field(None, max_length=100)


@router.post("/donations", response={201: TransferOut, **errors(WRITE)}, summary="Give hours")
def donate(request: HttpRequest, payload: HoursDonationIn) -> tuple[int, Transfer]:
    to = None
    if payload.to_member_id is not None:
        to = Member.objects.select_related("account").filter(pk=payload.to_member_id).first()
        if to is None:
            raise NotFound("No such member.", fields={"to_member_id": ["Not found."]})
    made = accounts.donate(
        user_of(request), to=to, minutes=payload.minutes, key=payload.key, request=request
    )
    return 201, made


@router.post(
    "/transfers/{transfer_id}/reverse",
    response={201: TransferOut, **errors(WRITE)},
    summary="Reverse a transfer (staff; a correction)",
)
def reverse(
    request: HttpRequest, transfer_id: Id, payload: TransferReverseIn
) -> tuple[int, Transfer]:
    user = user_of(request)
    transfer = (
        Transfer.objects.select_related("debit__region", "credit")
        .filter(pk=transfer_id, debit__region__in=access.staff_regions(user))
        .first()
    )
    if transfer is None:
        raise NotFound(f"No transfer {transfer_id} that you may correct.", "no_transfer")
    return 201, accounts.reverse(user, transfer, reason=payload.reason, request=request)


@router.post("/seed", response={201: TransferOut, **errors(WRITE)}, summary="Seed the pool (staff)")
def seed(request: HttpRequest, payload: PoolSeedIn) -> tuple[int, Transfer]:
    region = get_object_or_404(Region, code=payload.region)
    made = accounts.seed_pool(user_of(request), region, minutes=payload.minutes, key=payload.key)
    return 201, made
