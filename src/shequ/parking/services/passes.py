"""Selling passes without ever selling more than a plan's capacity; renewing; cancelling.

A sale locks the garage row (``SELECT … FOR UPDATE`` on PostgreSQL) before it counts the
passes that hold a space, so two buyers of the last space are served one after the other. On
SQLite ``select_for_update`` does nothing, but every transaction begins ``IMMEDIATE``
(``settings.DATABASES``), which takes the database's write lock at ``BEGIN``: the count and the
insert are serialised all the same.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import (
    MAX_PLATES,
    Application,
    Garage,
    Order,
    Pass,
    PassPlate,
    Product,
    SharingPlan,
    WaitingListEntry,
)
from shequ.parking.services import capacity, periods, plates
from shequ.parking.services.access import is_staff_for, require_staff
from shequ.parking.services.errors import Conflict, SoldOut
from shequ.parking.services.payments import get_provider, mark_free_order_paid
from shequ.parking.services.refunds import paid_amount, request_refund
from shequ.parking.services.waiting import offer_next

HOLD_MINUTES = 30
# What a pass's rows show with it (its order is a reverse one-to-one: None when missing).
PASS_RELATED = ("garage", "plan", "product", "order")
MAX_ADVANCE_DAYS = 62
RENEW_FROM_DAYS = 30


def _order_number() -> str:
    return timezone.localtime().strftime("P%Y%m%d") + secrets.token_hex(5).upper()


def _application_plates(application: Application) -> list[str]:
    import json

    return list(json.loads(pii.decrypt(application.plates_enc)))


def _check_plates(application: Application, wanted: list[str]) -> list[str]:
    allowed = _application_plates(application)
    clean: list[str] = []
    for raw in wanted:
        try:
            plate = plates.normalize(raw)
        except ValidationError as exc:
            raise ValidationError({"plates": exc.messages}) from exc
        if plate not in allowed:
            raise ValidationError(
                {
                    "plates": [
                        _("Plate %(p)s is not on your application.") % {"p": pii.mask_plate(plate)}
                    ]
                }
            )
        if plate not in clean:
            clean.append(plate)
    if not 1 <= len(clean) <= MAX_PLATES:
        raise ValidationError({"plates": [_("A pass carries one or two plates.")]})
    return clean


def _holding_plates(hashes: list[str], first: date, last: date) -> QuerySet[PassPlate]:
    """Plates of passes that hold them from first to last (paid, or an unexpired order)."""
    now = timezone.now()
    return PassPlate.objects.filter(
        plate_hash__in=hashes,
        pass_obj__starts_on__lte=last,
        pass_obj__ends_on__gte=first,
    ).filter(
        Q(pass_obj__status__in=[Pass.Status.ACTIVE, Pass.Status.SUSPENDED])
        | Q(pass_obj__status=Pass.Status.PENDING, pass_obj__hold_until__gt=now)
    )


def _plates_busy(hashes: list[str], first: date, last: date, exclude: Pass | None) -> bool:
    busy = _holding_plates(hashes, first, last)
    if exclude is not None:
        busy = busy.exclude(pass_obj=exclude)
    return busy.exists()


def plates_held_until(application: Application, first: date) -> date | None:
    """The last day a pass holds one of the application's plates from ``first`` on (None: free).

    ``buy`` refuses a period that overlaps such a pass, so the pages offer no Buy button
    for a product whose period would start before this day has passed.
    """
    hashes = [plates.protect(p).hash for p in _application_plates(application)]
    ends = _holding_plates(hashes, first, date.max).values_list("pass_obj__ends_on", flat=True)
    return max(ends, default=None)


def buy(
    resident: User,
    application: Application,
    product: Product,
    *,
    plates_wanted: list[str] | None = None,
    starts_on: date | None = None,
    provider: str = "offline",
    renews: Pass | None = None,
) -> Order:
    """Reserve a space and open an order; the pass becomes active when the order is paid."""

    if application.resident_id != resident.pk:
        raise PermissionDenied(_("This is not your application."))
    if not application.eligible:
        raise Conflict(_("Your application is not approved yet."), "not_eligible")
    if not product.active:
        raise ValidationError({"product": [_("This product is not on sale.")]})
    get_provider(provider)  # refuses an unknown provider before anything is written
    today = periods.today()
    start = starts_on or today
    if start < today or start > today + timedelta(days=MAX_ADVANCE_DAYS):
        raise ValidationError(
            {
                "starts_on": [
                    _("A pass starts between today and %(n)d days ahead.") % {"n": MAX_ADVANCE_DAYS}
                ]
            }
        )
    end = periods.pass_end(start, product.months)
    wanted = _check_plates(application, plates_wanted or _application_plates(application))
    stored = [plates.protect(p) for p in wanted]
    if _plates_busy([s.hash for s in stored], start, end, renews):
        raise Conflict(_("One of these plates already has a pass for this period."), "plate_busy")
    with transaction.atomic():
        garage = Garage.objects.select_for_update().get(pk=product.garage_id)
        plan = (
            SharingPlan.objects.filter(garage=garage, code=product.plan_code, valid_from__lte=start)
            .order_by("-valid_from")
            .first()
        )
        if plan is None:
            raise Conflict(_("This plan does not run on that date."), "no_plan")
        if capacity.free_spaces(garage, product.plan_code, start, end, application) < 1:
            raise SoldOut(_("No shared space is left for this period; join the waiting list."))
        pass_obj = Pass.objects.create(
            resident=resident,
            application=application,
            garage=garage,
            plan=plan,
            plan_code=product.plan_code,
            product=product,
            starts_on=start,
            ends_on=end,
            status=Pass.Status.PENDING,
            hold_until=timezone.now() + timedelta(minutes=HOLD_MINUTES),
            renews=renews,
        )
        PassPlate.objects.bulk_create(
            PassPlate(
                pass_obj=pass_obj,
                garage=garage,
                plate_enc=s.enc,
                plate_masked=s.masked,
                plate_hash=s.hash,
                fuzzy_hash=s.fuzzy,
            )
            for s in stored
        )
        order = Order.objects.create(
            number=_order_number(),
            resident=resident,
            pass_obj=pass_obj,
            amount_fen=product.price_fen,
            provider=provider,
        )
        WaitingListEntry.objects.filter(
            application=application,
            garage=garage,
            plan_code=product.plan_code,
            status__in=[WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED],
        ).update(status=WaitingListEntry.Status.TAKEN)
        record(
            "parking.pass.reserve",
            actor=resident,
            obj=pass_obj,
            order=order.number,
            amount_fen=order.amount_fen,
        )
        if order.amount_fen == 0:
            mark_free_order_paid(order)
    return order


def renew(resident: User, pass_obj: Pass, provider: str = "offline") -> Order:
    """Buy the same product again from the day after the pass ends (its plates, today's price)."""
    if pass_obj.resident_id != resident.pk:
        raise PermissionDenied(_("This is not your pass."))
    if pass_obj.status not in (Pass.Status.ACTIVE, Pass.Status.SUSPENDED):
        raise Conflict(_("Only an active pass can be renewed."), "not_active")
    if Pass.objects.filter(renews=pass_obj).exclude(status=Pass.Status.CANCELLED).exists():
        raise Conflict(_("This pass has been renewed already."), "renewed")
    if pass_obj.ends_on - periods.today() > timedelta(days=RENEW_FROM_DAYS):
        raise Conflict(
            _("A pass can be renewed from %(n)d days before it ends.") % {"n": RENEW_FROM_DAYS},
            "too_early",
        )
    Pass.objects.filter(renews=pass_obj, status=Pass.Status.CANCELLED).update(renews=None)
    product = pass_obj.product
    clear = [pii.decrypt(p.plate_enc) for p in pass_obj.plates.all()]
    return buy(
        resident,
        pass_obj.application,
        product,
        plates_wanted=clear,
        starts_on=pass_obj.ends_on + timedelta(days=1),
        provider=provider,
        renews=pass_obj,
    )


def refund_due(pass_obj: Pass, paid_fen: int, on: date) -> int:
    """What the garage's refund rule gives back when a pass is cancelled on ``on``."""
    rule = pass_obj.garage.refund_rule
    if paid_fen <= 0 or rule == "none":
        return 0
    if on < pass_obj.starts_on:
        return paid_fen
    total_days = (pass_obj.ends_on - pass_obj.starts_on).days + 1
    if rule == "pro_rata_days":
        unused = max((pass_obj.ends_on - on).days, 0)  # the day of cancelling counts as used
        return paid_fen * unused // total_days
    months = pass_obj.product.months
    used = 1
    while used < months and periods.add_months(pass_obj.starts_on, used) <= on:
        used += 1
    return paid_fen * (months - used) // months


def cancel(actor: User, pass_obj: Pass, *, reason: str = "") -> Pass:
    """Cancel a pass: a pending order is dropped; a paid one gets a refund entry by the rule."""

    if actor.pk != pass_obj.resident_id and not is_staff_for(actor, pass_obj.garage.region.code):
        raise PermissionDenied(_("This is not your pass."))
    with transaction.atomic():
        locked = Pass.objects.select_for_update().select_related("garage").get(pk=pass_obj.pk)
        if locked.status in (Pass.Status.CANCELLED, Pass.Status.EXPIRED):
            return locked  # repeating a cancel changes nothing
        order = Order.objects.select_for_update().get(pass_obj=locked)
        if order.status == Order.Status.PENDING:
            order.status = Order.Status.CANCELLED
            order.save(update_fields=["status"])
        else:
            amount = refund_due(locked, paid_amount(order), periods.today())
            if amount:
                request_refund(order, amount, reason or _("Pass cancelled"))
        was_holding = locked.status != Pass.Status.PENDING or (
            locked.hold_until and locked.hold_until > timezone.now()
        )
        locked.status = Pass.Status.CANCELLED
        locked.save(update_fields=["status"])
        record("parking.pass.cancel", actor=actor, obj=locked, reason=reason)
        if was_holding:
            offer_next(locked.garage, locked.plan_code)
    return locked


def set_suspended(actor: User, pass_obj: Pass, suspended: bool, reason: str = "") -> Pass:

    require_staff(actor, pass_obj.garage.region.code)
    return switch_suspended(pass_obj, suspended, reason, actor)


def switch_suspended(
    pass_obj: Pass, suspended: bool, reason: str, actor: User | None = None
) -> Pass:
    """Suspend or reinstate an active pass, audited; the caller has checked who may (staff
    through ``set_suspended``, the overstay policy on its own)."""
    old = Pass.Status.ACTIVE if suspended else Pass.Status.SUSPENDED
    new = Pass.Status.SUSPENDED if suspended else Pass.Status.ACTIVE
    changed = Pass.objects.filter(pk=pass_obj.pk, status=old).update(
        status=new, suspended_reason=reason[:200] if suspended else ""
    )
    if changed:
        record(
            "parking.pass.suspend" if suspended else "parking.pass.reinstate",
            actor=actor,
            obj=pass_obj,
            reason=reason,
        )
    pass_obj.refresh_from_db()
    return pass_obj


def expire_passes(today: date | None = None) -> int:
    """Mark passes past their last day expired, and drop unpaid holds that ran out."""
    day = today or periods.today()
    expired = Pass.objects.filter(
        status__in=[Pass.Status.ACTIVE, Pass.Status.SUSPENDED], ends_on__lt=day
    ).update(status=Pass.Status.EXPIRED)
    stale = Pass.objects.filter(status=Pass.Status.PENDING, hold_until__lte=timezone.now())
    for pass_obj in stale:
        with transaction.atomic():
            if Order.objects.filter(pass_obj=pass_obj, status=Order.Status.PENDING).update(
                status=Order.Status.CANCELLED
            ):
                Pass.objects.filter(pk=pass_obj.pk, status=Pass.Status.PENDING).update(
                    status=Pass.Status.CANCELLED
                )
                expired += 1
    return expired
