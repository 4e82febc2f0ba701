from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "shequ.access"
    label = "access"
    verbose_name = _("Access control")

    def ready(self) -> None:
        # The worker registers only the tasks of imported modules; the device cache's
        # receivers sit beside it in services.devices.
        from shequ.access import jobs  # noqa: F401
        from shequ.access.services import devices  # noqa: F401
        from shequ.core.permissions import Perm
        from shequ.web.modules import Module, register

        register(
            Module(
                "access",
                _("Access control"),
                _("Estate doors: status checks at the gate, alerts, visitor passes, consent."),
                "access:home",
                Perm.GATE,
            )
        )
