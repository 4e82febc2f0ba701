"""The daughter posts for her father; a neighbour takes it, serves, the hours move; every
transition recorded; the unhappy paths refused whole."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shequ.core.models import AuditEvent, InboxMessage, Region
from shequ.timebank.models import Event, HelpRequest, Member, Order, Transfer
from shequ.timebank.services import ledger, orders, ratings, requests, staff
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid, NotFound
from timebank.factories import NOW, START, add_user, add_volunteer, post, seed, serve

S = HelpRequest.Status


def test_the_daughter_posts_a_neighbour_serves_and_the_hours_move(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    seed(home, 600, father.account)
    req = post(daughter, father)
    assert req.status == S.OPEN and req.posted_by == daughter and req.beneficiary == father
    order = orders.take(volunteer.user, req, now=NOW + timedelta(minutes=3))
    req.refresh_from_db()
    assert req.status == S.TAKEN and req.first_taken_at == NOW + timedelta(minutes=3)
    orders.check_in(volunteer.user, order, now=START)
    req.refresh_from_db()
    assert req.status == S.IN_SERVICE
    orders.check_out(volunteer.user, order, now=START + timedelta(minutes=75))
    req.refresh_from_db()
    assert req.status == S.COMPLETED
    orders.confirm(daughter, order, now=START + timedelta(hours=3))
    req.refresh_from_db()
    order.refresh_from_db()
    assert req.status == S.CONFIRMED and order.reported_minutes == 75
    father.account.refresh_from_db()
    volunteer.account.refresh_from_db()
    assert (father.account.balance, volunteer.account.balance) == (600 - 75, 75)
    assert order.transfer is not None and order.transfer.kind == Transfer.Kind.SERVICE
    ratings.rate(daughter, order, score=5, text="送来的饭还热着")
    ratings.rate(volunteer.user, order, score=5)
    actions = list(Event.objects.filter(request=req).values_list("action", "to_status", "actor"))
    assert ("post", "open", daughter.pk) in actions
    assert ("take", "taken", volunteer.user.pk) in actions
    assert ("confirm", "confirmed", daughter.pk) in actions
    assert ledger.check().ok
    assert InboxMessage.objects.filter(user=daughter, title__contains="took").exists()


def test_the_pool_pays_when_the_beneficiary_has_too_few_hours(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father), minutes=60)
    orders.confirm(daughter, order, now=START + timedelta(hours=2))
    order.refresh_from_db()
    assert order.transfer is not None and order.transfer.kind == Transfer.Kind.SUBSIDY
    assert ledger.pool_of(home).balance == 540


def test_confirming_without_hours_anywhere_is_refused_and_leaves_it_completed(
    daughter: Any, father: Member, volunteer: Any
) -> None:
    order = serve(volunteer.user, post(daughter, father))
    with pytest.raises(Conflict) as caught:
        orders.confirm(daughter, order, now=START + timedelta(hours=2))
    assert caught.value.code == "insufficient_hours"
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and not Transfer.objects.exists()


def test_a_retried_confirmation_moves_the_hours_once(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father))
    orders.confirm(daughter, order)
    orders.confirm(daughter, order)
    assert Transfer.objects.filter(kind="subsidy").count() == 1


def test_one_volunteer_per_slot_and_one_slot_per_volunteer(
    daughter: Any, father: Member, volunteer: Any, volunteer2: Any
) -> None:
    req = post(daughter, father)
    first = orders.take(volunteer.user, req, now=NOW)
    assert orders.take(volunteer.user, req, now=NOW).pk == first.pk  # a retried take
    with pytest.raises(Conflict) as caught:
        orders.take(volunteer2.user, req, now=NOW)
    assert caught.value.code == "not_open"
    two = post(daughter, father, volunteers_needed=2)
    a = orders.take(volunteer.user, two, now=NOW)
    b = orders.take(volunteer2.user, two, now=NOW)
    assert {a.slot, b.slot} == {1, 2}
    two.refresh_from_db()
    assert two.status == S.TAKEN


def test_a_volunteer_hands_back_before_the_start_and_the_request_reopens(
    daughter: Any, father: Member, volunteer: Any, volunteer2: Any
) -> None:
    req = post(daughter, father)
    order = orders.take(volunteer.user, req, now=NOW)
    with pytest.raises(Forbidden):
        orders.hand_back(volunteer2.user, order, now=NOW)
    orders.hand_back(volunteer.user, order, reason="临时加班", now=NOW)
    req.refresh_from_db()
    assert req.status == S.OPEN
    assert InboxMessage.objects.filter(user=daughter, title__contains="handed back").exists()
    again = orders.take(volunteer2.user, req, now=NOW)
    assert again.slot == 1
    with pytest.raises(Conflict) as caught:
        orders.hand_back(volunteer2.user, again, now=START)
    assert caught.value.code == "too_late"


def test_only_the_requester_side_or_staff_confirm_and_only_staff_change_minutes(
    daughter: Any,
    father: Member,
    volunteer: Any,
    volunteer2: Any,
    tb_staff: Any,
    home: Region,
) -> None:
    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father))
    with pytest.raises(Forbidden):
        orders.confirm(volunteer.user, order)
    with pytest.raises(Forbidden):
        orders.confirm(volunteer2.user, order)
    with pytest.raises(Forbidden):
        orders.confirm(daughter, order, minutes=30)
    orders.confirm(tb_staff, order, minutes=45)
    order.refresh_from_db()
    assert order.transfer is not None and order.transfer.minutes == 45


def test_an_objection_waits_for_staff(
    daughter: Any, father: Member, volunteer: Any, tb_staff: Any, home: Region
) -> None:
    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father), minutes=200)
    with pytest.raises(Invalid):
        orders.object_to(daughter, order, reason=" ")
    orders.object_to(daughter, order, reason="只待了一个小时")
    with pytest.raises(Conflict):
        orders.confirm(daughter, order)
    assert orders.auto_confirm(now=START + timedelta(days=10)) == 0
    orders.confirm(tb_staff, order, minutes=60, note="settled with both")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED and order.transfer is not None
    assert order.transfer.minutes == 60


def test_completed_services_are_confirmed_after_three_days_without_objection(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father))
    assert orders.auto_confirm(now=START + timedelta(days=2)) == 0
    assert orders.auto_confirm(now=START + timedelta(days=3, hours=2)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert Event.objects.filter(order=order, action="auto_confirm", actor=None).exists()


def test_no_show_frees_the_slot(daughter: Any, father: Member, volunteer: Any) -> None:
    req = post(daughter, father)
    order = orders.take(volunteer.user, req, now=NOW)
    with pytest.raises(Conflict):
        orders.mark_no_show(daughter, order, now=NOW)
    orders.mark_no_show(daughter, order, now=START + timedelta(minutes=30))
    req.refresh_from_db()
    assert req.status == S.OPEN


def test_cancel_and_expire(daughter: Any, father: Member, volunteer: Any) -> None:
    req = post(daughter, father)
    order = orders.take(volunteer.user, req, now=NOW)
    with pytest.raises(Forbidden):
        requests.cancel(volunteer.user, req, now=NOW)
    requests.cancel(daughter, req, reason="家里人回来了", now=NOW)
    requests.cancel(daughter, req, now=NOW)  # a retry
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    other = post(daughter, father)
    assert requests.expire(now=START + timedelta(hours=3)) == 1
    other.refresh_from_db()
    assert other.status == S.EXPIRED


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("category", {"category": "cooking"}),
        ("description", {"description": "  "}),
        ("ends_at", {"ends_at": START - timedelta(hours=1)}),
        ("ends_at", {"ends_at": START + timedelta(days=20)}),
        ("estimated_minutes", {"estimated_minutes": 2}),
        ("volunteers_needed", {"volunteers_needed": 0}),
        ("urgency", {"urgency": "panic"}),
        ("address", {"address": "x" * 201}),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_nothing_is_written(
    daughter: Any, father: Member, field: str, change: dict[str, Any]
) -> None:
    with pytest.raises(Invalid) as caught:
        post(daughter, father, **change)
    assert field in caught.value.fields
    assert not HelpRequest.objects.exists() and not Event.objects.exists()


def test_a_double_tap_posts_once(daughter: Any, father: Member) -> None:
    assert post(daughter, father, key="tap-1").pk == post(daughter, father, key="tap-1").pk
    assert HelpRequest.objects.count() == 1


def test_nobody_else_posts_for_the_father(
    father: Member, volunteer: Any, far_staff: Any, home: Region
) -> None:
    stranger = add_user("resident", home)
    for who in (stranger, volunteer.user, far_staff):
        with pytest.raises(Forbidden):
            post(who, father)


def test_a_volunteer_of_another_community_cannot_take(
    daughter: Any, father: Member, far_volunteer: Any
) -> None:
    with pytest.raises(Forbidden):
        orders.take(far_volunteer.user, post(daughter, father), now=NOW)


def test_the_exact_address_is_shown_to_the_volunteer_who_took_it_and_audited(
    daughter: Any, father: Member, volunteer: Any, volunteer2: Any
) -> None:
    req = post(daughter, father)
    assert req.address_masked.endswith("****") and "501" not in req.address_masked
    with pytest.raises(Forbidden):
        requests.reveal_address(volunteer.user, req)
    orders.take(volunteer.user, req, now=NOW)
    assert requests.reveal_address(volunteer.user, req) == "锦绣花园3幢2单元501室"
    with pytest.raises(Forbidden):
        requests.reveal_address(volunteer2.user, req)
    audit = AuditEvent.objects.get(action="timebank.address.reveal")
    assert "501" not in str(audit.details) and audit.actor == volunteer.user


def test_ratings_are_once_a_side_one_to_five(
    daughter: Any, father: Member, volunteer: Any, volunteer2: Any, home: Region
) -> None:
    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father))
    with pytest.raises(Conflict):
        ratings.rate(daughter, order, score=5)  # not confirmed yet
    orders.confirm(daughter, order)
    with pytest.raises(Invalid):
        ratings.rate(daughter, order, score=6)
    with pytest.raises(Forbidden):
        ratings.rate(volunteer2.user, order, score=1)
    ratings.rate(daughter, order, score=4)
    with pytest.raises(Conflict):
        ratings.rate(daughter, order, score=5)


def test_staff_are_told_once_about_a_request_nobody_takes(
    daughter: Any, father: Member, tb_staff: Any, far_staff: Any, settings: Any
) -> None:
    settings.TIMEBANK_TAKE_ALERT_MINUTES = 30
    req = post(daughter, father)
    assert staff.alert_untaken(now=NOW + timedelta(minutes=10)) == 0
    assert staff.alert_untaken(now=NOW + timedelta(minutes=40)) == 1
    assert staff.alert_untaken(now=NOW + timedelta(minutes=50)) == 0
    assert InboxMessage.objects.filter(user=tb_staff, title__contains=f"#{req.pk}").count() == 1
    assert not InboxMessage.objects.filter(user=far_staff).exists()


def test_matching_volunteers_are_the_skilled_nearest_and_least_busy(
    daughter: Any,
    father: Member,
    volunteer: Any,
    volunteer2: Any,
    tb_staff: Any,
    home: Region,
) -> None:
    unskilled = add_volunteer(tb_staff, home, skills=("tutoring",))
    req = post(daughter, father)
    ranked = staff.matching_volunteers(req, now=NOW)
    assert ranked[:2] == [volunteer, volunteer2]  # same building first
    assert unskilled not in ranked


def test_a_request_you_may_not_see_is_not_found(
    daughter: Any, father: Member, far_volunteer: Any
) -> None:
    from shequ.timebank.services.access import get_request

    req = post(daughter, father)
    with pytest.raises(NotFound):
        get_request(far_volunteer.user, req.pk)
    assert get_request(daughter, req.pk) == req


def test_posting_tells_the_matching_volunteers_after_the_commit(
    daughter: Any,
    father: Member,
    volunteer: Any,
    tb_staff: Any,
    home: Region,
    django_capture_on_commit_callbacks: Any,
) -> None:
    unskilled = add_volunteer(tb_staff, home, skills=("tutoring",))
    with django_capture_on_commit_callbacks(execute=True):
        req = post(daughter, father)
    told = InboxMessage.objects.filter(
        title__contains=f"#{req.pk}", url=f"/timebank/requests/{req.pk}/"
    )
    assert list(told.values_list("user", flat=True)) == [volunteer.user.pk]
    assert not InboxMessage.objects.filter(user=unskilled.user).exists()
