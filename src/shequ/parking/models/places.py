"""Estates, garages, their gates and tenants, sharing plans, products and public holidays."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Department, Region

LAT = [MinValueValidator(-90), MaxValueValidator(90)]
LON = [MinValueValidator(-180), MaxValueValidator(180)]


class Estate(models.Model):
    """A housing estate (住宅小区) whose residents may apply for shared parking."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="parking_estates")
    code = models.CharField(_("estate code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("QR code slug"), max_length=40, unique=True)
    lat = models.FloatField(_("latitude"), validators=LAT)
    lon = models.FloatField(_("longitude"), validators=LON)
    spaces_shortfall = models.PositiveIntegerField(_("parking shortfall"), default=0)

    class Meta:
        ordering = ["region__code", "code"]
        verbose_name = _("estate")
        verbose_name_plural = _("estates")

    def __str__(self) -> str:
        return self.name


class NormalRule(models.TextChoices):
    """What the gate does with a car that holds no valid shared pass."""

    VISITOR = "visitor", _("Open for visitors (pay at exit)")
    TENANT = "tenant", _("Open for registered tenants only")
    DENY = "deny", _("Keep closed")


class RefundRule(models.TextChoices):
    NONE = "none", _("No refund")
    PRO_RATA_DAYS = "pro_rata_days", _("Refund unused days")
    PRO_RATA_MONTHS = "pro_rata_months", _("Refund unused whole months")


class Garage(models.Model):
    """An office-building garage (写字楼地下车库) that shares spaces at off-peak hours.

    ``occupied`` and ``shared_inside`` are live counters kept by the gate events, so that
    the operator's page and the guidance sign read one row.
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="parking_garages")
    code = models.CharField(_("garage code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), validators=LAT)
    lon = models.FloatField(_("longitude"), validators=LON)
    total_spaces = models.PositiveIntegerField(_("total spaces"))
    entrances = models.JSONField(_("entrances and gates"), default=list, blank=True)
    operator_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="parking_garages"
    )
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="parking_garages", blank=True
    )
    normal_rule = models.CharField(
        _("rule for other cars"), max_length=8, choices=NormalRule.choices, default="visitor"
    )
    refund_rule = models.CharField(
        _("refund rule"), max_length=16, choices=RefundRule.choices, default="pro_rata_days"
    )
    grace_minutes = models.PositiveIntegerField(_("grace period (minutes)"), default=30)
    escalate_minutes = models.PositiveIntegerField(
        _("tell the operator after (minutes)"), default=30
    )
    suspend_after = models.PositiveIntegerField(_("suspend a pass after violations"), default=3)
    suspend_window_days = models.PositiveIntegerField(_("counted over days"), default=30)
    occupied = models.IntegerField(_("cars inside"), default=0)
    shared_inside = models.IntegerField(_("shared-pass cars inside"), default=0)
    counted_at = models.DateTimeField(_("last operator count"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__code", "code"]
        verbose_name = _("garage")
        verbose_name_plural = _("garages")

    def __str__(self) -> str:
        return self.name


class TenantPlate(models.Model):
    """A plate of the building's own tenants, let in under the ``tenant`` rule."""

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="tenant_plates")
    plate_hash = models.CharField(max_length=64)
    plate_masked = models.CharField(_("plate"), max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["garage", "plate_hash"], name="tenant_plate_once")
        ]

    def __str__(self) -> str:
        return self.plate_masked


class GateDevice(models.Model):
    """An ANPR gate camera of a garage; it authenticates with a token stored as SHA-256."""

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="devices")
    gate = models.CharField(_("gate"), max_length=40)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gate device")
        verbose_name_plural = _("gate devices")

    def __str__(self) -> str:
        return f"{self.garage} {self.gate}"


class SharingPlan(models.Model):
    """Shared capacity and its hours (``opening_hours`` form), from ``valid_from`` on.

    Rows with the same garage and ``code`` are versions of one plan: the version in force on a
    day is the one with the latest ``valid_from`` not after it. A change starts at a period
    boundary (the first of a month) after the current one, so sold passes keep their terms.
    """

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="plans")
    code = models.SlugField(_("plan code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("shared spaces"))
    hours = models.CharField(_("sharing hours"), max_length=300)
    valid_from = models.DateField(_("valid from"))
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["garage", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["garage", "code", "valid_from"], name="one_plan_version_per_day"
            )
        ]
        verbose_name = _("sharing plan")
        verbose_name_plural = _("sharing plans")

    def __str__(self) -> str:
        return f"{self.garage} {self.name} ({self.valid_from})"


class ProductKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


PRODUCT_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


class Product(models.Model):
    """A pass on sale for one plan of a garage, priced in fen (分)."""

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="products")
    plan_code = models.SlugField(_("plan code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=10, choices=ProductKind.choices)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["garage", "plan_code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["garage", "plan_code", "kind"], name="one_product_per_plan_kind"
            )
        ]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.garage} {self.plan_code} {self.kind}"

    @property
    def months(self) -> int:
        return PRODUCT_MONTHS[self.kind]


class PublicHoliday(models.Model):
    """A public holiday (法定节假日) that ``PH`` in sharing hours refers to.

    Without a region it holds everywhere; with one, in that region and below.
    """

    day = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=50)
    region = models.ForeignKey(
        Region, models.CASCADE, null=True, blank=True, related_name="parking_holidays"
    )

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "region"], name="one_holiday_per_day_region")
        ]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
