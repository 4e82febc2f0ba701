"""The overstay sweep: shared cars still inside after their window and the grace period.

First the resident is told; if the car is still inside ``escalate_minutes`` later, the
operator. Each (pass, window end) is one violation, however often the sweep runs; a pass with
``suspend_after`` violations in ``suspend_window_days`` is suspended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import Pass, Presence, Violation
from shequ.parking.services import holidays, opening_hours, periods
from shequ.parking.services.notices import tell_operators, tell_user
from shequ.parking.services.passes import switch_suspended


def _window_end(presence: Presence, now: datetime) -> datetime | None:
    """When the window the car is overstaying ended (None: it is inside its window)."""
    plan = presence.pass_obj.plan  # type: ignore[union-attr]
    schedule = opening_hours.cached(plan.hours)
    hols = holidays.holidays_for(presence.garage.region.code)
    local = periods.local_naive(now)
    if schedule.is_open(local, hols):
        return None
    end = schedule.last_close_before(local, hols)
    if end is None:
        return None
    return max(periods.aware(end), presence.entered_at)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Find, record and escalate overstays; return what was done."""
    now = now or timezone.now()
    done = {"violations": 0, "operators_told": 0, "suspended": 0}
    inside = Presence.objects.filter(pass_obj__isnull=False).select_related(
        "pass_obj__plan", "pass_obj__resident", "garage__region"
    )
    for presence in inside:
        end = _window_end(presence, now)
        garage = presence.garage
        if end is None or now - end < timedelta(minutes=garage.grace_minutes):
            continue
        violation, created = _violation(presence, end, now)
        if created:
            done["violations"] += 1
            done["suspended"] += _apply_policy(presence.pass_obj, now)  # type: ignore[arg-type]
        elif _escalate(violation, now):
            done["operators_told"] += 1
    return done


def _violation(presence: Presence, end: datetime, now: datetime) -> tuple[Violation, bool]:
    pass_obj = presence.pass_obj
    assert pass_obj is not None
    with transaction.atomic():
        violation, created = Violation.objects.get_or_create(
            pass_obj=pass_obj,
            window_end=end,
            defaults={
                "garage": presence.garage,
                "presence": presence,
                "plate_masked": presence.plate_masked,
                "detected_at": now,
                "resident_notified_at": now,
            },
        )
        if created:
            tell_user(
                pass_obj.resident,
                _("Your car is still in the shared garage"),
                _(
                    "Car %(plate)s is still in %(garage)s after the shared hours ended at "
                    "%(end)s. Please move it now."
                )
                % {
                    "plate": presence.plate_masked,
                    "garage": presence.garage.name,
                    "end": f"{timezone.localtime(end):%m-%d %H:%M}",
                },
                level="warning",
            )
            record("parking.violation", obj=violation, plate=presence.plate_masked)
    return violation, created


def _escalate(violation: Violation, now: datetime) -> bool:
    garage = violation.garage
    if violation.operator_notified_at is not None or violation.left_at is not None:
        return False
    if now - violation.detected_at < timedelta(minutes=garage.escalate_minutes):
        return False
    if not Violation.objects.filter(pk=violation.pk, operator_notified_at__isnull=True).update(
        operator_notified_at=now
    ):
        return False
    tell_operators(
        garage,
        _("Shared car overstaying"),
        _("Car %(plate)s of a shared pass is still inside after its hours ended at %(end)s.")
        % {
            "plate": violation.plate_masked,
            "end": f"{timezone.localtime(violation.window_end):%m-%d %H:%M}",
        },
    )
    return True


def _apply_policy(pass_obj: Pass, now: datetime) -> int:
    garage = pass_obj.garage
    since = now - timedelta(days=garage.suspend_window_days)
    count = Violation.objects.filter(pass_obj=pass_obj, detected_at__gte=since).count()
    if count < garage.suspend_after or pass_obj.status != Pass.Status.ACTIVE:
        return 0
    reason = _("%(n)d overstays in %(days)d days") % {
        "n": count,
        "days": garage.suspend_window_days,
    }
    switch_suspended(pass_obj, True, reason)
    tell_user(
        pass_obj.resident,
        _("Your shared pass is suspended"),
        _(
            "Your pass at %(garage)s is suspended after %(reason)s. "
            "Community staff can reinstate it."
        )
        % {"garage": garage.name, "reason": reason},
        level="warning",
    )
    return 1


def resolve(actor: User, violation: Violation, note: str) -> Violation:
    from shequ.parking.services.access import require_garage

    require_garage(actor, violation.garage)
    Violation.objects.filter(pk=violation.pk, status=Violation.Status.OPEN).update(
        status=Violation.Status.RESOLVED, note=note[:200]
    )
    violation.refresh_from_db()
    record("parking.violation.resolve", actor=actor, obj=violation)
    return violation
