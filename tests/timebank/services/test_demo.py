"""The demo's time bank is built through the services: its figures come from the records, and
an independent query over the tables finds the same (small numbers here; the demo's own are
356 volunteers and 1,680 services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from shequ.core.models import InboxMessage, Region
from shequ.demo.build import build_regions, build_users
from shequ.timebank import demo
from shequ.timebank.services import indicators, ledger

pytestmark = pytest.mark.django_db


def test_the_demo_history_goes_through_the_services_and_the_figures_agree(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_regions()
    build_users("demo-pass")
    result = demo.build(volunteers=12, services=30)
    assert result == {
        "services": 30,
        "live": demo.LIVE_OPEN,
        "ledger_ok": True,
        "hub_version": None,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT COUNT(*), COUNT(DISTINCT o.volunteer_id), SUM(t.minutes)
               FROM timebank_order o JOIN timebank_helprequest r ON r.id = o.request_id
               JOIN timebank_transfer t ON t.id = o.transfer_id
               WHERE o.status = 'confirmed' AND r.region_id = %s""",
            [Region.objects.get(code=demo.COMMUNITY).pk],
        )
        services, volunteers, minutes = cursor.fetchone()
    assert (services, volunteers) == (30, 12)
    region = Region.objects.get(code=demo.COMMUNITY)
    now = timezone.now()
    figures = indicators.compute(region, now - timedelta(days=demo.DAYS + 1), now)
    assert figures.registered_volunteers == 12
    assert figures.active_volunteers == volunteers
    assert figures.services_completed == services
    assert figures.confirmed_minutes == minutes
    assert figures.satisfaction is not None and figures.take_minutes_p50 is not None
    assert not InboxMessage.objects.exists()  # the history told nobody
    assert ledger.check().ok
    again = demo.build(volunteers=12, services=30)
    assert again["services"] == 0 and again["live"] == 0
