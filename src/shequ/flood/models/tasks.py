"""Tasks from an alert (处置任务): close the road, send a patrol, evacuate, other.

A task belongs to the alert's point (and so to its region); it is assigned to someone on the
point's duty roster and moves open → in progress → done or cancelled, each step with who and
when. It is closed with a note and, if the assignee took one, a photo stored as the flood
watch stores camera images (``services/images.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.flood.models.alerts import Alert
from shequ.flood.models.points import MonitoringPoint


class TaskKind(models.TextChoices):
    CLOSE_ROAD = "close_road", _("Close the road")
    PATROL = "patrol", _("Send a patrol")
    EVACUATE = "evacuate", _("Evacuate")
    OTHER = "other", _("Other task")


class TaskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("flood task", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


TASK_OPEN_STATES = (TaskState.OPEN, TaskState.IN_PROGRESS)


class Task(models.Model):
    """Something to do about an alert, assigned to someone on duty, closed with a note."""

    alert = models.ForeignKey(Alert, models.CASCADE, related_name="tasks")
    point = models.ForeignKey(MonitoringPoint, models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind.choices)
    note = models.CharField(_("what to do"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assigned to"),
    )  # fmt: skip
    # A client's key for the request that created it: a retried "create" returns this task.
    key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_note = models.CharField(_("closing note"), max_length=500, blank=True)
    photo = models.CharField(max_length=200, blank=True)  # an image's name under the data dir
    photo_thumb = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "key"], condition=~models.Q(key=""), name="flood_task_key_once"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["open", "in_progress"])
                | models.Q(closed_at__isnull=False),
                name="flood_task_closed_when",
            ),
        ]
        indexes = [models.Index(fields=["state", "point"])]

    def __str__(self) -> str:
        return f"{self.point_id} {self.kind} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in TASK_OPEN_STATES
