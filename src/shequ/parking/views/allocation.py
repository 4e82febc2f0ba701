"""Allocation review (车位分配审核): staff see a proposed allocation before it is applied.

Staff choose an estate, a plan (window) and a period; the page shows the min-cost proposal next
to the first-come baseline (both walking totals), per garage and per applicant (masked plates),
and applies the reviewed proposal, which travels back as a signed hidden field
(``services.allocation.sign``): nothing is stored until Apply.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.parking.allocation import Allocation, Assignment
from shequ.parking.models import Estate, PriorityGroup
from shequ.parking.services import allocation as run
from shequ.parking.services.access import staff_scope
from shequ.parking.services.errors import Conflict
from shequ.parking.views.common import require_staff_somewhere

GROUP_LABELS = {0: PriorityGroup.NO_SPACE, 1: PriorityGroup.SECOND_CAR, 2: PriorityGroup.OTHER}


def _km(metres: int) -> str:
    return f"{metres / 1000:.2f}"


def _totals(result: Allocation) -> dict[str, Any]:
    served = result.served_by_group()
    return {
        "km": _km(result.total_walk_m),
        "metres": result.total_walk_m,
        "served": len(result.assignments),
        "average": round(result.total_walk_m / len(result.assignments))
        if result.assignments
        else None,
        "groups": [
            {"label": GROUP_LABELS.get(g, PriorityGroup.OTHER).label, "served": served[g], "of": n}
            for g, n in sorted(result.applicants_by_group.items())
        ],
    }


def _review(proposal: run.Proposal) -> dict[str, Any]:
    """What the template shows: garages, applicants, both totals."""
    names = {g.garage.pk: g.garage.name for g in proposal.garages}
    best: dict[str, Assignment] = {a.applicant: a for a in proposal.min_cost.assignments}
    first: dict[str, Assignment] = {a.applicant: a for a in proposal.greedy.assignments}
    places = {w.applicant: w for w in proposal.min_cost.waiting}
    load, greedy_load = proposal.min_cost.load(), proposal.greedy.load()
    on_list = run.listed(proposal)
    garages: list[dict[str, Any]] = [
        {
            "name": g.garage.name,
            "walk_m": g.walk_m,
            "free": g.free,
            "capacity": g.capacity,
            "assigned": load.get((str(g.garage.pk), proposal.plan_code), 0),
            "greedy": greedy_load.get((str(g.garage.pk), proposal.plan_code), 0),
        }
        for g in proposal.garages
    ]
    for g in garages:
        g["percent"] = round(100 * g["assigned"] / g["free"]) if g["free"] else 0
    rows: list[dict[str, Any]] = []
    for app in proposal.apps():
        key = str(app.pk)
        mine, base, wait = best.get(key), first.get(key), places.get(key)
        waits_at = proposal.waiting_garage.get(app.pk)
        rows.append(
            {
                "app": app,
                "plates": ", ".join(app.plates_masked),
                "group": app.get_priority_group_display(),
                "garage": names.get(int(mine.garage)) if mine else None,
                "walk_m": mine.walk_m if mine else None,
                "greedy_garage": names.get(int(base.garage)) if base else None,
                "greedy_walk_m": base.walk_m if base else None,
                "position": wait.position if wait else None,
                "waits_at": names.get(waits_at) if waits_at is not None else None,
                "listed": (app.pk, waits_at) in on_list,
            }
        )
    rows.sort(key=lambda r: (r["position"] is not None, r["position"] or 0, r["app"].created))
    return {
        "garages": garages,
        "rows": rows,
        "changes": len(best)
        + sum(1 for r in rows if r["waits_at"] and not r["listed"] and r["position"]),
        "min_cost": _totals(proposal.min_cost),
        "greedy": _totals(proposal.greedy),
        "applicants": len(rows),
        "capacity": proposal.capacity,
        "token": run.sign(proposal.payload()),
    }


@login_required
def allocation_review(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    estates = list(staff_scope(Estate.objects.select_related("region"), request.user, "region"))
    periods = run.periods_from()
    context: dict[str, Any] = {"estates": estates, "periods": periods}
    code = request.GET.get("estate") or (estates[0].code if len(estates) == 1 else "")
    if not code:
        return render(request, "parking/allocation/review.html", context)
    estate = get_object_or_404(
        staff_scope(Estate.objects.select_related("region"), request.user, "region"), code=code
    )
    plans = run.plan_codes(estate)
    plan = request.GET.get("plan") or next(iter(plans), "")
    period = run.period_of(request.GET.get("period", "")) or periods[0]
    context.update(estate=estate, plans=plans, plan=plan, period=period)
    if plan in plans:
        context["review"] = _review(run.propose(estate, plan, period))
    return render(request, "parking/allocation/review.html", context)


@require_POST
@login_required
def allocation_apply(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    back = reverse("parking:staff-allocation")
    try:
        payload = run.unsign(request.POST.get("proposal", ""))
        estate = get_object_or_404(Estate, pk=payload["estate"])
        back += "?" + urlencode(
            {"estate": estate.code, "plan": payload["plan"], "period": payload["first"]}
        )
        done = run.apply(user_of(request), payload)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if done.changed:
        messages.success(
            request,
            ngettext("%(n)d offer made", "%(n)d offers made", done.offered) % {"n": done.offered}
            + " · "
            + ngettext("%(n)d put on a waiting list", "%(n)d put on waiting lists", done.waiting)
            % {"n": done.waiting},
        )
    else:
        messages.info(request, _("Nothing to change: this allocation has been applied already."))
    if done.taken_meanwhile:
        messages.warning(
            request,
            ngettext(
                "%(n)d space was sold meanwhile: that applicant waits instead.",
                "%(n)d spaces were sold meanwhile: those applicants wait instead.",
                done.taken_meanwhile,
            )
            % {"n": done.taken_meanwhile},
        )
    return redirect(back)
