"""The time bank's service records as a hub dataset (flowback, R1.4): one row per confirmed
service, anonymised.

The demo used to write ``volunteer_service_records`` (names, ID numbers, exact times) straight
into the hub. Now the operational records are the time bank's own, and what it publishes,
``timebank_service_records``, names nobody and lets nobody be found by joining its columns:

- no name, phone, ID number, login, address, estate or building; the place is the community;
- the volunteer is a pseudonymous key, stable across versions (one volunteer's services can
  be counted together) but keyed with the platform's secret HMAC key, so neither the member's
  id nor a guess at it leads back to them; the record key is keyed the same way;
- the day of the service, never its time: an exact check-in time next to a place is what lets
  a neighbour say who was served;
- the beneficiary does not appear at all, nor the free text of a rating (it may name people).

``confirmed_hours`` is the ledger's settled transfer, so the dataset's sums are the ledger's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from shequ.core import pii
from shequ.hub.models import Category, Dataset
from shequ.hub.services import flowback as hub_flowback
from shequ.timebank.models import Order, Rating
from shequ.timebank.services.flowback import CATEGORY, owner

KEY = "timebank_service_records"
KEY_LENGTH = 16


def _f(name: str, type_: str, title: str, title_en: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "title_en": title_en, **extra}


SCHEMA: dict[str, Any] = {
    "primaryKey": ["record_key"],
    "regionField": "region_code",
    "fields": [
        _f(
            "record_key",
            "string",
            "服务记录假名编号",
            "Record key (pseudonymous)",
            constraints={"required": True, "unique": True, "pattern": r"^[0-9a-f]{16}$"},
        ),
        _f(
            "volunteer_key",
            "string",
            "志愿者假名编号",
            "Volunteer key (pseudonymous)",
            constraints={"required": True, "pattern": r"^[0-9a-f]{16}$"},
        ),
        _f(
            "region_code",
            "string",
            "社区区划代码",
            "Community region code",
            constraints={"required": True, "pattern": r"^\d{12}$"},
        ),
        _f("category", "string", "服务类别", "Category", constraints={"required": True}),
        _f("service_date", "date", "服务日期", "Day of service", constraints={"required": True}),
        _f(
            "confirmed_hours",
            "number",
            "确认服务时长（小时）",
            "Confirmed hours",
            constraints={"required": True, "minimum": 0},
        ),
        _f(
            "rating",
            "integer",
            "服务对象评分",
            "Beneficiary's rating",
            constraints={"minimum": 1, "maximum": 5},
        ),
    ],
}


def pseudonym(kind: str, pk: int) -> str:
    """A stable key for an object that cannot be turned back into its id without the secret."""
    return pii.lookup_hash(kind, str(pk))[:KEY_LENGTH]


def rows() -> list[dict[str, Any]]:
    """Every confirmed service, oldest first."""
    confirmed = (
        Order.objects.filter(status=Order.Status.CONFIRMED, transfer__isnull=False)
        .select_related("request__region", "transfer")
        .order_by("pk")
    )
    scores = dict(
        Rating.objects.filter(
            side=Rating.Side.REQUESTER, order__status=Order.Status.CONFIRMED
        ).values_list("order_id", "score")
    )
    found = []
    for order in confirmed:
        assert order.transfer is not None
        served: datetime = order.checked_in_at or order.request.starts_at
        found.append(
            {
                "record_key": pseudonym("timebank_record", order.pk),
                "volunteer_key": pseudonym("timebank_volunteer", order.volunteer_id),
                "region_code": order.request.region.code,
                "category": order.request.category,
                "service_date": timezone.localtime(served).date().isoformat(),
                "confirmed_hours": round(order.transfer.minutes / 60, 4),
                "rating": scores.get(order.pk),
            }
        )
    return found


def publish() -> int | None:
    """Replace the dataset's rows; the version it is at (None: no hub catalog to publish in)."""
    region = owner()
    if region is None or not Category.objects.filter(key=CATEGORY).exists():
        return None
    dataset: Dataset = hub_flowback.publish_dataset(
        None,
        region=region,
        key=KEY,
        category=CATEGORY,
        schema=SCHEMA,
        title="时间银行服务记录（脱敏）",
        title_en="Time bank service records (anonymised)",
        description="每条为一次已确认的时间银行服务：社区、服务类别、服务日期、确认时长和服务对象"
        "评分。志愿者和记录以假名编号表示；不含姓名、证件号、电话、地址、楼幢或具体时刻。",
        description_en="One row per confirmed time bank service: community, category, day, "
        "confirmed hours and the beneficiary's rating. Volunteers and records are pseudonymous "
        "keys; no names, ID numbers, phones, addresses, buildings or times of day.",
        sharing="conditional",
        frequency="daily",
        tags=["时间银行", "志愿服务"],
        licence="政务内部共享",
    )
    return hub_flowback.publish_rows(dataset, rows())
