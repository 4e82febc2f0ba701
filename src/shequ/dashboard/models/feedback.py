"""Residents' feedback (群众反响): a rating and comment on a service, the staff's reply, tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region

COMMENT_MAX = 500
REPLY_MAX = 1000
OBJECT_REF_MAX = 64


class ServiceKind(models.TextChoices):
    """The services a resident rates, each from the page where they used it."""

    PARKING = "parking", _("Shared parking")
    TIMEBANK = "timebank", _("Time bank")
    ACCESS = "access", _("Access control")
    FLOOD = "flood", _("Flood information")


class Feedback(models.Model):
    """A resident's rating (1–5) and comment on a service (服务评价).

    Filed in the resident's community; seen only by its author and by the staff of that
    community and its street. ``object_ref`` names what was rated (a pass, a request) as the
    page that offered the form wrote it; the dashboard never reads the other app's models.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="feedback_given"
    )
    region = models.ForeignKey(Region, models.PROTECT, related_name="feedback")
    service = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices)
    object_ref = models.CharField(_("what was rated"), max_length=OBJECT_REF_MAX, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX, blank=True)
    created_at = models.DateTimeField(_("given at"))
    reply = models.TextField(_("reply"), max_length=REPLY_MAX, blank=True)
    first_replied_at = models.DateTimeField(_("first replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden = models.BooleanField(_("hidden by moderation"), default=False)
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    reported = models.BooleanField(_("reported"), default=False)
    report_reason = models.CharField(_("why reported"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [
            models.Index(fields=["region", "service", "created_at"]),
            models.Index(fields=["author", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1) & models.Q(rating__lte=5),
                name="dashboard_feedback_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.rating}★ #{self.pk}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DOING = "doing", _("In progress")
    DONE = "done", _("Done")


class StaffTask(models.Model):
    """A task for staff (工作任务) made from a resident's comment."""

    feedback = models.OneToOneField(Feedback, models.CASCADE, related_name="task")
    region = models.ForeignKey(Region, models.PROTECT, related_name="+")
    title = models.CharField(_("task"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["status", "-created_at"]
        verbose_name = _("staff task")
        verbose_name_plural = _("staff tasks")

    def __str__(self) -> str:
        return f"task #{self.pk} {self.status}"
