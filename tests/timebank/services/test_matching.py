"""Matching: availability overlap, shared languages, reach and load in the one set of rules,
both ways (requests for a volunteer, volunteers for a request), and the staff's report of
requests nobody matches with its reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shequ.core.models import Region
from shequ.timebank.models import Member
from shequ.timebank.services import matching, members, orders
from shequ.timebank.services.errors import Invalid
from timebank.factories import NOW, START, add_volunteer, post

# START is a Monday 18:00 local; the requests' window is 18:00-20:00.
EVENINGS = {"0": ["17:00-21:00"]}
MORNINGS = {"0": ["08:00-12:00"]}


def test_weekly_overlap_counts_the_minutes_across_days_and_weeks() -> None:
    cum = matching.cumulative({"0": ["08:00-12:00"], "6": ["23:00-24:00"]})
    monday = matching.local_minutes(NOW.replace(hour=0))
    assert monday % matching.WEEK == 0
    overlap = matching.weekly_overlap(
        cum,
        [monday + 9 * 60, monday - 30, monday, monday],
        [monday + 10 * 60, monday + 30, monday + 14 * 24 * 60, monday + 7 * 60],
    )
    # 9-10 Monday; Sunday 23:30-24:00; two full weeks of 5 h; Monday before eight: none.
    assert overlap.tolist() == [60, 30, 2 * 5 * 60, 0]
    assert matching.weekly_overlap(None, [0], [90]).tolist() == [90]


def test_a_volunteer_free_in_the_window_speaking_the_dialect_comes_first(
    daughter: Any, father: Member, tb_staff: Any, home: Region
) -> None:
    members.update_profile(father, languages=["上海话"])
    morning = add_volunteer(
        tb_staff, home, availability=MORNINGS, estate="锦绣花园", building="3幢"
    )
    evening = add_volunteer(tb_staff, home, availability=EVENINGS)
    dialect = add_volunteer(tb_staff, home, availability=EVENINGS, languages=["上海话", "普通话"])
    req = post(daughter, father)
    ranked = matching.volunteers_for(req, now=NOW)
    # The morning volunteer lives in the building but is not free at 18:00: left out.
    assert [m.pk for m in ranked] == [dialect.pk, evening.pk]
    assert morning.pk not in {m.pk for m in ranked}


def test_requests_for_a_volunteer_rank_the_fitting_near_urgent_and_soon_first(
    daughter: Any, father: Member, tb_staff: Any, home: Region
) -> None:
    me = add_volunteer(tb_staff, home, estate="锦绣花园", building="3幢", availability=EVENINGS)
    week = timedelta(days=7)
    elsewhere = {"estate": "和园", "building": "2幢"}
    later = post(
        daughter,
        father,
        starts_at=START + week,
        ends_at=START + week + timedelta(hours=2),
        **elsewhere,
    )
    other_estate = post(daughter, father, **elsewhere)
    same_building = post(daughter, father)
    urgent = post(daughter, father, urgency="urgent", **elsewhere)
    no_skill = post(daughter, father, category="repairs")
    tuesday = START + timedelta(days=1)
    morning = post(
        daughter, father, starts_at=tuesday.replace(hour=8), ends_at=tuesday.replace(hour=9)
    )
    ranked = matching.requests_for(me, matching.OpenRequests.read(home, now=NOW))
    # Fitting first: the nearest, then the urgent, then the sooner; then those that do not fit
    # (no skill; not free on Tuesday morning), in the same order.
    assert ranked.ids == [
        same_building.pk,
        urgent.pk,
        other_estate.pk,
        later.pk,
        no_skill.pk,
        morning.pk,
    ]
    assert ranked.fitting == 4
    # The beneficiary never sees their own requests in the ranking.
    assert matching.requests_for(father, matching.OpenRequests.read(home, now=NOW)).ids == []


def test_reach_and_load_leave_a_volunteer_out(
    daughter: Any, father: Member, tb_staff: Any, home: Region, settings: Any
) -> None:
    settings.TIMEBANK_MAX_ACTIVE_ORDERS = 1
    homebody = add_volunteer(tb_staff, home, reach="building", estate="和园", building="1幢")
    busy = add_volunteer(tb_staff, home)
    orders.take(busy.user, post(daughter, father), now=NOW)
    req = post(daughter, father)
    assert matching.volunteers_for(req, now=NOW) == []
    (row,) = [u for u in matching.unmatched([home.pk], now=NOW) if u.request.pk == req.pk]
    assert (row.reason, row.skilled, row.available, row.reachable) == ("overloaded", 2, 2, 1)
    assert homebody.pk not in {m.pk for m in matching.volunteers_for(req, now=NOW)}


@pytest.mark.parametrize(
    ("volunteer", "reason"),
    [
        (None, "no_skill"),
        ({"skills": ("repairs",)}, "no_skill"),
        ({"availability": MORNINGS}, "not_available"),
        ({"reach": "estate", "estate": "和园"}, "too_far"),
    ],
)
def test_the_report_names_the_first_rule_that_leaves_nobody(
    daughter: Any,
    father: Member,
    tb_staff: Any,
    home: Region,
    volunteer: dict[str, Any] | None,
    reason: str,
) -> None:
    if volunteer is not None:
        add_volunteer(tb_staff, home, **volunteer)
    req = post(daughter, father)
    rows = {u.request.pk: u for u in matching.unmatched([home.pk], now=NOW)}
    assert rows[req.pk].reason == reason
    assert rows[req.pk].why


def test_a_request_somebody_fits_is_not_in_the_report(
    daughter: Any, father: Member, volunteer: Member, home: Region
) -> None:
    req = post(daughter, father)
    assert req.pk not in {u.request.pk for u in matching.unmatched([home.pk], now=NOW)}


def test_profiles_refuse_bad_languages_and_reach_naming_the_field(volunteer: Member) -> None:
    with pytest.raises(Invalid) as bad:
        members.update_profile(volunteer, languages=["x" * 31])
    assert "languages" in bad.value.fields
    with pytest.raises(Invalid) as bad:
        members.update_profile(volunteer, reach="moon")
    assert "reach" in bad.value.fields
    volunteer.refresh_from_db()
    assert volunteer.reach == "community" and volunteer.languages == []


def test_the_rules_are_the_same_either_way(
    daughter: Any, father: Member, tb_staff: Any, home: Region
) -> None:
    """Every (volunteer, request) pair fits from the request's side exactly when it does from
    the volunteer's: one set of rules, whichever way it is asked."""
    crowd = [
        add_volunteer(tb_staff, home, availability=EVENINGS),
        add_volunteer(tb_staff, home, availability=MORNINGS),
        add_volunteer(tb_staff, home, reach="building", estate="锦绣花园", building="3幢"),
        add_volunteer(tb_staff, home, reach="estate", estate="和园"),
        add_volunteer(tb_staff, home, skills=("repairs",)),
    ]
    reqs = [
        post(daughter, father),
        post(daughter, father, estate="和园", building="2幢"),
        post(daughter, father, category="repairs"),
        post(daughter, father, starts_at=START.replace(hour=9), ends_at=START.replace(hour=10)),
    ]
    pool = matching.OpenRequests.read(home, now=NOW)
    by_volunteer = {
        (m.pk, pk)
        for m in crowd
        for pk in matching.requests_for(m, pool).ids[: matching.requests_for(m, pool).fitting]
    }
    by_request = {(m.pk, r.pk) for r in reqs for m in matching.volunteers_for(r, now=NOW)}
    assert by_volunteer == by_request
    assert len(by_request) > 3
