from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from shequ.core.types import User


class HubConfig(AppConfig):
    name = "shequ.hub"
    label = "hub"
    verbose_name = _("Data hub")

    def ready(self) -> None:
        from shequ.core.permissions import Perm

        # The worker registers only the tasks of imported modules (run_huey imports tasks.py).
        from shequ.hub import jobs  # noqa: F401
        from shequ.web.modules import Module, register

        register(
            Module(
                "hub",
                _("Data hub"),
                _("Catalog of public data."),
                "hub:catalog",
                Perm.HUB,
                describe=_describe_catalog,
            )
        )


def _describe_catalog(user: User) -> str:
    """The hub's home tile: the same counts as the catalog page (``catalog.summary``)."""
    from django.utils.translation import gettext

    from shequ.hub.services.catalog import summary

    seen = summary(user)
    return gettext("Catalog of public data: %(categories)d categories, %(items)d items.") % {
        "categories": seen.categories,
        "items": seen.datasets,
    }
