"""Keep the in-process caches honest when the data under them changes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shequ.parking.models import Garage, GateDevice, PublicHoliday
from shequ.parking.services import garages, holidays


@receiver([post_save, post_delete], sender=PublicHoliday)
def _holidays_changed(**_kwargs: Any) -> None:
    holidays.invalidate()


@receiver([post_save, post_delete], sender=Garage)
@receiver([post_save, post_delete], sender=GateDevice)
def _devices_changed(**_kwargs: Any) -> None:
    garages.forget_devices()
