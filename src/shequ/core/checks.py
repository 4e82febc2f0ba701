"""Django system checks: production's warnings (``shequ.production.warnings``).

They print on every ``shequ serve`` start (its ``migrate`` runs the checks) and with
``shequ manage check --deploy``; they never stop the server. What must stop it is refused
earlier, when the settings load.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

from shequ import production


@register(Tags.security, deploy=False)
def production_warnings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PRODUCTION:
        return []
    return [
        CheckWarning(text, id=f"shequ.W{index:03d}")
        for index, text in enumerate(production.warnings(os.environ), start=1)
    ]
