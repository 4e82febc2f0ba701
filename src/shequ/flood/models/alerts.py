"""Alert rules of a point, their evaluation state, and the alerts they open."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.flood.models.levels import LEVEL_NAMES, Level
from shequ.flood.models.points import Device, MonitoringPoint


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("Level threshold")
    RATE_OF_RISE = "rate_of_rise", _("Rate of rise (per 10 min)")
    RAINFALL = "rainfall", _("Rainfall accumulated")
    NO_DATA = "no_data", _("No data")
    CAMERA = "camera", _("Camera event")


# Depth of water in an underpass (cm) at which each level starts: orange closes the road.
UNDERPASS_DEFAULTS = {"blue": 10.0, "yellow": 15.0, "orange": 25.0, "red": 40.0}


class Rule(models.Model):
    """A warning rule on one device of a point (e.g. ``WaterLevelRule`` as a threshold).

    ``blue`` … ``red`` are where each level starts, in the device's unit (cm, mm), for the
    measured value (threshold), its rise over 10 minutes (rate of rise) or the rain summed
    over ``window_minutes`` (rainfall). A level fires once held ``pending_seconds``; an alert
    resolves once the value stays below ``blue - clear_margin`` for ``clear_seconds``.
    No data fires at ``level`` after 3 reporting intervals without a reading. A camera rule
    fires at ``level`` for an event of one of ``event_types`` at ``min_confidence`` or above,
    and resolves once no such event came for ``clear_seconds``.
    """

    point = models.ForeignKey(MonitoringPoint, models.CASCADE, related_name="rules")
    device = models.ForeignKey(Device, models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    blue = models.FloatField(_("blue from"), null=True, blank=True)
    yellow = models.FloatField(_("yellow from"), null=True, blank=True)
    orange = models.FloatField(_("orange from"), null=True, blank=True)
    red = models.FloatField(_("red from"), null=True, blank=True)
    window_minutes = models.PositiveIntegerField(_("window (min)"), default=10)
    pending_seconds = models.PositiveIntegerField(_("pending period (s)"), default=0)
    clear_margin = models.FloatField(_("hysteresis margin"), default=0)
    clear_seconds = models.PositiveIntegerField(_("clear after (s)"), default=0)
    level = models.PositiveSmallIntegerField(
        _("level (no data, camera)"), choices=Level.choices, default=Level.YELLOW
    )
    event_types = models.JSONField(_("camera event types"), default=list, blank=True)
    min_confidence = models.FloatField(_("minimum confidence"), default=0.8)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["point", "id"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return f"{self.point} {self.kind} {self.device_id}"

    def thresholds(self) -> tuple[float | None, float | None, float | None, float | None]:
        return (self.blue, self.yellow, self.orange, self.red)


class RuleState(models.Model):
    """Where a rule's evaluation stands: the newest time seen, a pending breach, a clearing.

    Its row is locked while a reading is evaluated, so evaluations of one rule queue.
    """

    rule = models.OneToOneField(Rule, models.CASCADE, primary_key=True, related_name="state")
    last_at = models.DateTimeField(null=True, blank=True)
    pending_level = models.PositiveSmallIntegerField(default=0)
    pending_since = models.DateTimeField(null=True, blank=True)
    clear_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"state of {self.rule_id}"


class AlertState(models.TextChoices):
    FIRING = "firing", _("Firing")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


OPEN_STATES = (AlertState.FIRING, AlertState.ACKNOWLEDGED)


class Alert(models.Model):
    """An alert of a rule at a point; at most one is open per (point, rule), by the database."""

    point = models.ForeignKey(MonitoringPoint, models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(Rule, models.CASCADE, related_name="alerts")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    state = models.CharField(_("state"), max_length=12, choices=AlertState.choices)
    value = models.FloatField(_("value"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    changed_at = models.DateTimeField(_("changed"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ack_comment = models.CharField(_("comment"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)  # wall-clock: what the hub flowback follows
    notified_at = models.DateTimeField(null=True, blank=True)  # wall-clock: the last message
    tier = models.PositiveSmallIntegerField(_("tier told"), default=1)

    class Meta:
        ordering = ["-level", "-opened_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["point", "rule"],
                condition=models.Q(state__in=["firing", "acknowledged"]),
                name="flood_one_open_alert",
            )
        ]
        indexes = [models.Index(fields=["state", "point"])]

    def __str__(self) -> str:
        return f"{self.point} {self.get_level_display()} {self.state}"

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def is_open(self) -> bool:
        return self.state != AlertState.RESOLVED


class AlertEventKind(models.TextChoices):
    FIRED = "fired", _("Fired")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACK_LAPSED = "ack_lapsed", _("Acknowledgement lapsed")
    PASSED_ON = "passed_on", _("Passed to the next tier")
    RESOLVED = "resolved", _("Resolved")


class AlertEvent(models.Model):
    """One step in an alert's history."""

    alert = models.ForeignKey(Alert, models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=AlertEventKind.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    value = models.FloatField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["alert", "at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} {self.at}"
