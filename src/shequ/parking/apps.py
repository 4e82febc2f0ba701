from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def check_payment_provider(**kwargs: Any) -> list[checks.CheckMessage]:
    """``SHEQU_PAYMENT_PROVIDER`` names an online provider, or nothing (found at start-up)."""
    from shequ.parking.providers import online_provider

    try:
        online_provider()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="parking.E001")]
    return []


class ParkingConfig(AppConfig):
    name = "shequ.parking"
    label = "parking"
    verbose_name = _("Shared parking")

    def ready(self) -> None:
        from shequ.core.permissions import Perm

        # The worker registers only the tasks of imported modules; jobs also receive the
        # services' signals, and these two services keep their caches by model signals.
        from shequ.parking import jobs  # noqa: F401
        from shequ.parking.services import garages, holidays  # noqa: F401
        from shequ.web.modules import Module, register

        checks.register(check_payment_provider)

        register(
            Module(
                "parking",
                _("Shared parking"),
                _("Off-peak garage spaces for residents: passes, gates, occupancy."),
                "parking:home",
                Perm.PARKING,
            )
        )
