"""Data requests and the grants that answer them (a revocation is a grant too)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Department
from shequ.hub.models.catalog import Dataset


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
