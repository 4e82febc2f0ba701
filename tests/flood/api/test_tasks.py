"""Tasks over the API: the roles × regions matrix, bad input naming its field, retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from flood.access import SEES, make_people
from flood.factories import VILLAGE, add_gauge, admin, open_alert, png
from shequ.core.models import Region
from shequ.flood.models import Alert, MonitoringPoint, Task
from shequ.flood.services import roster, tasks

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def both(culvert: MonitoringPoint, far_point: MonitoringPoint) -> dict[str, Alert]:
    return {
        culvert.code: open_alert(add_gauge(culvert, "W01")[0]),
        far_point.code: open_alert(add_gauge(far_point, "B01")[0]),
    }


@pytest.mark.parametrize("name", sorted(SEES))
def test_tasks_by_role(
    name: str,
    make_user: Callable[..., Any],
    client_for: Callable[[Any], Any],
    both: dict[str, Alert],
) -> None:
    client = client_for(make_people(make_user)[name])
    seen = SEES[name] or set()
    made = {code: tasks.create(admin(), alert, "patrol") for code, alert in both.items()}
    listed = client.get("/api/v1/flood/tasks")
    assert listed.status_code == 200  # as the points: an empty list without the permission
    assert {t["point"] for t in listed.json()} == seen
    for code, alert in both.items():
        ok = code in seen
        created = client.post(
            f"/api/v1/flood/alerts/{alert.pk}/tasks", json.dumps({"kind": "close_road"}), JSON
        )
        assert created.status_code == (200 if ok else 404), (code, created.content)
        task = made[code]
        assert client.get(f"/api/v1/flood/tasks/{task.pk}").status_code == (200 if ok else 404)
        started = client.post(f"/api/v1/flood/tasks/{task.pk}/start")
        assert started.status_code == (200 if ok else 404)
        done = client.post(f"/api/v1/flood/tasks/{task.pk}/done", {"note": "已封路"})
        assert done.status_code == (200 if ok else 404)
        task.refresh_from_db()
        assert (task.state == "done") == ok
        assert Task.objects.filter(alert=alert).count() == (2 if ok else 1)


@pytest.fixture
def officer(make_user: Callable[..., Any], client_for: Callable[[Any], Any]) -> Any:
    return make_people(make_user)["village_officer"]


def test_create_assign_and_close_with_a_photo(
    officer: Any,
    client_for: Callable[[Any], Any],
    both: dict[str, Alert],
    regions: dict[str, Region],
) -> None:
    now = timezone.now()
    roster.add_shift(admin(), regions[VILLAGE], officer, now, now + timedelta(hours=8))
    client = client_for(officer)
    alert = both["culvert"]
    body = {"kind": "close_road", "note": "两头封路", "assignee": officer.pk, "key": "k1"}
    first = client.post(f"/api/v1/flood/alerts/{alert.pk}/tasks", json.dumps(body), JSON)
    assert first.status_code == 200, first.content
    retry = client.post(f"/api/v1/flood/alerts/{alert.pk}/tasks", json.dumps(body), JSON)
    assert retry.json()["id"] == first.json()["id"]
    task = first.json()
    assert task["assignee"] == officer.pk and task["state"] == "open"
    assert task["photo_url"] is None
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("p.png", png(), content_type="image/png")
    done = client.post(f"/api/v1/flood/tasks/{task['id']}/done", {"note": "已封", "photo": photo})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done" and done.json()["closed_by"] == officer.username
    assert done.json()["photo_url"] == f"/flood/tasks/{task['id']}/photo"
    listed = client.get(f"/api/v1/flood/alerts/{alert.pk}/tasks").json()
    assert [t["id"] for t in listed] == [task["id"]]
    assert client.get("/api/v1/flood/tasks").json() == []
    assert len(client.get("/api/v1/flood/tasks?state=all").json()) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "swim"}, "kind"),
        ({}, "kind"),
        ({"kind": "patrol", "note": "x" * 301}, "note"),
        ({"kind": "patrol", "assignee": 0}, "assignee"),
        ({"kind": "patrol", "assignee": 2**40}, "assignee"),
        ({"kind": "patrol", "key": "k" * 65}, "key"),
    ],
)
def test_bad_task_input_is_422_naming_the_field(
    officer: Any,
    client_for: Callable[[Any], Any],
    both: dict[str, Alert],
    body: dict[str, Any],
    field: str,
) -> None:
    alert = both["culvert"]
    answer = client_for(officer).post(
        f"/api/v1/flood/alerts/{alert.pk}/tasks", json.dumps(body), JSON
    )
    assert answer.status_code == 422
    assert any(field in name for name in answer.json()["error"]["fields"]), answer.json()
    assert not Task.objects.exists()


def test_an_assignee_off_the_roster_is_422(
    officer: Any, client_for: Callable[[Any], Any], both: dict[str, Alert]
) -> None:
    alert = both["culvert"]
    body = json.dumps({"kind": "patrol", "assignee": officer.pk})
    answer = client_for(officer).post(f"/api/v1/flood/alerts/{alert.pk}/tasks", body, JSON)
    assert answer.status_code == 422 and "assignee" in answer.json()["error"]["fields"]
    task = tasks.create(admin(), alert, "patrol")
    moved = client_for(officer).post(
        f"/api/v1/flood/tasks/{task.pk}/assign", json.dumps({"assignee": officer.pk}), JSON
    )
    assert moved.status_code == 422 and "assignee" in moved.json()["error"]["fields"]


def test_closing_refusals(
    officer: Any, client_for: Callable[[Any], Any], both: dict[str, Alert], settings: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(officer)
    task = tasks.create(admin(), both["culvert"], "close_road")
    url = f"/api/v1/flood/tasks/{task.pk}"
    no_note = client.post(f"{url}/done", {"note": " "})
    assert no_note.status_code == 422 and "note" in no_note.json()["error"]["fields"]
    missing = client.post(f"{url}/done", {})
    assert missing.status_code == 422 and "note" in str(missing.json()["error"]["fields"])
    text = SimpleUploadedFile("p.png", b"GIF89a....", content_type="image/png")
    not_image = client.post(f"{url}/done", {"note": "封", "photo": text})
    assert not_image.status_code == 422 and "photo" in not_image.json()["error"]["fields"]
    settings.FLOOD_IMAGE_MAX_BYTES = 100
    big = SimpleUploadedFile("p.png", png(50, 50) + b"\0" * 200, content_type="image/png")
    too_big = client.post(f"{url}/done", {"note": "封", "photo": big})
    assert too_big.status_code == 413 and "photo" in too_big.json()["error"]["fields"]
    no_why = client.post(f"{url}/cancel", json.dumps({"note": ""}), JSON)
    assert no_why.status_code == 422 and "note" in str(no_why.json()["error"]["fields"])
    assert client.post(f"{url}/done", {"note": "封"}).status_code == 200
    assert client.post(f"{url}/done", {"note": "封"}).status_code == 200  # a retry
    cancel = client.post(f"{url}/cancel", json.dumps({"note": "不需要"}), JSON)
    assert cancel.status_code == 409
    task.refresh_from_db()
    assert task.state == "done" and task.photo == ""
