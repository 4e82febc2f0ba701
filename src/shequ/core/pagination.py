"""The one pagination of every API list: ninja's page numbers, with bounded numbers.

ninja's own input leaves ``page`` unbounded: ``?page=9223372036854775807`` became an OFFSET
the database refused (a 500 on every list). Here both numbers are bounded input integers, so
a page past the end is an empty page and a number past the bound is a 422 naming it.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from shequ.core.inputs import INT_MAX


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=INT_MAX)
        page_size: int | None = Field(
            None, ge=1, le=INT_MAX, description="rows per page (capped at the list's maximum)"
        )
