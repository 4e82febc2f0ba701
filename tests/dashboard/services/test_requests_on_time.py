"""The hub indicator "data requests answered on time": real requests, per region, no data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboard.factories import HOME, NEXT_DOOR, OTHER_STREET, STREET, VILLAGE
from shequ.core.models import Department, Region
from shequ.dashboard.indicators import REGISTRY, Reason
from shequ.dashboard.services import compute
from shequ.hub.models import Category, DataRequest, Dataset
from shequ.hub.services.public import requests_on_time

pytestmark = pytest.mark.django_db

KEY = "hub.requests_on_time_30d"
NOW = timezone.make_aware(datetime(2026, 12, 7, 12, 0))


def dataset(key: str, region: Region | None, department: Department | None = None) -> Dataset:
    category, _ = Category.objects.get_or_create(key="t", defaults={"name": "测", "name_en": "T"})
    return Dataset.objects.create(
        key=key, title=key, title_en=key, category=category, region=region,
        department=department, tier="street", sharing="conditional", schema={"fields": []},
    )  # fmt: skip


def ask(data: Dataset, due_days_ago: float, decided_days_ago: float | None, **extra: Any) -> None:
    """A request whose deadline was ``due_days_ago`` days before NOW (negative: still to come),
    decided ``decided_days_ago`` days before NOW (None: still pending)."""
    requester = get_user_model().objects.get_or_create(username="analyst")[0]
    req = DataRequest.objects.create(
        requester=requester, dataset=data, purpose="核查", legal_basis="条例",
        period_from=NOW.date(), period_until=NOW.date() + timedelta(days=30),
        due_at=NOW - timedelta(days=due_days_ago), **extra,
    )  # fmt: skip
    decided = None if decided_days_ago is None else NOW - timedelta(days=decided_days_ago)
    created = NOW - timedelta(days=max(due_days_ago, decided_days_ago or 0) + 5)
    DataRequest.objects.filter(pk=req.pk).update(
        created=created,
        decided_at=decided,
        status=extra.get("status", "approved" if decided else "pending"),
    )


def values(now: datetime = NOW) -> dict[str, tuple[float | None, str]]:
    outcomes = compute.evaluate(REGISTRY[KEY], now)
    return {o.region.code: (o.value, o.reason) for o in outcomes}


def test_it_is_the_share_of_requests_decided_by_their_deadline_per_region(regions: Any) -> None:
    home = dataset("home_data", regions[HOME])
    street = dataset("street_data", regions[STREET])
    ask(home, due_days_ago=10, decided_days_ago=12)  # on time
    ask(home, due_days_ago=10, decided_days_ago=8)  # two days late
    ask(home, due_days_ago=5, decided_days_ago=None)  # overdue, still pending: late
    ask(home, due_days_ago=-3, decided_days_ago=1)  # decided early, deadline to come: on time
    ask(street, due_days_ago=2, decided_days_ago=3, status="refused")  # refused in time: on time
    found = values()
    assert found[HOME] == (50.0, "")
    assert found[STREET] == (60.0, "")  # the street's own request and its communities'
    assert found[NEXT_DOOR] == (None, Reason.NOT_MEASURED)  # none: no data, never zero
    assert found[VILLAGE][0] is None


def test_requests_outside_the_window_withdrawn_or_not_yet_due_are_not_counted(
    regions: Any,
) -> None:
    home = dataset("home_data", regions[HOME])
    ask(home, due_days_ago=40, decided_days_ago=45)  # decided and due before the window
    ask(home, due_days_ago=-5, decided_days_ago=None)  # pending, deadline still to come
    ask(home, due_days_ago=3, decided_days_ago=None, status="withdrawn")
    counts = requests_on_time(regions[HOME].prefix, NOW)
    assert (counts.due, counts.on_time) == (0, 0)
    assert values()[HOME] == (None, Reason.NOT_MEASURED)
    ask(home, due_days_ago=1, decided_days_ago=None)  # due yesterday, unanswered
    assert values()[HOME] == (0.0, "")  # a real zero: one was owed and none came


def test_a_decision_after_the_moment_computed_has_not_happened_yet(regions: Any) -> None:
    home = dataset("home_data", regions[HOME])
    ask(home, due_days_ago=1, decided_days_ago=3)
    assert values()[HOME] == (100.0, "")
    # Four days ago it was pending and not yet due: nothing to measure.
    assert values(NOW - timedelta(days=4))[HOME] == (None, Reason.NOT_MEASURED)
    ask(home, due_days_ago=4, decided_days_ago=2)  # late
    assert values()[HOME] == (50.0, "")
    # 3.5 days ago the first was undecided and not due, the second overdue: late.
    assert values(NOW - timedelta(days=3.5))[HOME] == (0.0, "")


def test_a_shared_dataset_belongs_to_its_departments_region(regions: Any) -> None:
    office = Department.objects.create(
        region=regions[NEXT_DOOR], code="office", name="和园社区居委会", kind="other"
    )
    ask(dataset("shared_owned", None, office), due_days_ago=3, decided_days_ago=None)
    ask(dataset("shared_nobodys", None), due_days_ago=3, decided_days_ago=4)
    ask(dataset("elsewhere", regions[OTHER_STREET]), due_days_ago=3, decided_days_ago=4)
    found = values()
    assert found[NEXT_DOOR] == (0.0, "")
    assert found[STREET] == (0.0, "")  # the platform's own and the other street's do not count
    assert found[OTHER_STREET] == (100.0, "")
    assert found[HOME] == (None, Reason.NOT_MEASURED)
