"""Indicator targets of a region: staff of the region change them (audited), others read them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.core.types import user_of
from shequ.dashboard.forms import TargetForm
from shequ.dashboard.models import TargetDirection
from shequ.dashboard.services import targets, values
from shequ.dashboard.views.modules import module_titles
from shequ.web.errors import put_errors


def _form(key: str, data: Any = None, initial: Any = None) -> TargetForm:
    return TargetForm(data, initial=initial, auto_id=f"id_{key.replace('.', '-')}_%s")


def _context(user: Any, code: str, failed: TargetForm | None) -> dict[str, Any]:
    region, goals, editable = targets.table(user, code)
    titles = module_titles()
    rows = []
    for indicator, goal in goals:
        form = (
            failed if failed is not None and failed.data.get("indicator") == indicator.key else None
        )
        shown = "" if goal.target is None else values.number(goal.target, indicator.decimals)
        initial = {
            "indicator": indicator.key,
            "target": "" if goal.target is None else f"{goal.target:g}",
            "direction": str(goal.direction),
        }
        rows.append(
            {
                "indicator": indicator,
                "title": values.title(indicator),
                "unit": values.unit(indicator),
                "module": titles[indicator.module],
                "goal": goal,
                "direction": TargetDirection(str(goal.direction)).label,
                "own": goal.set_at == region.code,
                "target": shown,
                "form": form or _form(indicator.key, initial=initial),
            }
        )
    return {"region": region, "rows": rows, "editable": editable}


@login_required
def target_page(request: HttpRequest) -> HttpResponse:
    """``?region=``: the region's targets; a POST sets one (or resets it with ``reset=1``)."""
    user = user_of(request)
    code = request.GET.get("region", "")
    failed: TargetForm | None = None
    if request.method == "POST":
        key = request.POST.get("indicator", "")
        back = f"{reverse('dashboard:targets')}?region={code}"
        if request.POST.get("reset") == "1":
            targets.reset_target(user, key, code)
            messages.success(request, _("The target is the default again."))
            return redirect(back)
        form = _form(key, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                targets.set_target(user, key, code, data["target"], data["direction"])
            except Invalid as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Target saved."))
                return redirect(back)
        failed = form
    status = 422 if failed is not None else 200
    return render(
        request, "dashboard/targets/page.html", _context(user, code, failed), status=status
    )
