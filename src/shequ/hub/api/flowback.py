"""Flowback endpoints: publish a community's dataset, subscribe, pull the rows that changed.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from shequ.core.errors import Invalid
from shequ.core.inputs import Id, Int
from shequ.core.models import Channel, Department
from shequ.core.pagination import Pages
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.services.regions import get_region
from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.api import schemas as s
from shequ.hub.api.common import visible_dataset
from shequ.hub.models import Dataset, Subscription
from shequ.hub.query.changes import ChangeSet, changes
from shequ.hub.services import flowback

router = Router(tags=["hub flowback"])


class PublishIn(s.DatasetIn):
    region_code: str = Field(..., pattern=r"^\d{12}$")  # type: ignore[assignment]


class SubscribeIn(Schema):
    department_id: Id | None = None
    channel_id: Id | None = None


class SubscriptionOut(Schema):
    id: int
    dataset: str
    department_id: int | None
    channel_id: int | None
    created: datetime
    last_notified_version: int | None
    last_pulled_version: int | None
    pulls: int

    @staticmethod
    def resolve_dataset(obj: Subscription) -> str:
        return obj.dataset.key


class CountersOut(Schema):
    subscribers: int
    deliveries: int
    last_delivered_version: int | None
    pulls: int


class ChangesOut(Schema):
    dataset: str
    since: int
    until: int
    primary_key: list[str]
    columns: list[str]
    counts: dict[str, int]
    total: int
    offset: int
    next_offset: int | None
    clear_pii: list[str]
    rows: list[dict[str, Any]]


@router.post(
    "/published",
    response={201: s.DatasetOut, **errors(WRITE)},
    by_alias=True,
    summary="Publish your own dataset",
)
def publish(request: HttpRequest, payload: PublishIn) -> tuple[int, Dataset]:
    require_hub(request)
    data = payload.dict(by_alias=True)
    region = get_region(data.pop("region_code"))
    return 201, flowback.publish_dataset(user_of(request), region=region, **data)


@router.get(
    "/datasets/{key}/changes",
    response={200: ChangesOut, **errors(READ)},
    url_name="hub_changes",
    summary="Rows changed between two versions",
)
def dataset_changes(
    request: HttpRequest,
    key: str,
    since: Int,
    until: Int | None = None,
    limit: Int = 1000,
    offset: Int = 0,
    op: Literal["insert", "update", "delete"] | None = None,
) -> ChangeSet:
    dataset = visible_dataset(request, key)
    result = changes(user_of(request), dataset, since, until, limit=limit, offset=offset, op=op)
    flowback.record_pull(user_of(request), dataset, result.until)
    return result


@router.get("/datasets/{key}/subscribers", response={200: CountersOut, **errors(READ)})
def dataset_counters(request: HttpRequest, key: str) -> flowback.Counters:
    return flowback.counters(visible_dataset(request, key))


@router.post("/datasets/{key}/subscription", response={201: SubscriptionOut, **errors(WRITE)})
def subscribe(request: HttpRequest, key: str, payload: SubscribeIn) -> tuple[int, Subscription]:
    dataset = visible_dataset(request, key)
    department = channel = None
    if payload.department_id is not None:
        department = Department.objects.filter(pk=payload.department_id).first()
        if department is None:
            message = _("department_id: no department %(id)s")
            raise Invalid(message % {"id": payload.department_id}, fields={"department_id": []})
    if payload.channel_id is not None:
        channel = Channel.objects.filter(pk=payload.channel_id).first()
        if channel is None:
            message = _("channel_id: no channel %(id)s")
            raise Invalid(message % {"id": payload.channel_id}, fields={"channel_id": []})
    sub = flowback.subscribe(user_of(request), dataset, department=department, channel=channel)
    return 201, sub


@router.delete("/datasets/{key}/subscription", response={200: SubscriptionOut, **errors(WRITE)})
def unsubscribe(request: HttpRequest, key: str) -> Subscription:
    dataset = visible_dataset(request, key)
    sub = get_object_or_404(flowback.subscriptions_of(user_of(request)), dataset=dataset)
    return flowback.unsubscribe(user_of(request), sub)


@router.get("/subscriptions", response={200: list[SubscriptionOut], **errors(READ)})
@paginate(Pages, page_size=100)
def my_subscriptions(request: HttpRequest) -> QuerySet[Subscription]:
    require_hub(request)
    return flowback.subscriptions_of(user_of(request))
