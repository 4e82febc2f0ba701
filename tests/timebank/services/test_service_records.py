"""Service records flow back to the hub anonymised: the columns a department gets, and that
the published dataset, queried through the hub, agrees with the operational records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shequ.core.models import Region
from shequ.hub.models import Dataset
from shequ.hub.query import run_query_system
from shequ.hub.services.catalog import load_catalog
from shequ.timebank.models import Member, Order
from shequ.timebank.services import orders, ratings, records
from timebank.factories import HOME, NOW, START, STREET, post, seed, serve

PERSONAL = {"name", "phone", "id_number", "address", "estate", "building", "description"}


@pytest.fixture
def history(
    regions: dict[str, Region], daughter: Any, father: Member, volunteer: Member, volunteer2: Member
) -> list[Order]:
    """Three confirmed services by two volunteers on two days, one rated, one left open."""
    load_catalog(region=regions[STREET])
    seed(regions[HOME], 600)
    done = []
    for day, (who, minutes) in enumerate([(volunteer, 45), (volunteer, 90), (volunteer2, 60)]):
        starts = START + timedelta(days=day // 2)
        req = post(daughter, father, starts_at=starts, ends_at=starts + timedelta(hours=2))
        req.refresh_from_db()
        order = serve(who.user, req, minutes)
        done.append(orders.confirm(daughter, order, now=req.ends_at + timedelta(hours=1)))
    ratings.rate(daughter, done[0], score=5, text="张师傅很好，谢谢！", now=NOW + timedelta(days=1))
    serve(volunteer2.user, post(daughter, father, category="visit"))  # checked out, unconfirmed
    return done


def _hub(sql: str) -> list[dict[str, Any]]:
    return run_query_system(sql).table.to_pylist()


def test_the_hub_holds_each_confirmed_service_and_the_ledgers_hours(history: list[Order]) -> None:
    assert records.publish() is not None
    hub = _hub(
        "SELECT count(*) AS n, count(DISTINCT volunteer_key) AS v, sum(confirmed_hours) AS h, "
        "count(rating) AS rated FROM timebank_service_records"
    )[0]
    confirmed = Order.objects.filter(status="confirmed")
    assert hub["n"] == confirmed.count() == 3
    assert hub["v"] == confirmed.values("volunteer").distinct().count() == 2
    minutes = sum(o.transfer.minutes for o in confirmed.select_related("transfer") if o.transfer)
    assert round(hub["h"] * 60) == minutes == 45 + 90 + 60
    assert hub["rated"] == 1
    by_day = _hub(
        "SELECT service_date, count(*) AS n FROM timebank_service_records "
        "GROUP BY service_date ORDER BY service_date"
    )
    assert [(str(r["service_date"]), r["n"]) for r in by_day] == [
        ("2026-10-05", 2),
        ("2026-10-06", 1),
    ]


def test_nothing_in_a_row_names_or_places_a_person(
    history: list[Order], father: Member, volunteer: Member
) -> None:
    records.publish()
    columns = {f["name"] for f in Dataset.objects.get(key=records.KEY).schema["fields"]}
    assert columns == {
        "record_key",
        "volunteer_key",
        "region_code",
        "category",
        "service_date",
        "confirmed_hours",
        "rating",
    }
    assert not columns & PERSONAL
    rows = _hub("SELECT * FROM timebank_service_records")
    text = repr(rows)
    for clear in ("锦绣花园", "3幢", "张", "谢谢", "neighbour"):
        assert clear not in text
    assert all(r["region_code"] == father.region.code for r in rows)  # the community, no finer
    assert not any(":" in str(v) for r in rows for v in r.values())  # no time of day anywhere


def test_keys_are_stable_and_not_the_ids(history: list[Order], volunteer: Member) -> None:
    first, again = records.rows(), records.rows()
    assert first == again
    keys = {r["volunteer_key"] for r in first}
    assert records.pseudonym("timebank_volunteer", volunteer.pk) in keys
    assert all(str(o.pk) != r["record_key"] for o in history for r in first)
    version = records.publish()
    assert records.publish() == version  # the same rows make no new version
