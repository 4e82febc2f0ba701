"""Indicators from the records: counts, hours, time to take, rates and satisfaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shequ.core.models import Region
from shequ.timebank.models import Member
from shequ.timebank.services import indicators, orders, ratings, requests
from timebank.factories import NOW, START, post, seed, serve


def test_percentiles_interpolate_between_ranks() -> None:
    assert indicators.percentile([], 50) is None
    assert indicators.percentile([10], 90) == 10
    assert indicators.percentile([1, 2, 3, 4], 50) == 2.5
    assert indicators.percentile([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90) == 90


def test_the_figures_of_a_community_come_from_its_records(
    daughter: Any, father: Member, volunteer: Any, volunteer2: Any, home: Region, regions: Any
) -> None:
    seed(home, 6000)
    served = []
    for minutes_to_take, volunteer_user in ((5, volunteer.user), (15, volunteer2.user)):
        req = post(daughter, father)
        order = orders.take(volunteer_user, req, now=NOW + timedelta(minutes=minutes_to_take))
        orders.check_in(volunteer_user, order, now=START)
        orders.check_out(volunteer_user, order, now=START + timedelta(minutes=60))
        served.append(order)
    orders.confirm(daughter, served[0], now=START + timedelta(hours=2))
    ratings.rate(daughter, served[0], score=4)
    requests.cancel(daughter, post(daughter, father), now=NOW)
    post(daughter, father)  # still open

    figures = indicators.compute(home, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert figures.registered_volunteers == 2
    assert figures.active_volunteers == 2
    assert figures.requests_posted == 4
    assert figures.services_completed == 2
    assert figures.confirmed_minutes == 60
    assert (figures.take_minutes_p50, figures.take_minutes_p90) == (10.0, 14.0)
    assert figures.demand_answered == 0.5
    assert figures.completion_rate == round(2 / 3, 4)  # of those no longer open
    assert (figures.satisfaction, figures.ratings) == (4.0, 1)
    street = indicators.compute(
        regions["990102001000"], NOW - timedelta(days=1), NOW + timedelta(days=1)
    )
    assert street.services_completed == 2
    elsewhere = indicators.compute(
        regions["990103001001"], NOW - timedelta(days=1), NOW + timedelta(days=1)
    )
    assert elsewhere.services_completed == 0 and elsewhere.take_minutes_p50 is None


def test_services_outside_the_period_do_not_count(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    serve(volunteer.user, post(daughter, father))
    later = indicators.compute(home, NOW + timedelta(days=2), NOW + timedelta(days=9))
    assert later.services_completed == 0 and later.requests_posted == 0
