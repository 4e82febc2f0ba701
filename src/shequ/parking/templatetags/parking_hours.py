"""``{{ plan.hours|hours_text }}``: sharing hours in words, in the page's language."""

from __future__ import annotations

from django import template

from shequ.parking.services.hours_text import describe_text

register = template.Library()


@register.filter
def hours_text(hours: str) -> str:
    return describe_text(str(hours))
