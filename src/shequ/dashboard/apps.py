from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "shequ.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        # The worker registers only the tasks of imported modules; the registry fills itself
        # when the built-in indicators are imported.
        from shequ.core.permissions import Perm
        from shequ.dashboard import jobs  # noqa: F401
        from shequ.dashboard.indicators import builtin  # noqa: F401
        from shequ.web.modules import Module, register

        register(
            Module(
                "dashboard",
                _("Dashboards"),
                _("Live indicators of every service, by street, community and estate."),
                "dashboard:overview",
                Perm.DASHBOARD,
            )
        )
        from shequ.dashboard.services import resident_home

        register(
            Module(
                "community_figures",
                _("Our community in figures"),
                _("The public indicators of your community, on one phone page."),
                "dashboard:phone",
                None,
                describe=resident_home.describe_figures,
                shows=resident_home.lives_in_a_community,
            )
        )
        register(
            Module(
                "rate_service",
                _("Rate a service"),
                _("How did a service serve you? Tell your community's staff."),
                "dashboard:feedback-rate",
                None,
                shows=resident_home.lives_in_a_community,
            )
        )
