"""Residents' personal records, encrypted at rest (PIPL)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models.regions import Region


class Person(models.Model):
    """A resident (居民) record. Name, ID number, phone and address are Fernet-encrypted.

    The ``*_hash`` columns are HMACs of the normalised values for exact look-ups;
    the ``*_masked`` columns are what lists and pages show without a clear-access grant.
    Use ``shequ.core.people`` to create, find and reveal people, never the fields directly.
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="people")
    name_enc = models.TextField()
    name_masked = models.CharField(_("name"), max_length=50)
    id_number_enc = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=11, blank=True)
    address_enc = models.TextField(blank=True)
    address_masked = models.CharField(_("address"), max_length=20, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region__code", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="one_person_per_id_number_per_region",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name_masked} ({self.region.code})"
