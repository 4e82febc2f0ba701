"""Renewal reminders, 7 days before a pass ends."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.parking.models import Pass
from shequ.parking.services import periods
from shequ.parking.services.notices import tell_user

REMIND_DAYS = 7


def send_renewal_reminders(today: date | None = None) -> int:
    """Tell holders whose pass ends within 7 days and is not renewed; once per pass."""
    day = today or periods.today()
    due = Pass.objects.filter(
        status=Pass.Status.ACTIVE,
        ends_on__gte=day,
        ends_on__lte=day + timedelta(days=REMIND_DAYS),
        reminded_at__isnull=True,
    ).select_related("garage", "resident")
    sent = 0
    for pass_obj in due:
        if Pass.objects.filter(renews=pass_obj).exclude(status=Pass.Status.CANCELLED).exists():
            continue
        # Claim first: two workers never remind twice.
        if not Pass.objects.filter(pk=pass_obj.pk, reminded_at__isnull=True).update(
            reminded_at=timezone.now()
        ):
            continue
        tell_user(
            pass_obj.resident,
            _("Your shared pass ends soon"),
            _("Your pass at %(garage)s ends on %(day)s. Renew it to keep your space.")
            % {"garage": pass_obj.garage.name, "day": pass_obj.ends_on.isoformat()},
        )
        sent += 1
    return sent
