"""Members of a community's time bank: a person (PII lives in ``core.Person``), volunteer
and/or requester, skills, languages, weekly availability, and one hours account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Person, Region
from shequ.timebank.models.ledger import Account


class Skill(models.TextChoices):
    """What a volunteer offers; the same keys as help request categories."""

    MEALS = "meals", _("Meals")
    ESCORT = "escort", _("Escort to hospital")
    VISIT = "visit", _("Visits and companionship")
    SHOPPING = "shopping", _("Shopping")
    HOUSEWORK = "housework", _("Housework")
    REPAIRS = "repairs", _("Small repairs")
    TUTORING = "tutoring", _("Tutoring")
    PHONE_HELP = "phone_help", _("Phone and app help")
    OTHER = "other", _("Other")


class Reach(models.TextChoices):
    """How far a volunteer will go."""

    BUILDING = "building", _("My building only")
    ESTATE = "estate", _("My estate")
    COMMUNITY = "community", _("Anywhere in the community")


class Member(models.Model):
    """A time bank member (时间银行成员) in one community."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="timebank_members")
    person = models.ForeignKey(Person, models.PROTECT, related_name="timebank_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="timebank_members",
    )
    account = models.OneToOneField(Account, models.PROTECT, related_name="member")
    # Family members who may post and confirm on the member's behalf (代为求助).
    carers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="timebank_cared_for"
    )
    is_volunteer = models.BooleanField(_("volunteer"), default=False)
    is_requester = models.BooleanField(_("requester"), default=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages and dialects"), default=list, blank=True)
    # {"0": ["08:00-12:00"], ...}: weekday (Monday 0) -> local time ranges.
    availability = models.JSONField(_("weekly availability"), default=dict, blank=True)
    estate = models.CharField(_("estate"), max_length=100, blank=True)
    building = models.CharField(_("building"), max_length=50, blank=True)
    reach = models.CharField(
        _("how far I will go"), max_length=10, choices=Reach.choices, default=Reach.COMMUNITY
    )
    active = models.BooleanField(_("active"), default=True)
    joined = models.DateTimeField(_("joined"))

    class Meta:
        ordering = ["region__code", "id"]
        verbose_name = _("time bank member")
        verbose_name_plural = _("time bank members")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "person"], name="timebank_one_member_per_person"
            ),
            models.UniqueConstraint(
                fields=["region", "user"],
                condition=Q(user__isnull=False),
                name="timebank_one_member_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name_masked} ({self.region.code})"

    @property
    def name(self) -> str:
        """The masked name: all that lists and other members see."""
        return self.person.name_masked
