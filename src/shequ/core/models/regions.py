"""Administrative regions (行政区划), departments and who belongs where."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Sub-district")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")


# Digits of the 12-digit statistical division code that each level owns:
# PP CC DD SSS VVV (province, city, district, street, community/village).
CODE_SPAN = {
    RegionLevel.PROVINCE: (0, 2),
    RegionLevel.CITY: (2, 4),
    RegionLevel.DISTRICT: (4, 6),
    RegionLevel.STREET: (6, 9),
    RegionLevel.COMMUNITY: (9, 12),
    RegionLevel.VILLAGE: (9, 12),
}
PARENT_LEVEL = {
    RegionLevel.CITY: RegionLevel.PROVINCE,
    RegionLevel.DISTRICT: RegionLevel.CITY,
    RegionLevel.STREET: RegionLevel.DISTRICT,
    RegionLevel.COMMUNITY: RegionLevel.STREET,
    RegionLevel.VILLAGE: RegionLevel.STREET,
}
# ASCII digits only: \d would admit full-width digits, and $ a trailing newline.
CODE_RE = re.compile(r"[0-9]{12}")


def code_prefix(code: str, level: str) -> str:
    """The significant digits of a region code: every descendant's code starts with them."""
    return code[: CODE_SPAN[RegionLevel(level)][1]]


def prefix_of_code(code: str) -> str:
    """The significant digits of any 12-digit code, judged by its trailing zero levels."""
    for start, end in ((9, 12), (6, 9), (4, 6), (2, 4), (0, 2)):
        if code[start:end].strip("0"):
            return code[:end]
    return code


def covering_codes(code: str) -> set[str]:
    """The 12-digit codes of a region and of every region above it (from its code alone)."""
    return {code[:end].ljust(12, "0") for end in (2, 4, 6, 9, 12) if code[:end].strip("0")}


def validate_region_code(code: str, level: str, parent: Region | None) -> None:
    """Check a code's form, its level's digits and its consistency with the parent."""
    if level not in RegionLevel.values:
        raise ValidationError({"level": _("Unknown level %(level)s.") % {"level": level}})
    if not CODE_RE.fullmatch(code):
        raise ValidationError({"code": _("A region code has exactly 12 digits.")})
    start, end = CODE_SPAN[RegionLevel(level)]
    if int(code[start:end]) == 0:
        raise ValidationError({"code": _("The digits of this level must not be all zero.")})
    if int(code[end:] or "0") != 0:
        raise ValidationError({"code": _("The digits below this level must be zero.")})
    expected_parent = PARENT_LEVEL.get(RegionLevel(level))
    if expected_parent is None:
        if parent is not None:
            raise ValidationError({"parent": _("A province has no parent region.")})
        return
    if parent is None or parent.level != expected_parent:
        raise ValidationError(
            {
                "parent": _("The parent of a %(level)s must be a %(parent)s.")
                % {"level": RegionLevel(level).label, "parent": expected_parent.label}
            }
        )
    if not code.startswith(parent.prefix):
        raise ValidationError(
            {
                "code": _("The code must start with the parent's code %(prefix)s.")
                % {"prefix": parent.prefix}
            }
        )


class Region(models.Model):
    """A node of the administrative tree, identified by its statistical division code."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    boundary = models.JSONField(_("boundary (GeoJSON, WGS-84)"), null=True, blank=True)
    centre_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    centre_lon = models.FloatField(_("centre longitude"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        super().save(*args, **kwargs)

    @property
    def prefix(self) -> str:
        return code_prefix(self.code, self.level)

    def clean(self) -> None:
        validate_region_code(self.code, self.level, self.parent)
        if self.centre_lat is not None and not -90 <= self.centre_lat <= 90:
            raise ValidationError({"centre_lat": _("Latitude must be between -90 and 90.")})
        if self.centre_lon is not None and not -180 <= self.centre_lon <= 180:
            raise ValidationError({"centre_lon": _("Longitude must be between -180 and 180.")})

    def ancestors(self) -> list[Region]:
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def covers(self, other: Region) -> bool:
        """True when other is this region or one of its descendants."""
        return other.code.startswith(self.prefix)


class DepartmentKind(models.TextChoices):
    POLICE = "police", _("Public security")
    TRAFFIC_POLICE = "traffic_police", _("Traffic police")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing and construction")
    TELECOM = "telecom", _("Telecom")
    URBAN_MANAGEMENT = "urban_management", _("Urban management")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    EMERGENCY = "emergency", _("Emergency management")
    STREET_OFFICE = "street_office", _("Sub-district office")
    OTHER = "other", _("Other")


class Department(models.Model):
    """A government department (公安、交警、卫健 …) at a region."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="departments")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)

    class Meta:
        ordering = ["region__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="department_code_per_region")
        ]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    STREET_STAFF = "street_staff", _("Sub-district staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    DEPARTMENT_ANALYST = "department_analyst", _("Department analyst")
    GARAGE_OPERATOR = "garage_operator", _("Garage operator")
    DUTY_OFFICER = "duty_officer", _("Flood duty officer")
    VOLUNTEER = "volunteer", _("Volunteer")
    RESIDENT = "resident", _("Resident")


class Membership(models.Model):
    """A user's role in a region (and its descendants), optionally for one department."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    region = models.ForeignKey(Region, models.PROTECT, related_name="memberships")
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region", "role"], name="one_role_per_user_region"
            )
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region.name}"

    def clean(self) -> None:
        department = self.department if self.department_id else None
        if department is not None and department.region_id != self.region_id:
            raise ValidationError(
                {"department": _("The department must belong to the membership's region.")}
            )
