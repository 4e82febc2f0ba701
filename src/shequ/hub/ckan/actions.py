"""The actions this API answers, by CKAN name, and the small site actions."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from shequ.hub.ckan import packages
from shequ.hub.ckan.datastore import datastore_search
from shequ.hub.ckan.errors import NotFound
from shequ.hub.ckan.params import Call

CKAN_VERSION = "2.10.0"  # the Action API version these actions follow

Action = Callable[[Call], Any]


def site_read(call: Call) -> bool:
    """Whether the caller may read the site: always, for the public catalogue."""
    return True


def status_show(call: Call) -> dict[str, Any]:
    """What this site is: its CKAN API version and extensions."""
    return {
        "site_title": "shequ",
        "site_description": "",
        "site_url": call.site,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": settings.LANGUAGE_CODE.replace("-hans", "_Hans"),
        "extensions": ["datastore", "shequ"],
    }


def help_show(call: Call) -> str:
    """The documentation of the action ``name``."""
    name = call.required("name")
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(_("Action name not known: %(name)s") % {"name": name})
    return inspect.cleandoc(action.__doc__ or "")


ACTIONS: dict[str, Action] = {
    "site_read": site_read,
    "status_show": status_show,
    "help_show": help_show,
    "package_list": packages.package_list,
    "package_show": packages.package_show,
    "package_search": packages.package_search,
    "resource_show": packages.resource_show,
    "organization_list": packages.organization_list,
    "group_list": packages.group_list,
    "datastore_search": datastore_search,
}
