"""The recurring requests' API: post, read, take whole, cancel; bad input names the field,
another community's volunteer does not find the series, retries answer the same."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from shequ.timebank.models import Member, Order, Series

BASE = "/api/v1/timebank/series"


def body(father: Member, **fields: Any) -> str:
    starts = timezone.localtime() + timedelta(days=1)
    values = {
        "beneficiary_id": father.pk,
        "category": "meals",
        "description": "每天送饭",
        "first_starts_at": starts.replace(hour=18, minute=0, second=0, microsecond=0).isoformat(),
        "window_minutes": 120,
        "count": 3,
        "estimated_minutes": 45,
        "key": "dinners",
    }
    return json.dumps(values | fields)


def test_post_take_and_cancel_a_series(
    client_for: Any, daughter: Any, father: Member, volunteer: Member, far_volunteer: Member
) -> None:
    her = client_for(daughter)
    posted = her.post(BASE, body(father), content_type="application/json")
    assert posted.status_code == 201, posted.content
    made = posted.json()
    assert len(made["occurrences"]) == 3 and made["status"] == "active"
    assert {r["series_id"] for r in made["occurrences"]} == {made["id"]}
    again = her.post(BASE, body(father), content_type="application/json")
    assert again.json()["id"] == made["id"] and Series.objects.count() == 1
    far = client_for(far_volunteer.user)
    assert far.post(f"{BASE}/{made['id']}/take").status_code == 404
    him = client_for(volunteer.user)
    taken = him.post(f"{BASE}/{made['id']}/take")
    assert taken.status_code == 201 and len(taken.json()) == 3
    retried = him.post(f"{BASE}/{made['id']}/take")
    assert sorted(o["id"] for o in retried.json()) == sorted(o["id"] for o in taken.json())
    refused = him.post(f"{BASE}/{made['id']}/cancel", "{}", content_type="application/json")
    assert refused.status_code == 403
    cancelled = her.post(f"{BASE}/{made['id']}/cancel", "{}", content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}


def test_bad_schedules_are_refused_naming_the_field(
    client_for: Any, daughter: Any, father: Member
) -> None:
    her = client_for(daughter)
    for fields, field in (
        ({"count": 1}, "count"),
        ({"count": 0}, "count"),
        ({"every_days": 9}, "every_days"),
        ({"first_starts_at": "tomorrow"}, "first_starts_at"),
        ({"category": "flying"}, "category"),
    ):
        answer = her.post(BASE, body(father, **fields), content_type="application/json")
        assert answer.status_code == 422, (fields, answer.content)
        assert field in answer.content.decode(), (field, answer.content)
    assert not Series.objects.exists()
    assert client_for(daughter).get(f"{BASE}/999").status_code == 404
