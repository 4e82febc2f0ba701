"""One action call: who calls, with which parameters, and typed readers for those parameters.

CKAN takes the same parameters as GET query strings (every value text) and as POST JSON bodies
(typed values): the readers accept both, so ``limit=5`` and ``{"limit": 5}`` mean the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.hub.ckan.errors import invalid

TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass
class Call:
    """An action call: the user (None: anonymous), its parameters, and where it was made."""

    user: User | None
    params: dict[str, Any]
    site: str = ""  # scheme and host, no trailing slash: "https://hub.example.cn"
    path: str = "/api/3/action/"  # the action's path, for CKAN's _links
    used: set[str] = field(default_factory=set)

    def get(self, name: str, default: Any = None) -> Any:
        self.used.add(name)
        return self.params.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool | int | float):
            return str(value)
        if not isinstance(value, str):
            raise invalid(name, _("Must be text."))
        return value

    def required(self, name: str, *aliases: str) -> str:
        for alias in aliases:
            if self.params.get(alias) not in (None, ""):
                self.used.add(name)  # the alias's own name is marked used by text()
                return self.text(alias)
        value = self.text(name).strip()
        if not value:
            raise invalid(name, _("Missing value"))
        return value

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int | str):
            value = None
        else:
            try:
                value = int(str(value).strip())
            except ValueError:
                value = None
        if value is None or value < minimum:
            raise invalid(
                name, _("Must be a whole number of at least %(minimum)s.") % {"minimum": minimum}
            )
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | str) and str(value).strip().lower() in TRUE | FALSE:
            return str(value).strip().lower() in TRUE
        raise invalid(name, _("Must be true or false."))

    def json(self, name: str) -> Any:
        """A value that GET sends as JSON text and POST as JSON: decoded once either way."""
        value = self.get(name)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise invalid(name, _("Not valid JSON: %(error)s.") % {"error": exc}) from None
        return value

    def names(self, name: str) -> list[str] | None:
        """A list of names, given as a JSON list or as comma-separated text."""
        value = self.json(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value]
        raise invalid(name, _("Must be a list of names."))

    def refuse_unknown(self, ignored: Iterable[str] = ()) -> None:
        """CKAN's datastore refuses parameters it does not know rather than ignore a typo."""
        unknown = sorted(set(self.params) - self.used - set(ignored))
        if unknown:
            raise invalid(
                unknown[0], _("The input field %(name)s was not expected.") % {"name": unknown[0]}
            )
