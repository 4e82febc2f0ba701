"""The hours ledger (时间账本): accounts, transfers and their immutable movements, in minutes.

Every transfer writes two movements of equal and opposite minutes in one transaction, so the
balances of all accounts sum to zero; an account's ``balance`` is a cache of the sum of its
movements that ``services.ledger.check`` verifies. A correction is a reversing transfer,
never an edit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class Account(models.Model):
    """An hours account (时间账户): a member's, a community's pool, or its issuing account."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("Member")
        POOL = "pool", _("Community pool")
        # Where seed hours come from: its balance is minus the hours in circulation.
        ISSUE = "issue", _("Issued hours")

    region = models.ForeignKey(Region, models.PROTECT, related_name="timebank_accounts")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    balance = models.BigIntegerField(_("balance (minutes)"), default=0)
    # None: no lower limit (only the issuing account has none).
    lower_limit = models.BigIntegerField(_("lower limit (minutes)"), null=True, blank=True)
    upper_limit = models.BigIntegerField(_("upper limit (minutes)"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("hours account")
        verbose_name_plural = _("hours accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind"],
                condition=~Q(kind="member"),
                name="timebank_one_pool_and_issue_per_region",
            ),
            models.CheckConstraint(
                condition=Q(lower_limit__isnull=True)
                | Q(upper_limit__isnull=True)
                | Q(lower_limit__lte=models.F("upper_limit")),
                name="timebank_limits_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.balance} min)"


class Transfer(models.Model):
    """One transfer of minutes between two accounts; ``reverses`` names the one it corrects."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service confirmed")
        SUBSIDY = "subsidy", _("Service paid by the pool")
        DONATION = "donation", _("Donation")
        SEED = "seed", _("Seed hours")
        REVERSAL = "reversal", _("Reversal")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    debit = models.ForeignKey(Account, models.PROTECT, related_name="+")
    credit = models.ForeignKey(Account, models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField(_("minutes"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # A retried call with the same key gets the first transfer back.
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="timebank_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(debit=models.F("credit")), name="timebank_transfer_two_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.minutes} min #{self.pk}"


class ImmutableError(Exception):
    """Movements are written once: a correction is a reversing transfer."""


class Movement(models.Model):
    """One side of a transfer: minus on the debited account, plus on the credited one."""

    transfer = models.ForeignKey(Transfer, models.PROTECT, related_name="movements")
    account = models.ForeignKey(Account, models.PROTECT, related_name="movements")
    minutes = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "account"], name="timebank_one_movement_per_side"
            ),
            models.CheckConstraint(condition=~Q(minutes=0), name="timebank_movement_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.minutes:+d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableError("a movement is never changed; reverse its transfer instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("a movement is never deleted; reverse its transfer instead")
