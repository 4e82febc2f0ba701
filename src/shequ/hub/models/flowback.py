"""Subscriptions to a dataset's new versions, and the notices sent for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Department
from shequ.hub.models.catalog import Dataset


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
