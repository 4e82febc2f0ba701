"""Create regions, departments and notification channels inside the actor's scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.core.models import Channel, Department, Region
from shequ.core.models.regions import DepartmentKind, RegionLevel
from shequ.core.permissions import Perm, require
from shequ.core.services.audit import record


def get_region(code: str | None, field: str = "region_code") -> Region:
    """The region with this code, or a validation error naming the field."""
    region = Region.objects.filter(code=code or "").first()
    if region is None:
        raise ValidationError({field: [_("Unknown region code %(code)s.") % {"code": code}]})
    return region


def create_region(
    actor: Any, *, code: str, name: str, level: str, parent_code: str | None, **extra: Any
) -> Region:
    if level not in RegionLevel.values:
        raise ValidationError({"level": [_("Unknown level %(level)s.") % {"level": level}]})
    parent = get_region(parent_code, "parent_code") if parent_code else None
    require(actor, Perm.MANAGE_REGIONS, parent or code)
    if Region.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A region with this code exists already.")]})
    region = Region(code=code, name=name, level=level, parent=parent, **extra)
    try:
        region.clean()
    except ValidationError as exc:
        # The API field is parent_code; the model calls it parent.
        raise ValidationError(
            {"parent_code" if k == "parent" else k: v for k, v in exc.message_dict.items()}
        ) from exc
    with transaction.atomic():
        region.save()
        record("region.create", actor=actor, obj=region, region_code=region.code)
    return region


def create_department(
    actor: Any, *, region_code: str, code: str, name: str, kind: str, name_en: str = ""
) -> Department:
    region = get_region(region_code)
    require(actor, Perm.MANAGE_REGIONS, region)
    if kind not in DepartmentKind.values:
        raise ValidationError({"kind": [_("Unknown department kind %(kind)s.") % {"kind": kind}]})
    if Department.objects.filter(region=region, code=code).exists():
        raise ValidationError({"code": [_("This region has a department with this code.")]})
    with transaction.atomic():
        dept = Department.objects.create(
            region=region, code=code, name=name, name_en=name_en, kind=kind
        )
        record("department.create", actor=actor, obj=dept)
    return dept


def create_channel(
    actor: Any, *, region_code: str, name: str, kind: str, config: dict[str, Any]
) -> Channel:
    from shequ.core.services.notify import clean_config

    region = get_region(region_code)
    require(actor, Perm.MANAGE_CHANNELS, region)
    try:
        cleaned = clean_config(kind, config)
    except ValueError as exc:
        raise ValidationError({"kind": [str(exc)]}) from exc
    except ValidationError as exc:
        raise ValidationError({f"config.{k}": v for k, v in exc.message_dict.items()}) from exc
    with transaction.atomic():
        channel = Channel.objects.create(region=region, name=name, kind=kind, config=cleaned)
        record("channel.create", actor=actor, obj=channel, kind=kind)
    return channel
