from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FloodConfig(AppConfig):
    name = "shequ.flood"
    label = "flood"
    verbose_name = _("Flood watch")

    def ready(self) -> None:
        from shequ.core.permissions import Perm

        # The worker registers only the tasks of imported modules; jobs also receive the
        # services' signals, and the device cache forgets by model signals.
        from shequ.flood import jobs  # noqa: F401
        from shequ.flood.services import devices  # noqa: F401
        from shequ.web.modules import Module, register

        register(
            Module(
                "flood",
                _("Flood watch"),
                _("Monitoring points, water gauges and cameras, alerts for the duty officer."),
                "flood:map",
                Perm.FLOOD,
            )
        )
