"""Flood fixtures: the village's culvert with a gauge, its people, what was notified."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation

from flood.factories import ELSEWHERE, VILLAGE, add_gauge, add_point, threshold_rule
from shequ.core.signals import region_message_queued
from shequ.core.transports.base import Message
from shequ.flood.models import Device, MonitoringPoint, Rule


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def culvert(regions: dict[str, Any]) -> MonitoringPoint:
    return add_point(regions[VILLAGE])


@pytest.fixture
def gauge_and_token(culvert: MonitoringPoint) -> tuple[Device, str]:
    return add_gauge(culvert, interval_seconds=60)


@pytest.fixture
def gauge(gauge_and_token: tuple[Device, str]) -> Device:
    return gauge_and_token[0]


@pytest.fixture
def depth(gauge: Device) -> Rule:
    """Underpass depth thresholds 10/15/25/40 cm, firing at once, no hysteresis delay."""
    return threshold_rule(gauge)


@pytest.fixture
def far_point(regions: dict[str, Any]) -> MonitoringPoint:
    return add_point(regions[ELSEWHERE], code="beishan", name="北山低洼路段", kind="low_road")


@pytest.fixture
def notified() -> Iterator[list[Message]]:
    """Messages queued for the regions' channels (once their transaction commits)."""
    sent: list[Message] = []

    def catch(sender: Any, region_id: int, message: Message, **kwargs: Any) -> None:
        sent.append(message)

    region_message_queued.connect(catch, dispatch_uid="flood-test-catch")
    yield sent
    region_message_queued.disconnect(dispatch_uid="flood-test-catch")


DeviceClient = Callable[[str], Any]
