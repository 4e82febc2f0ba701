from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shequ.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The worker discovers only modules named tasks.py: register our jobs explicitly.
        from shequ.core import jobs  # noqa: F401
