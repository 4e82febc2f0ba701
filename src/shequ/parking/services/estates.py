"""Estates and public holidays, managed by community staff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from shequ.core.models import Membership, Region
from shequ.core.models.regions import covering_codes
from shequ.core.permissions import Perm, has_global
from shequ.core.services.audit import record
from shequ.core.types import Requester, User
from shequ.parking.geo import location_errors
from shequ.parking.models import Estate, PublicHoliday
from shequ.parking.services.access import STAFF_ROLES, is_staff_for, require_staff, staff_scope

Errors = dict[str, list[str]]


def _estate_errors(name: str, slug: str, lat: float, lon: float, shortfall: int) -> Errors:
    errors = location_errors(lat, lon)
    if not slug:
        errors["slug"] = [_("Give a slug of letters, digits and hyphens.")]
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    if shortfall < 0:
        errors["shortfall"] = [_("The shortfall cannot be negative.")]
    return errors


def _taken(code: str | None, slug: str, exclude: int | None = None) -> Errors:
    others = Estate.objects.exclude(pk=exclude) if exclude else Estate.objects.all()
    errors: Errors = {}
    if code is not None and others.filter(code=code).exists():
        errors["code"] = [_("An estate with this code exists already.")]
    if slug and others.filter(slug=slug).exists():
        errors["slug"] = [_("Another estate uses this slug in its QR link.")]
    return errors


def create_estate(
    actor: User,
    region: Region,
    *,
    code: str,
    name: str,
    lat: float,
    lon: float,
    slug: str = "",
    shortfall: int = 0,
) -> Estate:
    require_staff(actor, region.code)
    code = code.strip()
    slug = slugify(slug or code)
    errors = _taken(code, slug) | _estate_errors(name, slug, lat, lon, shortfall)
    if not code:
        errors["code"] = [_("An estate code is required.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            estate = Estate.objects.create(
                region=region,
                code=code,
                name=name.strip(),
                slug=slug,
                lat=lat,
                lon=lon,
                spaces_shortfall=shortfall,
            )
            record("parking.estate.create", actor=actor, obj=estate)
    except IntegrityError as exc:
        raise ValidationError(
            {"code": [_("An estate with this code or slug exists already.")]}
        ) from exc
    return estate


def update_estate(
    actor: User, estate: Estate, *, name: str, slug: str, lat: float, lon: float, shortfall: int
) -> Estate:
    """Change an estate's name, QR slug, location or shortfall (its code and region stay)."""
    require_staff(actor, estate.region.code)
    slug = slugify(slug or estate.code)
    errors = _taken(None, slug, exclude=estate.pk) | _estate_errors(name, slug, lat, lon, shortfall)
    if errors:
        raise ValidationError(errors)
    before = {
        "name": estate.name,
        "slug": estate.slug,
        "lat": estate.lat,
        "lon": estate.lon,
        "spaces_shortfall": estate.spaces_shortfall,
    }
    estate.name, estate.slug, estate.lat, estate.lon = name.strip(), slug, lat, lon
    estate.spaces_shortfall = shortfall
    changed = sorted(k for k, v in before.items() if getattr(estate, k) != v)
    try:
        with transaction.atomic():
            estate.save()
            record("parking.estate.update", actor=actor, obj=estate, fields=changed)
    except IntegrityError as exc:
        raise ValidationError(
            {"slug": [_("Another estate uses this slug in its QR link.")]}
        ) from exc
    return estate


@dataclass(frozen=True)
class EstateRow:
    """An estate on the staff list with its parking shortfall (停车缺口)."""

    estate: Estate
    shortfall: int
    from_indices: bool  # False: the hub has no data on it; the community's own count is shown


def with_shortfall(estates: Iterable[Estate]) -> list[EstateRow]:
    """Each estate's shortfall as the parking indices compute it (``EstateIndex.shortfall``),
    the community's count only where the hub knows nothing of the estate: the list and the
    indices pages show the same figure."""
    from shequ.parking import indices
    from shequ.parking.indices import published_nights

    computed: dict[str, int] = {}
    if indices.has_data("estate_parking_spaces"):
        computed = {e.estate_code: e.shortfall for e in indices.estate_indices(published_nights())}
    return [
        EstateRow(e, computed.get(e.code, e.spaces_shortfall), e.code in computed) for e in estates
    ]


def staff_regions(user: Requester) -> QuerySet[Region]:
    """The regions where the user is staff (where they may add estates and holidays)."""
    return staff_scope(Region.objects.order_by("code"), user, "code")


def visible_holidays(user: User) -> QuerySet[PublicHoliday]:
    """Holidays that hold somewhere the user is staff: nationwide, theirs, and above theirs."""
    qs = PublicHoliday.objects.select_related("region")
    if has_global(user, Perm.PARKING):
        return qs
    mine = staff_scope(qs, user, "region").values("pk")
    homes = Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list(
        "region__code", flat=True
    )
    above = set().union(*(covering_codes(code) for code in homes)) if homes else set()
    return qs.filter(Q(region__isnull=True) | Q(pk__in=mine) | Q(region__code__in=above))


def can_remove_holiday(user: Requester, holiday: PublicHoliday) -> bool:
    if holiday.region is None:
        return has_global(user, Perm.PARKING)
    return is_staff_for(user, holiday.region.code)


def add_holiday(actor: User, *, day: date, name: str, region: Region | None) -> PublicHoliday:
    """A public holiday for a region (staff) or nationwide (platform administrators)."""
    from shequ.core.permissions import Perm, has_global

    if region is None:
        if not has_global(actor, Perm.PARKING):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("Only platform administrators set nationwide holidays."))
    else:
        require_staff(actor, region.code)
    holiday, _created = PublicHoliday.objects.update_or_create(
        day=day, region=region, defaults={"name": name.strip() or day.isoformat()}
    )
    record("parking.holiday.set", actor=actor, obj=region, day=day.isoformat(), name=holiday.name)
    return holiday


def remove_holiday(actor: User, holiday: PublicHoliday) -> None:
    from shequ.core.permissions import Perm, has_global

    if holiday.region is None:
        if not has_global(actor, Perm.PARKING):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("Only platform administrators set nationwide holidays."))
    else:
        require_staff(actor, holiday.region.code)
    record("parking.holiday.remove", actor=actor, obj=holiday.region, day=holiday.day.isoformat())
    holiday.delete()
