"""Tasks on the pages: two taps from the inbox, closing with a note and a photo, the photo
served only to who watches the point's region and never kept by a shared cache."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from flood.access import SEES, make_people
from flood.factories import add_gauge, admin, open_alert, png
from shequ.core.models import AuditEvent
from shequ.flood.models import Alert, MonitoringPoint, Task
from shequ.flood.services import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(culvert: MonitoringPoint, far_point: MonitoringPoint) -> dict[str, Alert]:
    return {
        culvert.code: open_alert(add_gauge(culvert, "W01")[0]),
        far_point.code: open_alert(add_gauge(far_point, "B01")[0]),
    }


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_two_taps_from_the_inbox_make_one_task(
    make_user: Callable[..., Any], both: dict[str, Alert]
) -> None:
    client = login(make_people(make_user)["village_officer"])
    alert = both["culvert"]
    inbox = client.get("/flood/alerts/").content.decode()
    form = inbox[inbox.index(f'action="/flood/alerts/{alert.pk}/tasks/"') :]
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None and 'data-testid="task-close_road"' in form
    tap = {"kind": "close_road", "key": key.group(1)}
    assert client.post(f"/flood/alerts/{alert.pk}/tasks/", tap).status_code == 302
    assert client.post(f"/flood/alerts/{alert.pk}/tasks/", tap).status_code == 302  # twice
    task = Task.objects.get()
    assert task.kind == "close_road" and task.state == "open"
    page = client.get("/flood/alerts/").content.decode()
    assert f'data-testid="task-{task.pk}"' in page
    bad = client.post(f"/flood/alerts/{alert.pk}/tasks/", {"kind": "swim", "key": "x"})
    assert bad.status_code == 302 and Task.objects.count() == 1


def test_closing_with_a_note_and_a_photo_on_the_task_page(
    make_user: Callable[..., Any], both: dict[str, Alert]
) -> None:
    people = make_people(make_user)
    client = login(people["village_officer"])
    task = tasks.create(admin(), both["culvert"], "close_road")
    url = f"/flood/tasks/{task.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and 'capture="environment"' in page.content.decode()
    assert client.post(url, {"action": "start"}).status_code == 302
    empty = client.post(url, {"action": "done", "note": ""})
    assert empty.status_code == 422 and 'data-testid="error-note"' in empty.content.decode()
    junk = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    refused = client.post(url, {"action": "done", "note": "封", "photo": junk})
    assert refused.status_code == 422 and 'data-testid="error-photo"' in refused.content.decode()
    photo = SimpleUploadedFile("p.png", png(), content_type="image/png")
    assert (
        client.post(url, {"action": "done", "note": "两头已封", "photo": photo}).status_code == 302
    )
    task.refresh_from_db()
    assert task.state == "done" and task.photo
    shown = client.get(f"/flood/tasks/{task.pk}/photo")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["Cache-Control"] == "private, no-store"
    assert b"".join(shown.streaming_content) == png()
    assert AuditEvent.objects.filter(action="flood.image.view").count() == 1
    for name in ("far_officer", "sibling_staff"):
        assert login(people[name]).get(f"/flood/tasks/{task.pk}/photo").status_code == 404
    assert login(people["resident"]).get(f"/flood/tasks/{task.pk}/photo").status_code == 403
    assert Client().get(f"/flood/tasks/{task.pk}/photo").status_code == 302  # to log in


@pytest.mark.parametrize("name", sorted(SEES))
def test_task_pages_by_role(
    name: str, make_user: Callable[..., Any], both: dict[str, Alert]
) -> None:
    client = login(make_people(make_user)[name])
    seen = SEES[name]
    made = {code: tasks.create(admin(), alert, "patrol") for code, alert in both.items()}
    listing = client.get("/flood/tasks/")
    if seen is None:
        assert listing.status_code == 403
        return
    for code, task in made.items():
        assert (f'data-testid="task-row-{task.pk}"' in listing.content.decode()) == (code in seen)
        assert client.get(f"/flood/tasks/{task.pk}/").status_code == (200 if code in seen else 404)
        cancel = client.post(f"/flood/tasks/{task.pk}/", {"action": "cancel", "cancel-note": "x"})
        assert cancel.status_code == (302 if code in seen else 404)
        task.refresh_from_db()
        assert (task.state == "cancelled") == (code in seen)
