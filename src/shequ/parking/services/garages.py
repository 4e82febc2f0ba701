"""Register garages, declare sharing plans and products, issue gate device tokens."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Region, Role
from shequ.core.permissions import Perm, prefixes_for
from shequ.core.services.audit import record
from shequ.core.services.devicetokens import DeviceTokens
from shequ.core.types import Requester, User
from shequ.parking.geo import location_errors
from shequ.parking.models import (
    Estate,
    Garage,
    GateDevice,
    NormalRule,
    Pass,
    Product,
    ProductKind,
    RefundRule,
    SharingPlan,
    TenantPlate,
)
from shequ.parking.services import opening_hours, periods, plates
from shequ.parking.services.access import (
    STAFF_ROLES,
    is_staff_for,
    require_garage,
    require_staff,
    staff_scope,
)

DEVICE_TOKEN_PREFIX = "gate_"
# What a newly registered garage starts with (the model's defaults), for forms.
GARAGE_DEFAULTS = {
    "normal_rule": "visitor",
    "refund_rule": "pro_rata_days",
    "grace_minutes": 30,
    "escalate_minutes": 30,
    "suspend_after": 3,
    "suspend_window_days": 30,
}
GARAGE_FIELDS = (
    "name",
    "address",
    "lat",
    "lon",
    "total_spaces",
    "entrances",
    "normal_rule",
    "refund_rule",
    "grace_minutes",
    "escalate_minutes",
    "suspend_after",
    "suspend_window_days",
)


def _check_garage(fields: dict[str, Any]) -> None:
    errors = location_errors(fields.get("lat", 0.0), fields.get("lon", 0.0))
    if "normal_rule" in fields and fields["normal_rule"] not in NormalRule.values:
        errors["normal_rule"] = [_("Choose one of: %(v)s.") % {"v": ", ".join(NormalRule.values)}]
    if "refund_rule" in fields and fields["refund_rule"] not in RefundRule.values:
        errors["refund_rule"] = [_("Choose one of: %(v)s.") % {"v": ", ".join(RefundRule.values)}]
    if fields.get("total_spaces", 1) < 1:
        errors["total_spaces"] = [_("A garage has at least one space.")]
    entrances = fields.get("entrances", [])
    if not isinstance(entrances, list) or not all(isinstance(e, str) for e in entrances):
        errors["entrances"] = [_("Entrances are a list of gate names.")]
    if errors:
        raise ValidationError(errors)


# Who may register a garage in a region: its staff and the garage operators there.
REGISTRAR_ROLES = (*STAFF_ROLES, Role.GARAGE_OPERATOR)


def can_register_in(user: Requester, region: Region) -> bool:
    if is_staff_for(user, region.code):  # staff, or a platform administrator
        return True
    return any(region.code.startswith(p) for p in prefixes_for(user, Perm.PARKING, REGISTRAR_ROLES))


def registrable_regions(user: Requester) -> QuerySet[Region]:
    """The regions ``can_register_in`` allows, in one query."""
    return staff_scope(Region.objects.order_by("code"), user, "code", REGISTRAR_ROLES)


def create_garage(actor: User, region: Region, *, code: str, **fields: Any) -> Garage:
    """Register a garage; an operator who registers it becomes one of its operators."""
    if not can_register_in(actor, region):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("You may not register garages in this region."))
    _check_garage(fields)
    garage = Garage(region=region, code=code.strip(), **fields)
    try:
        with transaction.atomic():
            garage.save()
            if not is_staff_for(actor, region.code):
                garage.operators.add(actor)
            record("parking.garage.create", actor=actor, obj=garage)
    except IntegrityError as exc:
        raise ValidationError({"code": [_("A garage with this code exists already.")]}) from exc
    return garage


def update_garage(actor: User, garage: Garage, **fields: Any) -> Garage:
    require_garage(actor, garage)
    unknown = set(fields) - set(GARAGE_FIELDS)
    if unknown:
        raise ValidationError({k: [_("This field cannot be changed.")] for k in sorted(unknown)})
    merged = {f: getattr(garage, f) for f in GARAGE_FIELDS} | fields
    _check_garage(merged)
    for key, value in fields.items():
        setattr(garage, key, value)
    with transaction.atomic():
        garage.save(update_fields=list(fields) or None)
        record("parking.garage.update", actor=actor, obj=garage, fields=sorted(fields))
    return garage


def add_operator(actor: User, garage: Garage, user: User) -> None:
    require_staff(actor, garage.region.code)
    garage.operators.add(user)
    record("parking.garage.operator", actor=actor, obj=garage, user=user.get_username())


def plan_in_force(garage: Garage, code: str, day: date) -> SharingPlan | None:
    return (
        SharingPlan.objects.filter(garage=garage, code=code, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )


def shared_spaces_by_garage(day: date | None = None) -> dict[str, int]:
    """Garage code -> the spaces its sharing plans in force on ``day`` share (夜间共享).

    The one source of "shared" for every page: the platform's own plans, not the figure an
    upstream registry once declared (the indices use the registry only for garages without
    a plan here). Garages with no plan in force are left out.
    """
    from shequ.parking.services import periods

    day = day or periods.today()
    latest: dict[tuple[int, str], SharingPlan] = {}
    for plan in SharingPlan.objects.filter(valid_from__lte=day).order_by("valid_from"):
        latest[(plan.garage_id, plan.code)] = plan
    codes = dict(Garage.objects.values_list("pk", "code"))
    shared: dict[str, int] = {}
    for (garage_id, _code), plan in latest.items():
        shared[codes[garage_id]] = shared.get(codes[garage_id], 0) + plan.capacity
    return shared


def declare_plan(
    actor: User,
    garage: Garage,
    *,
    code: str,
    name: str,
    capacity: int,
    hours: str,
    valid_from: date | None = None,
) -> SharingPlan:
    """Declare a plan, or a new version of one from the next period on (never retroactive).

    A plan not yet sold may start any day from today; once a pass of the plan exists, a
    change starts on the first day of a month after the current one.
    """
    require_garage(actor, garage)
    errors: dict[str, list[str]] = {}
    try:
        schedule = opening_hours.parse(hours)
    except ValidationError as exc:
        errors["hours"] = list(exc.messages)
    if capacity < 0 or capacity > garage.total_spaces:
        errors["capacity"] = [
            _("Shared spaces must be between 0 and the garage's %(n)d spaces.")
            % {"n": garage.total_spaces}
        ]
    today = periods.today()
    sold = Pass.objects.filter(garage=garage, plan_code=code).exists()
    earliest = periods.next_period_start(today) if sold else today
    start = valid_from or earliest
    if start < earliest:
        errors["valid_from"] = [
            _("Sold passes keep their terms: a change can start on %(day)s at the earliest.")
            % {"day": earliest.isoformat()}
        ]
    elif sold and start.day != 1:
        errors["valid_from"] = [_("A change starts on the first day of a month.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan, _created = SharingPlan.objects.update_or_create(
            garage=garage,
            code=code,
            valid_from=start,
            defaults={
                "name": name,
                "capacity": capacity,
                "hours": schedule.text,
                "created_by": actor,
            },
        )
        record(
            "parking.plan.declare",
            actor=actor,
            obj=garage,
            plan=code,
            valid_from=start.isoformat(),
            capacity=capacity,
            hours=schedule.text,
        )
    return plan


def set_product(
    actor: User, garage: Garage, *, plan_code: str, kind: str, price_fen: int, active: bool = True
) -> Product:
    """Set the price of a product; orders already made keep theirs."""
    require_garage(actor, garage)
    errors: dict[str, list[str]] = {}
    if kind not in ProductKind.values:
        errors["kind"] = [_("Choose one of: %(v)s.") % {"v": ", ".join(ProductKind.values)}]
    if price_fen < 0:
        errors["price_fen"] = [_("A price cannot be negative.")]
    if not SharingPlan.objects.filter(garage=garage, code=plan_code).exists():
        errors["plan_code"] = [_("This garage has no plan %(code)s.") % {"code": plan_code}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        product, _created = Product.objects.update_or_create(
            garage=garage,
            plan_code=plan_code,
            kind=kind,
            defaults={"price_fen": price_fen, "active": active},
        )
        record(
            "parking.product.set",
            actor=actor,
            obj=garage,
            plan=plan_code,
            kind=kind,
            price_fen=price_fen,
            active=active,
        )
    return product


def issue_device(actor: User, garage: Garage, gate: str) -> tuple[GateDevice, str]:
    """A token for one gate camera; the clear token is returned once and never stored."""
    require_garage(actor, garage)
    if not gate.strip():
        raise ValidationError({"gate": [_("Name the gate.")]})
    raw, prefix, digest = _tokens.new()
    device = GateDevice.objects.create(
        garage=garage, gate=gate.strip(), prefix=prefix, digest=digest
    )
    record("parking.device.issue", actor=actor, obj=garage, gate=device.gate)
    return device, raw


def revoke_device(actor: User, device: GateDevice) -> None:
    require_garage(actor, device.garage)
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        record("parking.device.revoke", actor=actor, obj=device.garage, gate=device.gate)


def _load_device(digest: str) -> GateDevice | None:
    return (
        GateDevice.objects.select_related("garage", "garage__region")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )


# A gate posts every few seconds: its device (with garage and region) is kept in each server
# process for a few seconds (core.services.devicetokens); a changed garage rule likewise.
_tokens: DeviceTokens[GateDevice] = DeviceTokens(DEVICE_TOKEN_PREFIX, _load_device)


def device_for_token(raw: str) -> GateDevice | None:
    return _tokens.find(raw)


def forget_devices() -> None:
    """Drop cached devices (the receiver below calls it when a device or garage is saved)."""
    _tokens.forget()


@receiver([post_save, post_delete], sender=Garage, dispatch_uid="parking.devices.garage")
@receiver([post_save, post_delete], sender=GateDevice, dispatch_uid="parking.devices.device")
def _devices_changed(**_kwargs: Any) -> None:
    forget_devices()


def add_tenant_plate(actor: User, garage: Garage, plate: str) -> TenantPlate:
    """Register a plate of the building's tenants (the ``tenant`` rule opens for it)."""
    require_garage(actor, garage)
    try:
        clean = plates.normalize(plate)
    except ValidationError as exc:
        raise ValidationError({"plate": exc.messages}) from exc
    with transaction.atomic():
        tenant, created = TenantPlate.objects.get_or_create(
            garage=garage,
            plate_hash=plates.plate_hash(clean),
            defaults={"plate_masked": plates.protect(clean).masked},
        )
        if created:
            record("parking.tenant.add", actor=actor, obj=garage, plate=tenant.plate_masked)
    return tenant


def remove_tenant_plate(actor: User, tenant: TenantPlate) -> None:
    """Forget a tenant's plate: from now on the gate treats it like any other car."""
    garage = tenant.garage
    require_garage(actor, garage)
    with transaction.atomic():
        record("parking.tenant.remove", actor=actor, obj=garage, plate=tenant.plate_masked)
        tenant.delete()


def walking_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Walking distance estimate: great-circle distance times 1.3 for the street grid."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * r * math.asin(math.sqrt(a)) * 1.3)


def garages_near(estate: Estate, limit_m: int = 3000) -> list[tuple[Garage, int]]:
    """Garages of the estate's street with products on sale, nearest first, within reach."""
    street = estate.region.code[:9]
    found = []
    qs = Garage.objects.filter(region__code__startswith=street, products__active=True).distinct()
    for garage in qs:
        metres = walking_metres(estate.lat, estate.lon, garage.lat, garage.lon)
        if metres <= limit_m:
            found.append((garage, metres))
    return sorted(found, key=lambda pair: pair[1])
