"""Notification channels (通知渠道), deliveries and the in-app inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models.regions import Region


class ChannelKind(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    WEBHOOK = "webhook", _("Webhook")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")
    EMAIL = "email", _("E-mail")


class Channel(models.Model):
    """Where a region's notifications go. Secret config values are stored encrypted.

    A channel with an ``owner`` is that person's own (how a duty officer is reached: their
    e-mail, their robot); it is not one of the region's, and its whole config is encrypted."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="channels")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="own_channels",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_sent = models.DateTimeField(_("last sent"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Delivery(models.Model):
    """One attempt to send one message through one channel."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(Channel, models.CASCADE, related_name="deliveries")
    at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class InboxMessage(models.Model):
    """A message in a user's in-app inbox (站内信)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="inbox")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    level = models.CharField(_("level"), max_length=10, default="info")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")

    def __str__(self) -> str:
        return self.title
