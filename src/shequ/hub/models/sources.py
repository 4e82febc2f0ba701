"""Where a dataset's data comes from, and each run that brought some in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.hub.models.catalog import Dataset, Tier


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
