"""Staff pages of the flood watch: devices and their state, rules, the duty roster, silences.

Every form calls a service (``services/devices``, ``services/roster``); a refusal shows next
to the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.errors import NotFound, ServiceError
from shequ.core.types import user_of
from shequ.flood.forms import IntervalForm, ReachForm, RuleForm, ShiftForm, SilenceForm
from shequ.flood.models import Device, Rule, Silence
from shequ.flood.services import access, devices, downlink, points, response, roster
from shequ.flood.views.common import watcher_required
from shequ.web.errors import put_errors


@watcher_required
def devices_page(request: HttpRequest) -> HttpResponse:
    rows = []
    for point in access.visible_points(request.user):
        for now in points.devices_now(point):
            rows.append((point, now, downlink.status(now.device)))
    rules = (
        Rule.objects.filter(point__in=access.visible_points(request.user))
        .select_related("point", "device")
        .order_by("point__code", "device__code", "id")
    )
    watched = list(access.visible_points(request.user))
    context = {"rows": rows, "rules": list(rules), "points": watched}
    return render(request, "flood/staff/devices.html", context)


def _rule_for(request: HttpRequest, rule_id: int) -> Rule:
    rule = (
        Rule.objects.select_related("point", "point__region", "device")
        .filter(pk=rule_id, point__in=access.visible_points(request.user))
        .first()
    )
    if rule is None:
        raise NotFound(_("No such rule."), "flood_rule_not_found")
    return rule


FIGURES = (
    "blue", "yellow", "orange", "red", "window_minutes", "pending_seconds", "clear_margin",
    "clear_seconds", "enabled",
)  # fmt: skip


@watcher_required
def rule_page(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = user_of(request)
    rule = _rule_for(request, rule_id)
    form = RuleForm(initial={name: getattr(rule, name) for name in FIGURES})
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                devices.update_rule(user, rule, **form.cleaned_data)
            except (ServiceError, ValidationError) as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("flood:staff-devices")
        status = 422
    factor = response.threshold_factor(rule.point.region.code)
    return render(
        request,
        "flood/staff/rule.html",
        {"rule": rule, "form": form, "factor": factor},
        status=status,
    )


@watcher_required
def roster_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    regions = list(response.watched_regions(user))
    form = ShiftForm(regions=regions)
    status = 200
    if request.method == "POST":
        form = ShiftForm(request.POST, regions=regions)
        if form.is_valid():
            data = form.cleaned_data
            try:
                region = access.region_for(user, data["region"])
                person = roster.watcher_named(data["person"], region)
                roster.add_shift(
                    user, region, person, data["starts_at"], data["ends_at"],
                    tier=data["tier"], min_level=data["min_level"],
                )  # fmt: skip
            except (ServiceError, ValidationError) as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Shift added."))
                return redirect("flood:staff-roster")
        status = 422
    shifts = list(roster.shifts_for(user, timezone.now()))
    return render(
        request, "flood/staff/roster.html", _roster_context(user, form, shifts), status=status
    )


def _roster_context(user: Any, form: ShiftForm, shifts: list[Any]) -> dict[str, Any]:
    reach: dict[int, list[str]] = {}
    for s in shifts:
        if s.user_id not in reach:
            own = [c for c in roster.channels_of(s.user) if c.enabled]
            reach[s.user_id] = [f"{c.get_kind_display()} {roster.reach(c)}" for c in own]
    for s in shifts:
        s.reach = reach[s.user_id]
    mine = [(c, roster.reach(c)) for c in roster.channels_of(user) if c.enabled]
    return {"form": form, "shifts": shifts, "reach_form": ReachForm(), "mine": mine}


@require_POST
@watcher_required
def my_channel(request: HttpRequest) -> HttpResponse:
    """Choose (or, with ``drop``, stop) how I am told of alerts when on duty."""
    user = user_of(request)
    if request.POST.get("drop"):
        channel = next(
            (c for c in roster.channels_of(user) if c.kind == request.POST["drop"]), None
        )
        if channel is not None:
            roster.drop_channel(user, channel)
            messages.success(request, _("Channel dropped."))
        return redirect("flood:staff-roster")
    form = ReachForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        config = roster.channel_config(data["kind"], data["address"], data["secret"])
        try:
            roster.choose_channel(user, user, data["kind"], config)
        except (ServiceError, ValidationError) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("You will be told through it when on duty."))
            return redirect("flood:staff-roster")
    for problems in form.errors.values():
        messages.error(request, " ".join(str(p) for p in problems))
    return redirect("flood:staff-roster")


@require_POST
@watcher_required
def end_shift(request: HttpRequest, shift_id: int) -> HttpResponse:
    user = user_of(request)
    shift = roster.shifts_for(user, timezone.now()).filter(pk=shift_id).first()
    if shift is None:
        raise NotFound(_("No such shift."), "flood_shift_not_found")
    roster.end_shift(user, shift, timezone.now())
    messages.success(request, _("Shift ended."))
    return redirect("flood:staff-roster")


@watcher_required
def silences_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    watched = list(access.visible_points(user))
    form = SilenceForm(points=watched)
    status = 200
    if request.method == "POST":
        form = SilenceForm(request.POST, points=watched)
        if form.is_valid():
            data = form.cleaned_data
            try:
                point = access.point_for(user, data["point"])
                roster.silence(user, point, data["until"], data["reason"])
            except (ServiceError, ValidationError) as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Point silenced."))
                return redirect("flood:staff-silences")
        status = 422
    silences = list(roster.silences_for(user, timezone.now()))
    return render(
        request,
        "flood/staff/silences.html",
        {"form": form, "silences": silences},
        status=status,
    )


@require_POST
@watcher_required
def end_silence(request: HttpRequest, silence_id: int) -> HttpResponse:
    user = user_of(request)
    made: Silence | None = roster.silences_for(user, timezone.now()).filter(pk=silence_id).first()
    if made is None:
        raise NotFound(_("No such silence."), "flood_silence_not_found")
    roster.end_silence(user, made, timezone.now())
    messages.success(request, _("Silence ended."))
    return redirect("flood:staff-silences")


@require_POST
@watcher_required
def device_interval(request: HttpRequest, code: str) -> HttpResponse:
    """Change a device's reporting interval; the device is sent its new configuration."""
    user = user_of(request)
    device = (
        Device.objects.select_related("point__region")
        .filter(code=code, point__in=access.visible_points(user))
        .first()
    )
    if device is None:
        raise NotFound(_("No such device."), "flood_device_not_found")
    form = IntervalForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, f"{device.code}: {' '.join(str(p) for p in problems)}")
        return redirect("flood:staff-devices")
    try:
        downlink.set_interval(user, device, form.cleaned_data["interval_seconds"])
    except ServiceError as exc:
        messages.error(request, f"{device.code}: {exc.message}")
    else:
        messages.success(request, _("Interval saved; the device is sent it."))
    return redirect("flood:staff-devices")
