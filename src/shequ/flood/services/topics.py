"""The flood watch's MQTT topics, under one root: ``shequ/v1`` (the documented device topics),
or a deployment's own (``SHEQU_MQTT_TOPIC_ROOT``) when several platforms share one broker (a
city's broker serving several streets; test runs beside each other), so that none stores
another's readings."""

from __future__ import annotations

from django.conf import settings


def root() -> str:
    return str(settings.MQTT_TOPIC_ROOT).strip("/")


def readings(code: str = "+") -> str:
    """A device's readings topic; the filter of every device's by default."""
    return f"{root()}/devices/{code}/readings"


def config(code: str = "+") -> str:
    """A device's configuration topic (``services/downlink.py``)."""
    return f"{root()}/devices/{code}/config"


def config_ack(code: str = "+") -> str:
    return f"{config(code)}/ack"


def ingester_status(group: str, client: str = "+") -> str:
    """Where an ingester says whether it is up (retained; its will says when it died)."""
    return f"{root()}/ingesters/{group}/{client}"


def device_of(topic: str, kind: str, under: str | None = None) -> str | None:
    """The device id of *topic* when it is a device topic of *kind* (``readings``,
    ``config/ack``) under this root (``under``: ``root()`` read once for many topics); None
    otherwise."""
    head, tail = f"{root() if under is None else under}/devices/", f"/{kind}"
    if not (topic.startswith(head) and topic.endswith(tail)):
        return None
    code = topic[len(head) : len(topic) - len(tail)]
    return code if code and "/" not in code and code not in ("+", "#") else None
