"""The modules a home page offers; each app registers its own entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shequ.core.permissions import Perm, perms_of
from shequ.core.types import Requester, User


@dataclass(frozen=True)
class Module:
    key: str
    title: str | Promise
    description: str | Promise
    url_name: str
    perm: Perm | None  # None: every signed-in user
    # The description for one user, when it carries figures (computed by the app's service).
    describe: Callable[[User], str] | None = None
    # Whom it is for beyond ``perm`` (a resident's entry that staff do not need).
    shows: Callable[[User], bool] | None = None

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


MODULES: list[Module] = [
    Module(
        "people",
        _("Residents"),
        _("Resident records, masked; audited reveal."),
        "people",
        Perm.VIEW_PEOPLE,
    ),
    Module("inbox", _("Messages"), _("Alerts and notices sent to you."), "inbox", None),
    Module("audit", _("Audit log"), _("Who did what, when and where."), "audit", Perm.VIEW_AUDIT),
    Module("tokens", _("API tokens"), _("Keys for programs that use the API."), "tokens", None),
    Module(
        "api",
        _("API documentation"),
        _("The OpenAPI description of every endpoint."),
        "api-1:openapi-view",
        None,
    ),
]


def register(module: Module) -> None:
    if all(m.key != module.key for m in MODULES):
        MODULES.insert(0, module)


def modules_for(user: Requester) -> list[Module]:
    perms = perms_of(user)
    shown = [m for m in MODULES if (m.perm is None or m.perm in perms) and m.url()]
    if not isinstance(user, User):
        return [m for m in shown if m.shows is None]
    shown = [m for m in shown if m.shows is None or m.shows(user)]
    return [replace(m, description=m.describe(user)) if m.describe else m for m in shown]
