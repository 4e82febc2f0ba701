"""Data hub (数据仓) catalog, sources and ingestion runs.

Rows themselves live in Delta Lake tables under ``SHEQU_DATA_DIR/hub/<dataset key>``;
these models hold the catalog and the bookkeeping around them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
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


class Mode(models.TextChoices):
    REPLACE = "replace", _("Replace")
    APPEND = "append", _("Append")
    UPSERT = "upsert", _("Upsert by primary key")


class Connector(models.TextChoices):
    FILE = "file", _("File upload")
    FOLDER = "folder", _("Drop folder")
    HTTP = "http", _("HTTP JSON API")
    SQL = "sql", _("SQL database")
    CKAN = "ckan", _("CKAN portal")


class Source(models.Model):
    """Where a dataset's rows come from (上游平台或部门) and how often."""

    name = models.CharField(_("name"), max_length=120)
    dataset = models.ForeignKey(Dataset, models.CASCADE, related_name="sources")
    provider = models.CharField(_("provider"), max_length=120, blank=True)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    connector = models.CharField(_("connector"), max_length=10, choices=Connector.choices)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    schedule = models.CharField(_("schedule (cron)"), max_length=100, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.APPEND)
    column_map = models.JSONField(_("column mapping"), default=dict, blank=True)
    max_reject_rate = models.FloatField(_("maximum reject rate"), default=0.05)
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run = models.DateTimeField(_("next run"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset__key", "name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


class IngestRun(models.Model):
    """One ingestion of one input into one dataset."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    dataset = models.ForeignKey(Dataset, models.CASCADE, related_name="runs")
    source = models.ForeignKey(Source, models.SET_NULL, null=True, blank=True, related_name="runs")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    input_name = models.CharField(max_length=300, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    rows_read = models.BigIntegerField(default=0)
    rows_written = models.BigIntegerField(default=0)
    rows_rejected = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    file_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Of the stored rows, for a dataset without a primary key (``ingest.digest``): the same
    # content in other bytes (another encoding, quoting, row order) is recognised by it.
    content_digest = models.CharField(max_length=64, blank=True, db_index=True)
    encoding = models.CharField(max_length=20, blank=True)
    version = models.IntegerField(null=True, blank=True)
    quarantine = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    log = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("ingest run")
        verbose_name_plural = _("ingest runs")

    def __str__(self) -> str:
        return f"run {self.pk} {self.dataset.key} {self.status}"


class DataRequest(models.Model):
    """A request for a dataset (数据申请): columns, purpose, period and legal basis."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="data_requests"
    )
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="data_requests"
    )
    dataset = models.ForeignKey(Dataset, models.PROTECT, related_name="requests")
    columns = models.JSONField(_("columns"), default=list, blank=True)  # [] = all
    clear_columns = models.JSONField(_("columns in clear"), default=list, blank=True)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    period_from = models.DateField(_("from"))
    period_until = models.DateField(_("until"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(_("decision due"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # When the approvers were last reminded of an overdue decision (one reminder a day).
    reminded_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")

    def __str__(self) -> str:
        return f"{self.requester} → {self.dataset.key} ({self.status})"


class Grant(models.Model):
    """Permission to query a dataset (数据授权). Never changed once issued.

    Revoking writes a second record (``kind=revoke``) pointing at the issued one.
    """

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        REVOKE = "revoke", _("Revoked")

    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.ISSUE)
    revokes = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="revocation"
    )
    dataset = models.ForeignKey(Dataset, models.PROTECT, related_name="grants")
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="data_grants"
    )
    grantee_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="data_grants"
    )
    columns = models.JSONField(_("columns"), default=list, blank=True)  # [] = all
    clear_columns = models.JSONField(_("columns in clear"), default=list, blank=True)
    row_scope = models.JSONField(_("region prefixes"), default=list, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    request = models.ForeignKey(
        DataRequest, models.PROTECT, null=True, blank=True, related_name="grants"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        who = self.grantee or self.grantee_department
        return f"{self.kind} {self.dataset.key} → {who}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("grants are immutable; revoke and issue a new one")
        super().save(*args, **kwargs)


class Subscription(models.Model):
    """A user (often for their department) follows a dataset: each new version is announced.

    Notices go through the chosen notification channel, or to the subscriber's inbox. The
    subscriber then pulls only what changed (``changes`` API) with their own access.
    """

    dataset = models.ForeignKey(Dataset, models.CASCADE, related_name="subscriptions")
    subscriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="hub_subscriptions"
    )
    department = models.ForeignKey(
        Department, models.SET_NULL, null=True, blank=True, related_name="hub_subscriptions"
    )
    channel = models.ForeignKey(
        "core.Channel", models.SET_NULL, null=True, blank=True, related_name="hub_subscriptions"
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The newest version announced (or current when subscribing: earlier ones are not news).
    last_notified_version = models.IntegerField(null=True, blank=True)
    last_pulled_version = models.IntegerField(null=True, blank=True)
    pulls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "subscriber"],
                condition=models.Q(active=True),
                name="one_active_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} → {self.dataset.key}"


class VersionNotice(models.Model):
    """One announcement of one version to one subscription; never sent twice."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        NO_ACCESS = "no_access", _("not sent: no access")

    subscription = models.ForeignKey(Subscription, models.CASCADE, related_name="notices")
    version = models.IntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "version"], name="one_notice_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} v{self.version}: {self.status}"
