from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebankConfig(AppConfig):
    name = "shequ.timebank"
    label = "timebank"
    verbose_name = _("Time bank")

    def ready(self) -> None:
        from shequ.core.permissions import Perm

        # The worker registers only the tasks of imported modules.
        from shequ.timebank import jobs  # noqa: F401
        from shequ.web.modules import Module, register

        register(
            Module(
                "timebank",
                _("Time bank"),
                _("Help requests, volunteers taking orders, hours earned and spent."),
                "timebank:home",
                Perm.TIMEBANK,
            )
        )
