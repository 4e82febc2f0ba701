"""Units shown to people: one formatter per kind, so a page never mixes "503 m" and "503 米"."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def distance(metres: float | int | None) -> str:
    """A walking distance in whole metres, in the active language: 503 m / 503 米."""
    if metres is None:
        return "—"
    shown = number_format(round(metres), 0, force_grouping=True)
    return _("%(metres)s m") % {"metres": shown}
