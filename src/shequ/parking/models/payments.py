"""Orders, payments and refunds; every amount is in integer fen (分)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.parking.models.passes import Pass


class Order(models.Model):
    """What a resident owes for one pass."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=32, unique=True)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="parking_orders"
    )
    pass_obj = models.OneToOneField(Pass, models.PROTECT, related_name="order")
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    provider = models.CharField(_("payment method"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="pending")
    created = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number

    @property
    def region(self) -> object:
        return self.pass_obj.garage.region


class Payment(models.Model):
    """Money received for an order, once per provider transaction id."""

    order = models.ForeignKey(Order, models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20)
    transaction_id = models.CharField(_("transaction id"), max_length=64)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "transaction_id"], name="one_payment_per_transaction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.transaction_id}"


class Refund(models.Model):
    """Money owed back: its own entry, never an edit of the payment."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PROCESSING = "processing", _("Being refunded")
        COMPLETED = "completed", _("Completed")

    order = models.ForeignKey(Order, models.PROTECT, related_name="refunds")
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default="requested"
    )
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Paid back through an online provider: which one, and the refund id it was asked with
    # (out_refund_no: asking again with it is the same refund).
    provider = models.CharField(max_length=20, blank=True)
    refund_no = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund_no"], condition=~models.Q(refund_no=""), name="one_refund_per_no"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} −{self.amount_fen}"


class PaymentIntent(models.Model):
    """One attempt to pay an order online (支付单): the provider's merchant order number.

    ``out_trade_no`` is unique per provider; an order has at most one ``created`` attempt at a
    time (asking again returns it). ``answer`` is the platform's first answer to the provider's
    notification about it, replayed verbatim to every repeat.
    """

    class Status(models.TextChoices):
        CREATED = "created", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CLOSED = "closed", _("Closed")

    order = models.ForeignKey(Order, models.PROTECT, related_name="intents")
    provider = models.CharField(max_length=20)
    out_trade_no = models.CharField(max_length=32)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    status = models.CharField(max_length=10, choices=Status.choices, default="created")
    provider_ref = models.CharField(max_length=64, blank=True)
    redirect_url = models.CharField(max_length=300, blank=True)
    qr_payload = models.CharField(max_length=300, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True)
    answer = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "out_trade_no"], name="one_intent_per_out_trade_no"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.out_trade_no}"


class DemoTrade(models.Model):
    """A trade at the demo cashier: what a provider's own servers would hold (not the
    platform's books; the demo provider reads it as WeChat Pay's API would answer)."""

    class Status(models.TextChoices):
        NOTPAY = "NOTPAY", _("Not paid")
        SUCCESS = "SUCCESS", _("Paid")
        CLOSED = "CLOSED", _("Closed")

    token = models.CharField(max_length=32, unique=True)
    out_trade_no = models.CharField(max_length=32, unique=True)
    amount_fen = models.PositiveIntegerField()
    description = models.CharField(max_length=128)
    notify_url = models.CharField(max_length=300)
    return_url = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default="NOTPAY")
    transaction_id = models.CharField(max_length=64, blank=True)
    refunds = models.JSONField(default=dict, blank=True)  # refund_no -> amount in fen
    created = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.out_trade_no
