"""What the worker does every minute: remind of unacknowledged alerts, open no-data alerts,
resolve camera alerts whose cameras went quiet."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.flood.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertState,
    LatestReading,
    Rule,
    RuleKind,
)
from shequ.flood.services import alerts, roster

NO_DATA_INTERVALS = 3
REMIND_EVERY = timedelta(minutes=15)


def remind(now: datetime | None = None) -> int:
    """Tell again of each alert still firing unacknowledged 15 minutes after its last message:
    the next tier of the duty roster with someone on duty, or else the same people; alerts
    reminded."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        Q(notified_at__lt=now - REMIND_EVERY) | Q(notified_at__isnull=True),
        state=AlertState.FIRING,
    ).select_related("point", "point__region", "rule", "rule__device")
    count = 0
    for alert in due:
        if roster.silenced(alert.point, alert.rule, now):
            continue  # told once the silence is over
        with transaction.atomic():
            # Claim the reminder: a sweep running beside this one (another worker) finds the
            # alert's notified_at moved and leaves it alone.
            if not Alert.objects.filter(
                pk=alert.pk, state=AlertState.FIRING, notified_at=alert.notified_at
            ).update(notified_at=now):
                continue
            title = _("%(point)s: %(level)s warning still unacknowledged (%(rule)s)")
            told = alert.notified_at is not None
            tier = roster.next_tier(alert.point, alert.tier, alert.level, now) if told else None
            if tier is not None:
                alert.tier = tier
                Alert.objects.filter(pk=alert.pk).update(tier=tier)
                AlertEvent.objects.create(
                    alert=alert, at=now, kind=AlertEventKind.PASSED_ON, level=alert.level
                )
                title = _("%(point)s: %(level)s warning unacknowledged, passed on (%(rule)s)")
            alerts.notify(alert, title, event_suffix=now.strftime("%Y%m%d%H%M"), now=now)
        count += 1
    return count


def sweep_no_data(now: datetime | None = None) -> int:
    """Open a no-data alert for each device silent for 3 reporting intervals; alerts opened."""
    now = now or timezone.now()
    opened = 0
    rules = Rule.objects.filter(kind=RuleKind.NO_DATA, enabled=True).select_related(
        "device", "point", "point__region"
    )
    latest = dict(
        LatestReading.objects.filter(device__rules__in=rules)
        .values_list("device_id")
        .annotate(last=Max("received_at"))
    )
    for rule in rules:
        last = latest.get(rule.device_id) or rule.device.created
        if now - last <= timedelta(seconds=NO_DATA_INTERVALS * rule.device.interval_seconds):
            continue
        with transaction.atomic():
            _state, alert = alerts.lock(rule)
            if alert is None:
                alerts.open_alert(rule, rule.level, now, None)
                opened += 1
    return opened


def sweep_cameras(now: datetime | None = None) -> int:
    """Resolve camera alerts whose camera saw nothing of their kind for ``clear_seconds``."""
    now = now or timezone.now()
    resolved = 0
    for alert in Alert.objects.filter(
        rule__kind=RuleKind.CAMERA, state__in=OPEN_STATES
    ).select_related("rule", "rule__state", "point", "point__region"):
        last = alert.rule.state.last_at or alert.opened_at
        if now - last < timedelta(seconds=max(alert.rule.clear_seconds, 60)):
            continue
        with transaction.atomic():
            _state, still_open = alerts.lock(alert.rule)
            if still_open is not None:
                alerts.resolve(still_open, now, None)
                resolved += 1
    return resolved
