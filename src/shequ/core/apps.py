from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shequ.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The worker discovers only modules named tasks.py: register our jobs explicitly.
        from shequ.core import checks, jobs  # noqa: F401

        # Background tasks enqueued in a request carry its id into the worker's log lines.
        from shequ.core.observability import tasks  # noqa: F401
