"""Selling passes: capacity, plates, waiting list, renewals, cancellations and refunds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.parking.models import Order, Pass, Product, Refund, SharingPlan, WaitingListEntry
from shequ.parking.services import garages, passes, payments, periods, reminders, waiting
from shequ.parking.services.errors import Conflict, SoldOut

pytestmark = pytest.mark.django_db


def test_a_paid_order_activates_its_pass(sell: Callable[..., Pass]) -> None:
    pass_obj = sell(["浙A12345"])
    assert pass_obj.status == "active"
    assert pass_obj.ends_on == periods.pass_end(pass_obj.starts_on, 1)
    assert pass_obj.order.status == "paid"
    assert [p.plate_masked for p in pass_obj.plates.all()] == ["浙A***45"]


def test_it_never_sells_more_than_the_capacity(
    sell: Callable[..., Pass], make_resident: Any, make_application: Any, monthly: Product
) -> None:
    sell(["浙A11111"])
    sell(["浙A22222"])
    third = make_resident()
    app = make_application(third, ["浙A33333"])
    with pytest.raises(SoldOut):
        passes.buy(third, app, monthly)
    assert Pass.objects.count() == 2 and Order.objects.count() == 2


def test_an_unpaid_reservation_holds_a_space_until_it_runs_out(
    make_resident: Any, make_application: Any, monthly: Product, plan: SharingPlan
) -> None:
    plan.capacity = 1
    plan.save()
    first, second = make_resident(), make_resident()
    order = passes.buy(first, make_application(first, ["浙A11111"]), monthly)
    app2 = make_application(second, ["浙A22222"])
    with pytest.raises(SoldOut):
        passes.buy(second, app2, monthly)
    Pass.objects.filter(pk=order.pass_obj_id).update(
        hold_until=timezone.now() - timedelta(seconds=1)
    )
    assert passes.buy(second, app2, monthly).pass_obj.status == "pending"
    # The first buyer pays late: the space is gone, so the money is owed back in full.
    payments.record_payment(order, provider="offline", transaction_id="late", amount_fen=30000)
    order.refresh_from_db()
    assert order.status == "paid"
    assert Pass.objects.get(pk=order.pass_obj_id).status == "cancelled"
    assert [r.amount_fen for r in order.refunds.all()] == [30000]


def test_a_plate_cannot_hold_two_passes_for_one_period(
    sell: Callable[..., Pass], make_application: Any, monthly: Product
) -> None:
    pass_obj = sell(["浙A12345"])
    app = make_application(pass_obj.resident, ["浙A12345"], status="approved")
    with pytest.raises(Conflict) as info:
        passes.buy(pass_obj.resident, app, monthly)
    assert info.value.code == "plate_busy"


def test_plates_must_be_on_the_application_and_at_most_two(
    make_resident: Any, make_application: Any, monthly: Product
) -> None:
    resident = make_resident()
    app = make_application(resident, ["浙A11111", "浙A22222"])
    with pytest.raises(ValidationError) as info:
        passes.buy(resident, app, monthly, plates_wanted=["浙A99999"])
    assert "plates" in info.value.message_dict
    order = passes.buy(resident, app, monthly, plates_wanted=["浙a·11111", "浙A22222"])
    assert order.pass_obj.plates.count() == 2


def test_only_an_eligible_application_of_ones_own_can_buy(
    make_resident: Any, make_application: Any, monthly: Product
) -> None:
    resident, other = make_resident(), make_resident()
    pending = make_application(resident, ["浙A11111"], status="needs_proof")
    with pytest.raises(Conflict):
        passes.buy(resident, pending, monthly)
    mine = make_application(resident, ["浙A22222"])
    with pytest.raises(PermissionDenied):
        passes.buy(other, mine, monthly)
    assert not Pass.objects.exists()


def test_the_start_date_is_checked(
    make_resident: Any, make_application: Any, monthly: Product
) -> None:
    resident = make_resident()
    app = make_application(resident, ["浙A11111"])
    for bad in (periods.today() - timedelta(days=1), periods.today() + timedelta(days=90)):
        with pytest.raises(ValidationError) as info:
            passes.buy(resident, app, monthly, starts_on=bad)
        assert "starts_on" in info.value.message_dict


def test_a_plan_change_applies_from_the_next_period_only(
    sell: Callable[..., Pass], operator: Any, plan: SharingPlan
) -> None:
    sold = sell(["浙A12345"])
    today = periods.today()
    with pytest.raises(ValidationError) as info:
        garages.declare_plan(
            operator,
            plan.garage,
            code="night",
            name="夜间",
            capacity=5,
            hours="Mo-Su 20:00-07:00",
            valid_from=today,
        )
    assert "valid_from" in info.value.message_dict
    new = garages.declare_plan(
        operator, plan.garage, code="night", name="夜间", capacity=5, hours="Mo-Su 20:00-07:00"
    )
    assert new.valid_from == periods.next_period_start(today)
    sold.refresh_from_db()
    assert sold.plan_id == plan.pk  # the sold pass keeps its hours
    assert garages.plan_in_force(plan.garage, "night", new.valid_from) == new


def test_capacity_follows_the_plan_version_of_each_day(
    sell: Callable[..., Pass],
    operator: Any,
    plan: SharingPlan,
    make_resident: Any,
    make_application: Any,
    monthly: Product,
) -> None:
    sell(["浙A11111"])
    sell(["浙A22222"])
    nxt = periods.next_period_start(periods.today())
    garages.declare_plan(
        operator, plan.garage, code="night", name="夜间", capacity=3, hours=plan.hours
    )
    resident = make_resident()
    app = make_application(resident, ["浙A33333"])
    with pytest.raises(SoldOut):
        passes.buy(resident, app, monthly)  # this month's two spaces are sold
    # From next month on there is a third space.
    order = passes.buy(resident, app, monthly, starts_on=nxt)
    assert order.pass_obj.plan.capacity == 3


def test_waiting_list_gets_an_offer_when_a_pass_is_cancelled(
    sell: Callable[..., Pass],
    make_resident: Any,
    make_application: Any,
    monthly: Product,
    plan: SharingPlan,
) -> None:
    first = sell(["浙A11111"])
    sell(["浙A22222"])
    waiter = make_resident()
    app = make_application(waiter, ["浙A33333"])
    entry = waiting.join(waiter, app, plan.garage, "night")
    assert entry.rank == 1
    with pytest.raises(Conflict):
        waiting.join(waiter, app, plan.garage, "night")
    stranger = make_resident()
    stranger_app = make_application(stranger, ["浙A44444"])
    passes.cancel(first.resident, first)
    entry.refresh_from_db()
    assert entry.status == "offered"
    assert waiter.inbox.filter(title__icontains="free").exists()
    # The offered space is held for the waiter, not sold to the next comer.
    with pytest.raises(SoldOut):
        passes.buy(stranger, stranger_app, monthly)
    passes.buy(waiter, app, monthly)
    entry.refresh_from_db()
    assert entry.status == "taken"


def test_lapsed_offers_pass_to_the_next_in_line(
    sell: Callable[..., Pass], make_resident: Any, make_application: Any, plan: SharingPlan
) -> None:
    first = sell(["浙A11111"])
    sell(["浙A22222"])
    a, b = make_resident(), make_resident()
    entry_a = waiting.join(a, make_application(a, ["浙A33333"]), plan.garage, "night")
    entry_b = waiting.join(b, make_application(b, ["浙A44444"]), plan.garage, "night")
    passes.cancel(first.resident, first)
    WaitingListEntry.objects.filter(pk=entry_a.pk).update(offered_until=timezone.now())
    assert waiting.expire_offers() == 1
    entry_a.refresh_from_db()
    entry_b.refresh_from_db()
    assert (entry_a.status, entry_b.status) == ("expired", "offered")


def test_staff_reorder_and_remove_waiting_entries(
    make_resident: Any, make_application: Any, plan: SharingPlan, staff_jinxiu: Any, operator: Any
) -> None:
    entries = []
    for plate in ("浙A11111", "浙A22222", "浙A33333"):
        r = make_resident()
        entries.append(waiting.join(r, make_application(r, [plate]), plan.garage, "night"))
    waiting.move(staff_jinxiu, entries[2], 1)
    ranks = {e.pk: e.rank for e in WaitingListEntry.objects.all()}
    assert [ranks[e.pk] for e in entries] == [2, 3, 1]
    with pytest.raises(PermissionDenied):
        waiting.move(operator, entries[0], 1)
    with pytest.raises(ValidationError):
        waiting.move(staff_jinxiu, entries[0], 4)
    waiting.remove(staff_jinxiu, entries[2])
    ranks = {e.pk: e.rank for e in WaitingListEntry.objects.filter(status="waiting")}
    assert ranks == {entries[0].pk: 1, entries[1].pk: 2}


@pytest.mark.parametrize(
    ("rule", "days_used", "expected"),
    [
        ("none", 10, 0),
        ("pro_rata_days", 0, "all_but_one"),
        ("pro_rata_days", -3, "all"),
        ("pro_rata_months", 0, 0),
    ],
)
def test_cancelling_refunds_by_the_garage_rule(
    sell: Callable[..., Pass], rule: str, days_used: int, expected: Any
) -> None:
    pass_obj = sell(["浙A12345"])
    pass_obj.garage.refund_rule = rule
    pass_obj.garage.save()
    on = pass_obj.starts_on + timedelta(days=days_used)
    total = (pass_obj.ends_on - pass_obj.starts_on).days + 1
    want = {"all": 30000, "all_but_one": 30000 * (total - 1) // total}.get(expected, expected)
    assert passes.refund_due(pass_obj, 30000, on) == want


def test_yearly_pass_refunds_unused_whole_months(
    sell: Callable[..., Pass], plan: SharingPlan
) -> None:
    yearly = Product.objects.create(
        garage=plan.garage, plan_code="night", kind="yearly", price_fen=300000
    )
    pass_obj = sell(["浙A12345"], product=yearly)
    pass_obj.garage.refund_rule = "pro_rata_months"
    on = periods.add_months(pass_obj.starts_on, 2) + timedelta(days=3)  # in the third month
    assert passes.refund_due(pass_obj, 300000, on) == 300000 * 9 // 12


def test_cancel_is_idempotent_and_writes_one_refund(sell: Callable[..., Pass]) -> None:
    pass_obj = sell(["浙A12345"])
    passes.cancel(pass_obj.resident, pass_obj)
    passes.cancel(pass_obj.resident, pass_obj)
    assert Refund.objects.count() == 1
    assert Refund.objects.get().amount_fen == passes.refund_due(pass_obj, 30000, periods.today())
    assert Pass.objects.get(pk=pass_obj.pk).status == "cancelled"


def test_cancelling_an_unpaid_pass_cancels_its_order(
    make_resident: Any, make_application: Any, monthly: Product
) -> None:
    resident = make_resident()
    order = passes.buy(resident, make_application(resident, ["浙A12345"]), monthly)
    passes.cancel(resident, order.pass_obj)
    order.refresh_from_db()
    assert order.status == "cancelled" and not Refund.objects.exists()


def test_renewal_starts_the_day_after_and_is_allowed_late_in_the_period(
    sell: Callable[..., Pass], staff_jinxiu: Any
) -> None:
    pass_obj = sell(["浙A12345"])
    order = passes.renew(pass_obj.resident, pass_obj)
    assert order.pass_obj.starts_on == pass_obj.ends_on + timedelta(days=1)
    assert order.pass_obj.renews_id == pass_obj.pk
    with pytest.raises(Conflict):
        passes.renew(pass_obj.resident, pass_obj)


def test_renewal_reminder_goes_once_seven_days_before_the_end(sell: Callable[..., Pass]) -> None:
    pass_obj = sell(["浙A12345"])
    assert reminders.send_renewal_reminders(pass_obj.ends_on - timedelta(days=8)) == 0
    assert reminders.send_renewal_reminders(pass_obj.ends_on - timedelta(days=7)) == 1
    assert reminders.send_renewal_reminders(pass_obj.ends_on - timedelta(days=6)) == 0
    assert pass_obj.resident.inbox.count() == 1


def test_expiry_and_stale_holds(
    sell: Callable[..., Pass], make_resident: Any, make_application: Any, monthly: Product
) -> None:
    pass_obj = sell(["浙A12345"])
    resident = make_resident()
    order = passes.buy(resident, make_application(resident, ["浙A54321"]), monthly)
    Pass.objects.filter(pk=order.pass_obj_id).update(hold_until=timezone.now())
    assert passes.expire_passes(pass_obj.ends_on + timedelta(days=1)) == 2
    assert Pass.objects.get(pk=pass_obj.pk).status == "expired"
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_pass_period_arithmetic() -> None:
    assert periods.pass_end(date(2026, 1, 31), 1) == date(2026, 2, 27)
    assert periods.pass_end(date(2026, 3, 1), 1) == date(2026, 3, 31)
    assert periods.pass_end(date(2026, 3, 1), 12) == date(2027, 2, 28)
    assert periods.next_period_start(date(2026, 12, 15)) == date(2027, 1, 1)
