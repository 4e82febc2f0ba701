"""Each person on duty chooses how they are reached (core channels of their own), and an alert
goes to the channels of those on duty at its tier, not to the others'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flood.factories import ELSEWHERE, VILLAGE, admin, rows
from shequ.core.errors import Forbidden
from shequ.core.models import Channel, Region, Role
from shequ.core.services.notify import notify_people, notify_region
from shequ.core.signals import people_message_queued
from shequ.core.transports.base import Message
from shequ.flood.models import Device, Rule
from shequ.flood.services import ingest, roster

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions: dict[str, Region], make_user: Callable[..., Any]) -> dict[str, Any]:
    now = timezone.now()
    made = {
        "clerk": make_user(Role.DUTY_OFFICER, VILLAGE),
        "off_duty": make_user(Role.DUTY_OFFICER, VILLAGE),
    }
    roster.add_shift(admin(), regions[VILLAGE], made["clerk"], now - timedelta(hours=1),
                     now + timedelta(hours=8))  # fmt: skip
    roster.add_shift(admin(), regions[VILLAGE], made["off_duty"], now - timedelta(days=2),
                     now - timedelta(days=1))  # fmt: skip
    return made


@pytest.fixture
def queued() -> Iterator[list[tuple[list[int], Message]]]:
    """What was queued for people's own channels (once the transaction commits)."""
    got: list[tuple[list[int], Message]] = []

    def catch(sender: Any, user_ids: list[int], message: Message, **kwargs: Any) -> None:
        got.append((user_ids, message))

    people_message_queued.connect(catch, dispatch_uid="flood-test-people")
    yield got
    people_message_queued.disconnect(dispatch_uid="flood-test-people")


def test_an_alert_reaches_the_channels_of_who_is_on_duty(
    people: dict[str, Any],
    gauge: Device,
    depth: Rule,
    server: Any,
    queued: list[tuple[list[int], Message]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    clerk, off_duty = people["clerk"], people["off_duty"]
    roster.choose_channel(
        clerk, clerk, "webhook", {"url": f"{server.url}/clerk", "secret": "s" * 16}
    )
    roster.choose_channel(
        off_duty, off_duty, "webhook", {"url": f"{server.url}/off", "secret": "s" * 16}
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest.ingest(gauge, rows(30))
    assert [ids for ids, _m in queued] == [[clerk.pk]]
    deliveries = notify_people(*queued[0])  # what the worker's task does
    assert [d.status for d in deliveries] == ["sent"]
    assert [r.path for r in server.requests] == ["/clerk"]
    assert "Orange" in server.last.json()["title"]


def test_a_personal_channel_is_encrypted_masked_and_not_the_regions(
    people: dict[str, Any], regions: dict[str, Region], server: Any
) -> None:
    clerk = people["clerk"]
    channel = roster.choose_channel(clerk, clerk, "email", {"to": "wang.fang@example.org"})
    assert "wang.fang" not in str(Channel.objects.get(pk=channel.pk).config)
    assert roster.reach(channel) == "w***@example.org"
    again = roster.choose_channel(clerk, clerk, "email", {"to": "li@example.org"})
    assert again.pk == channel.pk  # one channel of a kind, replaced
    message = Message(title="t", body="b", region_code=VILLAGE)
    assert notify_region(regions[VILLAGE], message) == []  # not one of the region's channels


def test_what_cannot_be_chosen_and_who_cannot_choose_for_another(
    people: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    clerk = people["clerk"]
    with pytest.raises(ValidationError):
        roster.choose_channel(clerk, clerk, "inbox", {})
    with pytest.raises(ValidationError) as bad:
        roster.choose_channel(clerk, clerk, "email", {"to": "not an address"})
    assert "config.to" in bad.value.message_dict
    outsider = make_user(Role.DUTY_OFFICER, ELSEWHERE)
    with pytest.raises(Forbidden):
        roster.choose_channel(outsider, clerk, "email", {"to": "x@example.org"})
    assert roster.choose_channel(admin(), clerk, "email", {"to": "x@example.org"}).enabled


def test_a_person_chooses_and_drops_their_channels_over_the_api(
    people: dict[str, Any], client_for: Callable[[Any], Any]
) -> None:
    api = client_for(people["clerk"])
    url = "/api/v1/flood/roster/me/channels"
    made = api.put(f"{url}/email", {"config": {"to": "wang@example.org"}},
                   content_type="application/json")  # fmt: skip
    assert made.status_code == 200, made.content
    assert made.json()["reach"] == "w***@example.org"
    bad = api.put(f"{url}/email", {"config": {"to": "nope"}}, content_type="application/json")
    assert bad.status_code == 422
    assert [c["kind"] for c in api.get(url).json()] == ["email"]
    dropped = api.delete(f"{url}/email")
    assert dropped.status_code == 200 and dropped.json()["enabled"] is False
    assert api.delete(f"{url}/wecom").status_code == 404
