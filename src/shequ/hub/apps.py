from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HubConfig(AppConfig):
    name = "shequ.hub"
    label = "hub"
    verbose_name = _("Data hub")

    def ready(self) -> None:
        from shequ.core.permissions import Perm

        # The worker registers only the tasks of imported modules (run_huey imports tasks.py).
        from shequ.hub import jobs, jobs_flowback, jobs_requests  # noqa: F401
        from shequ.web.modules import Module, register

        register(
            Module(
                "hub",
                _("Data hub"),
                _("Catalog of public data: 10 categories, 72 items."),
                "hub:catalog",
                Perm.HUB,
            )
        )
