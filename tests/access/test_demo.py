"""The access demo: two estates' doors, residents and visitors, a week of history, red and
yellow statuses with their alerts, two elders living alone, one unseen for 60 hours."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shequ.access.models import (
    AccessEvent,
    AccessPoint,
    Alert,
    Credential,
    VisitorPass,
    WelfareCheck,
)
from shequ.demo.build import build_demo


def test_the_demo_builds_doors_a_week_of_history_alerts_and_one_welfare_check(
    db: None, small_time_bank: None
) -> None:
    build_demo()
    assert {p.estate for p in AccessPoint.objects.all()} == {"锦绣花园", "和园小区"}
    events = AccessEvent.objects.all()
    oldest = min(e.at for e in events)
    assert timezone.now() - oldest > timedelta(days=6)
    assert events.filter(allow=False, colour__in=["red", "yellow"]).exists()
    assert (
        Alert.objects.filter(colour="red").exists()
        and Alert.objects.filter(colour="yellow").exists()
    )
    check = WelfareCheck.objects.get()
    assert check.last_seen_at is not None
    assert timedelta(hours=59) < timezone.now() - check.last_seen_at < timedelta(hours=61)
    assert Credential.objects.filter(user__username="resident").exists()
    assert VisitorPass.objects.filter(issued_by__username="resident").count() == 3
    assert events.filter(method="qr", allow=True).count() == 2
    counts = (events.count(), Alert.objects.count(), Credential.objects.count())
    build_demo()  # again: refreshed, nothing doubled
    assert (
        AccessEvent.objects.count(),
        Alert.objects.count(),
        Credential.objects.count(),
    ) == counts
    assert WelfareCheck.objects.count() == 1
