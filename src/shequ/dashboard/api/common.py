"""The one router of the dashboard endpoints, and the figure schema they share."""

from datetime import datetime

from ninja import Router, Schema

router = Router(tags=["dashboard"])


class FigureOut(Schema):
    key: str
    title: str
    unit: str
    value: float | None
    display: str  # formatted for the request's language; "no data" without a value
    status: str  # good / bad against the target, none
    why: str  # why there is no value ("" when there is one)
    at: datetime | None
