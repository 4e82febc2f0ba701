"""The ingestion path's own time adapter and converter store and read what Django's do: the
(device, time) key of a reading must be the same text whichever path wrote it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from shequ.flood.models import Device, Reading
from shequ.flood.services import rawsql

pytestmark = pytest.mark.django_db

SHANGHAI = timezone(timedelta(hours=8))
TIMES = [
    datetime(2026, 7, 1, 8, 0, tzinfo=SHANGHAI),
    datetime(2026, 7, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2000, 1, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("at", TIMES)
def test_it_adapts_a_time_as_django_does(at: datetime) -> None:
    assert rawsql.datetime_adapter()(at) == connection.ops.adapt_datetimefield_value(at)


def test_it_adapts_none_to_none() -> None:
    assert rawsql.datetime_adapter()(None) is None


def test_it_reads_back_what_the_orm_reads(gauge: Device) -> None:
    device = gauge
    received = datetime(2026, 7, 2, tzinfo=UTC)
    Reading.objects.bulk_create(
        Reading(device=device, at=at, value=1.5, received_at=received) for at in TIMES
    )
    query = Reading.objects.filter(device=device).order_by("at").values_list("at", "value")
    fast = rawsql.fetch(*query.query.sql_with_params(), datetimes=(0,))
    assert fast == list(query)
    assert all(at.utcoffset() == timedelta(0) for at, _v in fast)
    assert rawsql.fetch(*query.filter(value=2).query.sql_with_params()) == []
