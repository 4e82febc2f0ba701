"""How a person on the duty roster is reached: the channels they chose besides the inbox."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from shequ.core.errors import NotFound
from shequ.core.models import Channel
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.services import roster


class ReachOut(Schema):
    id: int
    kind: str
    reach: str = Field(..., description="Where it sends to, masked")
    enabled: bool
    last_error: str


class ReachIn(Schema):
    config: dict[str, Any] = Field(
        ..., description='As the core channel of that kind: e-mail {"to": …}, webhook {"url": …}'
    )


def _out(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.pk, "kind": channel.kind, "reach": roster.reach(channel),
        "enabled": channel.enabled, "last_error": channel.last_error,
    }  # fmt: skip


@router.get(
    "/roster/me/channels",
    response={200: list[ReachOut], **errors(READ)},
    summary="How I am told of alerts when on duty, besides my inbox",
)
def my_channels(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(c) for c in roster.channels_of(user_of(request))]


@router.put(
    "/roster/me/channels/{kind}",
    response={200: ReachOut, **errors(WRITE)},
    summary="Choose a channel of a kind (email, webhook, dingtalk, wecom) to be told through",
)
def choose_channel(request: HttpRequest, kind: str, body: ReachIn) -> dict[str, Any]:
    user = user_of(request)
    return _out(roster.choose_channel(user, user, kind, body.config))


@router.delete(
    "/roster/me/channels/{kind}",
    response={200: ReachOut, **errors(WRITE)},
    summary="Stop being told through my channel of that kind",
)
def drop_channel(request: HttpRequest, kind: str) -> dict[str, Any]:
    user = user_of(request)
    channel = Channel.objects.filter(kind=kind, owner=user).select_related("region").first()
    if channel is None:
        raise NotFound(_("No such channel."), "flood_channel_not_found")
    roster.drop_channel(user, channel)
    channel.refresh_from_db()
    return _out(channel)
