"""The point page's latest snapshots, served only to who watches the point's region."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from flood.access import SEES, make_people
from flood.factories import T0, add_gauge, png
from shequ.core.models import AuditEvent
from shequ.flood.models import CameraEvent, MonitoringPoint
from shequ.flood.services import cameras

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(culvert: MonitoringPoint) -> CameraEvent:
    camera, _token = add_gauge(culvert, "C01", "camera")
    made = cameras.record_event(
        camera,
        cameras.EventIn("e1", T0 + timedelta(minutes=1), "vehicle_trapped", 0.9, image=png(8, 6)),
    )
    return made.event


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(SEES))
def test_snapshots_by_role(name: str, make_user: Callable[..., Any], snapshot: CameraEvent) -> None:
    client = login(make_people(make_user)[name])
    seen = SEES[name]
    for kind in ("image", "thumb"):
        answer = client.get(f"/flood/camera-events/{snapshot.pk}/{kind}")
        expected = 403 if seen is None else 200 if "culvert" in seen else 404
        assert answer.status_code == expected, (kind, answer.status_code)
        if expected == 200:
            assert answer["Cache-Control"] == "private, no-store"
            assert answer["Content-Type"] == "image/png"
            assert b"".join(answer.streaming_content) == png(8, 6)
    if seen and "culvert" in seen:
        page = client.get("/flood/points/culvert/").content.decode()
        assert f'data-testid="snapshot-{snapshot.pk}"' in page
        assert AuditEvent.objects.filter(action="flood.image.view").count() == 2
    assert Client().get(f"/flood/camera-events/{snapshot.pk}/image").status_code == 302
