"""QR visitor passes (访客二维码): time-limited, single or multiple use, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class VisitorPass(models.Model):
    """A pass a resident or staff issues to a visitor for one estate of a community.

    The token is kept encrypted (the issuer shows it again as a QR) and as an HMAC for look-up.
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="visitor_passes")
    estate = models.CharField(_("estate"), max_length=100)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="visitor_passes"
    )
    visitor_enc = models.TextField(blank=True)
    visitor_masked = models.CharField(_("visitor"), max_length=50, blank=True)
    token_enc = models.TextField()
    token_hash = models.CharField(max_length=64, unique=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    max_uses = models.PositiveIntegerField(_("uses allowed"), default=1)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("visitor pass")
        verbose_name_plural = _("visitor passes")

    def __str__(self) -> str:
        return f"{self.estate} {self.visitor_masked or self.pk}"
