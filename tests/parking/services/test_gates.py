"""The gates service: what every transport (HTTP now, MQTT next) relies on is checked there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parking.factories import SATURDAY_NOON, moment
from shequ.core.errors import Forbidden
from shequ.parking.models import Garage, GateEvent, Pass
from shequ.parking.services import gates

pytestmark = pytest.mark.django_db


def test_the_service_takes_a_time_without_offset_as_local_and_refuses_another_garage(
    sell: Callable[..., Pass], device: tuple[Any, Client], garage: Garage
) -> None:
    sell(["浙A12345"])
    local = timezone.make_naive(moment(*SATURDAY_NOON))  # as a gate controller sends it
    event = gates.EventIn(event_id="M1", gate="", direction="in", plate="浙A12345", at=local)
    with pytest.raises(Forbidden):
        gates.receive(device[0], "G02", event)
    assert not GateEvent.objects.exists()
    answer = gates.receive(device[0], garage.code, event)
    assert answer.event.decision == "shared"  # noon on Saturday, local: inside the window
    assert answer.event.at == moment(*SATURDAY_NOON)
