"""Help requests (求助单), the orders volunteers take (接单), their history and ratings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core.models import Region
from shequ.timebank.models.members import Member, Skill

Category = Skill  # a request's category is what a volunteer's skill answers


class Series(models.Model):
    """A recurring request (e.g. dinner every day for two weeks: continuing care): its schedule
    made one help request per occurrence, each with one volunteer's slot; a volunteer may
    take them all at once."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    region = models.ForeignKey(Region, models.PROTECT, related_name="timebank_series")
    beneficiary = models.ForeignKey(Member, models.PROTECT, related_name="series")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    first_starts_at = models.DateTimeField(_("first from"))
    window_minutes = models.PositiveIntegerField(_("window (minutes)"))
    every_days = models.PositiveSmallIntegerField(_("every (days)"), default=1)
    count = models.PositiveSmallIntegerField(_("occurrences"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created = models.DateTimeField(_("posted"))

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("recurring request")
        verbose_name_plural = _("recurring requests")

    def __str__(self) -> str:
        return f"series #{self.pk} ({self.count} x)"


class HelpRequest(models.Model):
    """Help request (求助单) posted by or for a resident (the beneficiary)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("help request", "Open")
        TAKEN = "taken", _("Taken")
        IN_SERVICE = "in_service", _("In service")
        COMPLETED = "completed", _("Completed")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    region = models.ForeignKey(Region, models.PROTECT, related_name="timebank_requests")
    beneficiary = models.ForeignKey(Member, models.PROTECT, related_name="requests")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    description = models.TextField(_("description"), max_length=1000)
    # The place everybody who may see the request sees; the exact address is encrypted and
    # shown only to a volunteer holding the order (or staff, audited).
    estate = models.CharField(_("estate"), max_length=100, blank=True)
    building = models.CharField(_("building"), max_length=50, blank=True)
    address_enc = models.TextField(blank=True)
    address_masked = models.CharField(_("address"), max_length=20, blank=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    volunteers_needed = models.PositiveSmallIntegerField(_("volunteers needed"), default=1)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"))
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created = models.DateTimeField(_("posted"), db_index=True)
    first_taken_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)  # staff told it is untaken
    series = models.ForeignKey(
        Series, models.PROTECT, null=True, blank=True, related_name="occurrences"
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        indexes = [models.Index(fields=["region", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="timebank_window_order"
            ),
            models.CheckConstraint(
                condition=Q(volunteers_needed__gte=1) & Q(volunteers_needed__lte=20),
                name="timebank_volunteers_needed_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}"


ACTIVE_ORDER = ("taken", "in_service", "completed", "confirmed", "disputed")


class Order(models.Model):
    """One volunteer's slot of a help request (接单), from taking to confirmation."""

    class Status(models.TextChoices):
        TAKEN = "taken", _("Taken")
        IN_SERVICE = "in_service", _("In service")
        COMPLETED = "completed", _("Completed")
        DISPUTED = "disputed", _("Objected to")
        CONFIRMED = "confirmed", _("Confirmed")
        HANDED_BACK = "handed_back", _("Handed back")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(HelpRequest, models.PROTECT, related_name="orders")
    slot = models.PositiveSmallIntegerField()
    volunteer = models.ForeignKey(Member, models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    taken_at = models.DateTimeField(_("taken"))
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    reported_minutes = models.PositiveIntegerField(_("reported minutes"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    transfer = models.OneToOneField(
        "timebank.Transfer", models.PROTECT, null=True, blank=True, related_name="order"
    )

    class Meta:
        ordering = ["request_id", "slot", "id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            # Exactly one volunteer per slot, however many press "take" at once.
            models.UniqueConstraint(
                fields=["request", "slot"],
                condition=Q(status__in=ACTIVE_ORDER),
                name="timebank_one_volunteer_per_slot",
            ),
            models.UniqueConstraint(
                fields=["request", "volunteer"],
                condition=Q(status__in=ACTIVE_ORDER),
                name="timebank_one_slot_per_volunteer",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.pk} of request {self.request_id} slot {self.slot}"

    @property
    def region(self) -> Region:
        return self.request.region


class Event(models.Model):
    """Every transition of a request or one of its orders: who, when, from what to what."""

    request = models.ForeignKey(HelpRequest, models.CASCADE, related_name="events")
    order = models.ForeignKey(Order, models.CASCADE, null=True, blank=True, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} -> {self.to_status}"


class Rating(models.Model):
    """A rating (1–5 and text) given on an order, by the requester side or the volunteer."""

    class Side(models.TextChoices):
        REQUESTER = "requester", _("By the requester")
        VOLUNTEER = "volunteer", _("By the volunteer")

    order = models.ForeignKey(Order, models.CASCADE, related_name="ratings")
    side = models.CharField(max_length=10, choices=Side.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    text = models.CharField(_("comment"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "side"], name="timebank_one_rating_a_side"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="timebank_score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 on order {self.order_id}"


class ThankYou(models.Model):
    """A thank-you note (感谢信) from the requester side to the volunteer of one order,
    shown on the volunteer's page."""

    order = models.OneToOneField(Order, models.CASCADE, related_name="thank_you")
    text = models.CharField(_("thank-you note"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("thank-you note")
        verbose_name_plural = _("thank-you notes")

    def __str__(self) -> str:
        return f"thanks on order {self.order_id}"
