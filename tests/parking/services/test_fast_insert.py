"""``fastsql.insert`` stores a row exactly as ``Model.save()`` would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from shequ.core.services.fastsql import Prepared, insert
from shequ.parking.models import Application, Estate, Garage, GateEvent

pytestmark = pytest.mark.django_db


def stored(obj: Any) -> dict[str, Any]:
    fresh = type(obj).objects.get(pk=obj.pk)
    row = model_to_dict(fresh, exclude=["id"])
    row.pop("received_at", None)
    row.pop("created_at", None)
    return row


def event(garage: Garage, event_id: str) -> GateEvent:
    return GateEvent(
        garage=garage,
        event_id=event_id,
        gate="north",
        direction="in",
        plate_masked="浙A***45",
        plate_hash="ab" * 32,
        at=datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=UTC),
        confidence=None,
        decision="shared",
        open=True,
        display="共享停车 欢迎",
    )


def test_a_row_reads_back_as_the_orm_would_have_saved_it(garage: Garage) -> None:
    fast = insert(event(garage, "fast"))
    slow = event(garage, "slow")
    slow.save()
    assert fast.pk is not None and fast.pk != slow.pk
    assert not fast._state.adding
    assert stored(fast) | {"event_id": "x"} == stored(slow) | {"event_id": "x"}
    again = GateEvent.objects.get(pk=fast.pk)
    assert again.at == datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=UTC)
    assert again.received_at is not None  # auto_now_add is filled in


def test_json_and_defaults_are_converted_by_their_fields(
    make_resident: Any, estate: Estate
) -> None:
    resident = make_resident()
    fields = {"resident": resident, "estate": estate, "plates_enc": "x", "status": "verified"}
    fast = insert(Application(**fields, plate_hashes=["h1", "h2"], plates_masked=["浙A***45"]))
    slow = Application.objects.create(
        **fields, plate_hashes=["h1", "h2"], plates_masked=["浙A***45"]
    )
    assert stored(fast) == stored(slow)


def test_a_constraint_still_refuses_and_leaves_nothing(garage: Garage) -> None:
    insert(event(garage, "once"))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(event(garage, "once"))
    assert GateEvent.objects.filter(event_id="once").count() == 1


def test_values_set_after_preparing_are_the_ones_stored(garage: Garage) -> None:
    row = Prepared(event(garage, "later"))
    row.set(decision="deny", open=False, display="禁止通行")
    saved = row.insert()
    slow = event(garage, "slow")
    slow.decision, slow.open, slow.display = "deny", False, "禁止通行"
    slow.save()
    assert (saved.decision, saved.open) == ("deny", False)
    assert stored(saved) | {"event_id": "x"} == stored(slow) | {"event_id": "x"}
