"""Reliability: recent no-shows weigh more than old ones; matching prefers the reliable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shequ.core.models import Region
from shequ.timebank.models import Member
from shequ.timebank.services import orders, reliability, staff
from timebank.factories import NOW, START, add_volunteer, post, seed


def test_no_history_is_fully_reliable_and_a_recent_no_show_costs_more_than_an_old_one(
    db: None,
) -> None:
    assert reliability.scores([1]) == {1: 1.0}
    assert reliability.weight(NOW - timedelta(days=30), NOW) == 0.5
    assert reliability.weight(NOW + timedelta(days=1), NOW) == 1.0


def no_show(daughter: Any, father: Member, volunteer_user: Any, days_ago: int) -> None:
    req = post(
        daughter,
        father,
        starts_at=START - timedelta(days=days_ago),
        ends_at=START - timedelta(days=days_ago) + timedelta(hours=2),
        now=NOW - timedelta(days=days_ago),
    )
    order = orders.take(volunteer_user, req, now=NOW - timedelta(days=days_ago))
    orders.mark_no_show(daughter, order, now=START - timedelta(days=days_ago, minutes=-30))


def test_matching_puts_the_volunteer_who_did_not_come_lately_behind(
    daughter: Any, father: Member, volunteer: Any, tb_staff: Any, home: Region
) -> None:
    seed(home, 600)
    volunteer2 = add_volunteer(tb_staff, home, estate="锦绣花园", building="3幢")
    no_show(daughter, father, volunteer.user, days_ago=2)
    no_show(daughter, father, volunteer2.user, days_ago=120)
    scores = reliability.scores([volunteer.pk, volunteer2.pk], NOW)
    assert scores[volunteer.pk] < scores[volunteer2.pk] < 1.0
    assert scores[volunteer.pk] < 0.7 and scores[volunteer2.pk] > 0.9
    ranked = staff.matching_volunteers(post(daughter, father), now=NOW)
    assert ranked[:2] == [volunteer2, volunteer]
