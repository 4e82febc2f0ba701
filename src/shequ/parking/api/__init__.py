"""The parking API under /api/v1/parking/: operators, residents, staff, gates, payments.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from shequ.parking.api import gates, operator, resident, staff  # noqa: F401  (they add routes)
from shequ.parking.api.common import router

__all__ = ["router"]
