"""The reporting interval sent down to a device over MQTT, and the device's acknowledgement.

Staff change a device's interval (``set_interval``); each change is a new configuration
version, published once the change has committed as a *retained* QoS 1 message on
``shequ/v1/devices/<device id>/config``: ``{"interval_seconds": 300, "version": 7}``. A device
offline at the time gets it from the broker as it subscribes. The device applies it and
answers on ``shequ/v1/devices/<device id>/config/ack`` with ``{"version": 7}``; the ingester
(``shequ flood ingest``) records it, and the device's pages show the configuration pending
until then. A publish that fails (broker away) is tried again by the worker every minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.core.mqtt import MqttError, publish_json
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.flood.models import Device
from shequ.flood.services import topics
from shequ.flood.services.access import require_point

log = logging.getLogger(__name__)

MIN_INTERVAL, MAX_INTERVAL = 10, 86_400
PUBLISH_TIMEOUT = 3.0


def set_interval(actor: User, device: Device, seconds: int) -> Device:
    """Change the device's reporting interval: a new configuration version, sent to the device
    once committed. The same interval again changes nothing and sends nothing."""
    require_point(actor, device.point)
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise Invalid(
            _("A reporting interval between %(lo)s and %(hi)s seconds.")
            % {"lo": MIN_INTERVAL, "hi": MAX_INTERVAL},
            fields={"interval_seconds": [_("out of range")]},
        )
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        if locked.interval_seconds == seconds:
            return locked
        locked.interval_seconds = seconds
        locked.config_version += 1
        locked.save(update_fields=["interval_seconds", "config_version"])
        record(
            "flood.device.interval", actor=actor, obj=device.point, device=device.code,
            interval=seconds, version=locked.config_version,
        )  # fmt: skip
        transaction.on_commit(lambda: publish(locked.pk))
    device.interval_seconds, device.config_version = seconds, locked.config_version
    return locked


def payload(device: Device) -> dict[str, Any]:
    return {"interval_seconds": device.interval_seconds, "version": device.config_version}


def publish(device_id: int, url: str | None = None) -> bool:
    """Publish the device's configuration (retained, QoS 1) unless the broker has it already;
    False when the broker could not take it (the worker tries again)."""
    device = Device.objects.filter(pk=device_id).first()
    if device is None or device.config_sent_version >= device.config_version:
        return True
    topic = topics.config(device.code)
    try:
        publish_json(topic, payload(device), qos=1, retain=True, url=url, timeout=PUBLISH_TIMEOUT)
    except MqttError as exc:
        log.warning("configuration of %s not published: %s", device.code, exc)
        return False
    Device.objects.filter(pk=device.pk, config_sent_version__lt=device.config_version).update(
        config_sent_version=device.config_version
    )
    return True


def publish_pending(url: str | None = None) -> int:
    """Publish every configuration the broker does not have yet; how many were published."""
    pending = Device.objects.filter(config_sent_version__lt=F("config_version"))
    return sum(publish(pk, url) for pk in pending.values_list("pk", flat=True))


def acknowledge(code: str, data: dict[str, Any], now: datetime | None = None) -> bool:
    """The device applied configuration ``data["version"]``; False for a version it was never
    sent, or older than one it acknowledged already (a late or repeated answer)."""
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Invalid(
            _("A configuration acknowledgement names its version."), fields={"version": []}
        )
    updated = Device.objects.filter(
        code=code,
        revoked_at__isnull=True,
        config_version__gte=version,
        config_acked_version__lt=version,
    ).update(config_acked_version=version, config_acked_at=now or timezone.now())
    return bool(updated)


@dataclass(frozen=True)
class ConfigStatus:
    """Where the device's configuration stands: ``none`` (never changed), ``pending`` (sent or
    to be sent, not yet applied) or ``acknowledged``."""

    state: str
    version: int
    acked_version: int
    acked_at: datetime | None


def status(device: Device) -> ConfigStatus:
    if device.config_version == 0:
        state = "none"
    elif device.config_acked_version >= device.config_version:
        state = "acknowledged"
    else:
        state = "pending"
    return ConfigStatus(
        state, device.config_version, device.config_acked_version, device.config_acked_at
    )
