"""The emergency response level of the regions a user watches: in force, raise, lower."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.core.errors import ServiceError
from shequ.core.types import user_of
from shequ.flood.forms import ResponseLevelForm
from shequ.flood.models import RESPONSE_NAMES, ResponseChange
from shequ.flood.services import access, response
from shequ.flood.views.common import watcher_required
from shequ.web.errors import put_errors


@watcher_required
def response_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    regions = list(response.watched_regions(user))
    form = ResponseLevelForm(regions=regions)
    status = 200
    if request.method == "POST":
        form = ResponseLevelForm(request.POST, regions=regions)
        if form.is_valid():
            data = form.cleaned_data
            try:
                region = access.region_for(user, data["region"])
                row = response.set_level(user, region, data["level"], data["reason"])
            except (ServiceError, ValidationError) as exc:
                put_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(region)s: the emergency response is now %(level)s.")
                    % {"region": region.name, "level": row.get_level_display()},
                )
                return redirect("flood:response")
        status = 422
    changes = (
        ResponseChange.objects.filter(region__in=regions)
        .select_related("region", "actor")
        .order_by("-at", "-id")[:30]
    )
    return render(
        request,
        "flood/response.html",
        {
            "form": form,
            "responses": response.active_for(user),
            "changes": list(changes),
            "settings": [(RESPONSE_NAMES[lv], response.factors(lv)) for lv in (1, 2, 3, 4)],
        },
        status=status,
    )
