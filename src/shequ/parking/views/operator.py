"""The garage operator's pages: live occupancy, income, violations, plans, prices, devices.

An operator sees only the garages they operate (staff of the region see them too): every
garage is fetched and then checked with ``require_garage``. Plates are shown masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.parking.forms import (
    CountForm,
    DeviceForm,
    GarageForm,
    NoteForm,
    PlanForm,
    ProductForm,
    TenantForm,
    region_choices,
)
from shequ.parking.models import (
    Garage,
    GateDevice,
    GateEvent,
    Pass,
    Product,
    SharingPlan,
    TenantPlate,
    Violation,
)
from shequ.parking.services import garages as garage_svc
from shequ.parking.services import occupancy, overstay, periods
from shequ.parking.services import web_support as web
from shequ.parking.services.access import garages_for, managed_garage
from shequ.parking.views.common import put_errors


def _garage(request: HttpRequest, garage_id: int) -> Garage:
    return managed_garage(request.user, garage_id)


@login_required
def garage_list(request: HttpRequest) -> HttpResponse:
    rows = occupancy.snapshots(garages_for(request.user))
    can_register = garage_svc.registrable_regions(request.user).exists()
    return render(
        request, "parking/operator/garages.html", {"rows": rows, "can_register": can_register}
    )


@login_required
def garage_detail(request: HttpRequest, garage_id: int) -> HttpResponse:
    garage = _garage(request, garage_id)
    count_form = CountForm(request.POST or None)
    if request.method == "POST" and count_form.is_valid():
        try:
            entry = occupancy.record_count(
                user_of(request),
                garage,
                occupied=count_form.cleaned_data["occupied"],
                note=count_form.cleaned_data["note"],
            )
        except ValidationError as exc:
            put_errors(count_form, exc)
        else:
            messages.success(
                request,
                _("Count recorded: %(n)d cars (the gate counter was off by %(d)d).")
                % {"n": entry.occupied, "d": entry.drift},
            )
            return redirect("parking:operator-garage", garage_id=garage.pk)
    income = occupancy.income(garage)  # the month to date
    return render(
        request,
        "parking/operator/garage.html",
        {
            "garage": garage,
            "now": occupancy.snapshot(garage),
            "last_signal": web.last_signal(garage),
            "income": income,
            "yuan": {k: web.yuan(v) for k, v in income.items() if k.endswith("_fen")},
            "inside": occupancy.shared_inside(garage),
            "violations": Violation.objects.filter(garage=garage, status="open")[:50],
            "probable": GateEvent.objects.filter(garage=garage, probable_pass__isnull=False)[:50],
            "events": GateEvent.objects.filter(garage=garage)[:20],
            "active_passes": Pass.objects.filter(garage=garage, status="active").count(),
            "count_form": count_form,
            "resolve_form": NoteForm(),
        },
    )


@require_POST
@login_required
def violation_resolve(request: HttpRequest, violation_id: int) -> HttpResponse:
    violation = get_object_or_404(
        Violation.objects.select_related("garage__region"), pk=violation_id
    )
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    overstay.resolve(user_of(request), violation, note)
    messages.success(request, _("Violation closed."))
    return redirect("parking:operator-garage", garage_id=violation.garage_id)


@login_required
def plans(request: HttpRequest, garage_id: int) -> HttpResponse:
    garage = _garage(request, garage_id)
    current = garage_svc.plan_in_force(garage, "night", periods.today())
    plan_form = PlanForm(
        request.POST if request.POST.get("form") == "plan" else None,
        initial=PlanForm.initial_for_plan(current) if current else None,
    )
    product_form = ProductForm(
        request.POST if request.POST.get("form") == "product" else None,
        initial={"plan_code": "night", "kind": "monthly", "active": True},
    )
    if request.method == "POST":
        done = _declare(request, garage, plan_form) or _price(request, garage, product_form)
        if done:
            return redirect("parking:operator-plans", garage_id=garage.pk)
    today = periods.today()
    return render(
        request,
        "parking/operator/plans.html",
        {
            "garage": garage,
            "plans": _plan_rows(garage, today),
            "products": [
                {"p": p, "yuan": web.yuan(p.price_fen)}
                for p in Product.objects.filter(garage=garage)
            ],
            "plan_form": plan_form,
            "product_form": product_form,
            "next_period": periods.next_period_start(today),
        },
    )


def _plan_rows(garage: Garage, today: Any) -> list[dict[str, Any]]:
    rows = []
    for plan in SharingPlan.objects.filter(garage=garage).order_by("code", "valid_from"):
        current = garage_svc.plan_in_force(garage, plan.code, today)
        state = "future" if plan.valid_from > today else "old"
        if current is not None and current.pk == plan.pk:
            state = "current"
        rows.append({"plan": plan, "state": state})
    return rows


def _declare(request: HttpRequest, garage: Garage, form: PlanForm) -> bool:
    if not form.is_bound or not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        plan = garage_svc.declare_plan(
            user_of(request),
            garage,
            code=data["code"],
            name=data["name"],
            capacity=data["capacity"],
            hours=data["hours"],
            valid_from=data["valid_from"],
        )
    except ValidationError as exc:
        put_errors(form, exc)
        return False
    messages.success(
        request,
        _("Plan %(code)s: %(n)d spaces from %(day)s.")
        % {"code": plan.code, "n": plan.capacity, "day": plan.valid_from.isoformat()},
    )
    return True


def _price(request: HttpRequest, garage: Garage, form: ProductForm) -> bool:
    if not form.is_bound or not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        garage_svc.set_product(
            user_of(request),
            garage,
            plan_code=data["plan_code"],
            kind=data["kind"],
            price_fen=form.price_fen(),
            active=data["active"],
        )
    except ValidationError as exc:
        put_errors(form, exc)
        return False
    messages.success(request, _("Price saved. Orders already made keep theirs."))
    return True


@login_required
def devices(request: HttpRequest, garage_id: int) -> HttpResponse:
    garage = _garage(request, garage_id)
    form = DeviceForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            device, token = garage_svc.issue_device(
                user_of(request), garage, form.cleaned_data["gate"]
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            issued = {"device": device, "token": token}  # shown on this response only
            form = DeviceForm()
    return render(
        request,
        "parking/operator/devices.html",
        {
            "garage": garage,
            "devices": GateDevice.objects.filter(garage=garage).order_by("-created"),
            "form": form,
            "issued": issued,
        },
    )


@require_POST
@login_required
def device_revoke(request: HttpRequest, device_id: int) -> HttpResponse:
    device = get_object_or_404(GateDevice.objects.select_related("garage__region"), pk=device_id)
    garage_svc.revoke_device(user_of(request), device)
    messages.info(request, _("Device %(gate)s revoked.") % {"gate": device.gate})
    return redirect("parking:operator-devices", garage_id=device.garage_id)


@login_required
def tenants(request: HttpRequest, garage_id: int) -> HttpResponse:
    """The building's own plates, let in when the garage's normal rule is ``tenant``."""
    garage = _garage(request, garage_id)
    form = TenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = garage_svc.add_tenant_plate(
                user_of(request), garage, form.cleaned_data["plate"]
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Plate %(p)s added.") % {"p": tenant.plate_masked})
            return redirect("parking:operator-tenants", garage_id=garage.pk)
    return render(
        request,
        "parking/operator/tenants.html",
        {
            "garage": garage,
            "tenants": TenantPlate.objects.filter(garage=garage).order_by("plate_masked", "pk"),
            "form": form,
            "rule_is_tenant": garage.normal_rule == "tenant",
        },
    )


@require_POST
@login_required
def tenant_remove(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = get_object_or_404(TenantPlate.objects.select_related("garage__region"), pk=tenant_id)
    garage_svc.remove_tenant_plate(user_of(request), tenant)
    messages.info(request, _("Plate %(p)s removed.") % {"p": tenant.plate_masked})
    return redirect("parking:operator-tenants", garage_id=tenant.garage_id)


@login_required
def garage_new(request: HttpRequest) -> HttpResponse:
    """Register a garage; its operator then declares what is shared and when."""
    from shequ.core.services.regions import get_region

    regions = region_choices(garage_svc.registrable_regions(request.user))
    if not regions:
        raise PermissionDenied(_("You may not register garages."))
    initial = dict(garage_svc.GARAGE_DEFAULTS)
    form = GarageForm(request.POST or None, regions=regions, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        region = get_region(data.pop("region"))
        try:
            garage = garage_svc.create_garage(user_of(request), region, **data)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("The garage is registered: now declare what it shares."))
            return redirect("parking:operator-plans", garage_id=garage.pk)
    return render(request, "parking/operator/garage_form.html", {"form": form, "garage": None})


@login_required
def garage_settings(request: HttpRequest, garage_id: int) -> HttpResponse:
    garage = _garage(request, garage_id)
    initial = {f: getattr(garage, f) for f in garage_svc.GARAGE_FIELDS}
    initial["entrances"] = ", ".join(garage.entrances)
    form = GarageForm(request.POST or None, regions=None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {f: form.cleaned_data[f] for f in garage_svc.GARAGE_FIELDS}
        try:
            garage_svc.update_garage(user_of(request), garage, **changed)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("parking:operator-garage", garage_id=garage.pk)
    return render(
        request,
        "parking/operator/garage_form.html",
        {"form": form, "garage": garage, "active": "settings"},
    )
