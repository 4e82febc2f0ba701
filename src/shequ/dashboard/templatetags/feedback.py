"""``{% load feedback %}{% rate_service "parking" ref="pass:12" %}``: the "Rate this service" form.

Other apps put this on the page where a service was used. It shows the form only to someone who
can give feedback (a resident or volunteer of a community), so staff pages stay uncluttered.
"""

from __future__ import annotations

from typing import Any

from django import template

from shequ.dashboard.services.feedback import communities_of

register = template.Library()


@register.inclusion_tag("dashboard/feedback/_rate.html", takes_context=True)
def rate_service(
    context: dict[str, Any], service: str, ref: object = "", region: str = ""
) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "service": service,
        "ref": str(ref),
        "region_code": region,
        "can_rate": bool(user is not None and communities_of(user)),
    }
