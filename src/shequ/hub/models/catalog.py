"""The catalog: categories, datasets (schema, owner, sharing) and their versions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Department, Region


class Tier(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Sub-district")
    COMMUNITY = "community", _("Community")


class Sharing(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("Unconditional sharing")
    CONDITIONAL = "conditional", _("Conditional sharing")
    NOT_SHARED = "not_shared", _("Not shared")


class Origin(models.TextChoices):
    """Where a dataset's rows come from: an upstream platform, or flowback (回流) from below."""

    UPSTREAM = "upstream", _("upstream platform")
    COMMUNITY = "community", _("published by a community")
    APP = "app", _("published by a platform app")


class Category(models.Model):
    """One of the hub's data categories (数据类别), e.g. 治安执法类."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """A data item (数据项): its metadata, Table Schema and current Delta version."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=120)
    title_en = models.CharField(_("English title"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    category = models.ForeignKey(Category, models.PROTECT, related_name="datasets")
    # None: part of the platform's shared catalog; rows are scoped by the schema's region field.
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="datasets"
    )
    owner = models.CharField(_("owner department"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, models.SET_NULL, null=True, blank=True, related_name="datasets"
    )
    tier = models.CharField(_("source tier"), max_length=12, choices=Tier.choices)
    sharing = models.CharField(_("sharing"), max_length=16, choices=Sharing.choices)
    frequency = models.CharField(_("update frequency"), max_length=40, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    schema = models.JSONField(_("table schema"))
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.UPSTREAM
    )
    version = models.IntegerField(_("current version"), null=True, blank=True)
    row_count = models.BigIntegerField(_("rows"), default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__order", "key"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return f"{self.title} ({self.key})"


class DatasetVersion(models.Model):
    """One committed Delta version with its statistics and lineage."""

    dataset = models.ForeignKey(Dataset, models.CASCADE, related_name="versions")
    version = models.IntegerField()
    run = models.OneToOneField(
        "IngestRun", models.SET_NULL, null=True, blank=True, related_name="committed"
    )
    operation = models.CharField(max_length=12)
    row_count = models.BigIntegerField()
    rows_added = models.BigIntegerField(default=0)
    stats = models.JSONField(default=dict)
    file_hash = models.CharField(max_length=64, blank=True)
    previous = models.IntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="one_row_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.key} v{self.version}"
