"""``{{ metres|distance }}``: a distance in the page's language (services.units)."""

from __future__ import annotations

from django import template

from shequ.parking.services import units

register = template.Library()


@register.filter
def distance(metres: float | int | None) -> str:
    return units.distance(metres)
