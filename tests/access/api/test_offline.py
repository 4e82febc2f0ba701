"""A device through an outage: fetch the signed list, decide alone, upload afterwards.

Forged, altered, foreign or expired lists are refused by the device's check; replayed uploads
change nothing.
"""

from __future__ import annotations

import base64
import copy
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from access.factories import HOME, add_device, add_resident, device_client, health_row
from shequ.access.models import AccessEvent, Alert, VisitorPass
from shequ.access.services import offline, passes


@pytest.fixture
def online(staff: Any, regions: dict[str, Any], terminal: Any, load: Any) -> dict[str, Any]:
    """Green 1 and red 2 at the north gate's face terminal; the device fetches list and key."""
    add_resident(staff, regions[HOME], 1, ref="V1")
    add_resident(staff, regions[HOME], 2, ref="V2")
    load("health_code_status", [health_row(1, "green"), health_row(2, "red")])
    client = device_client(terminal[1])
    envelope = client.get("/api/v1/access/allowlist").json()
    key = client.get("/api/v1/access/allowlist/key").json()
    return {"device": terminal[0], "client": client, "envelope": envelope, "key": key}


def test_a_device_plays_through_an_outage(online: dict[str, Any]) -> None:
    device, client = online["device"], online["client"]
    assert online["key"]["key_id"] == online["envelope"]["key_id"]
    now = timezone.now()
    # The platform is unreachable: the device decides from its verified list.
    payload = offline.verify(online["envelope"], online["key"]["public_key"], device.pk, now)
    assert payload["datasets"]["health_code_status"] is not None
    assert all("V1" not in str(e) for e in payload["entries"])  # hashes, no references
    used: dict[str, int] = {}
    seen = []
    for n, ref in enumerate(["V1", "V2", "V9", "v1"]):
        local = offline.decide_locally(payload, "face", ref, now, used)
        seen.append(local.allow)
        body = {"event_id": f"off{n}", "method": "face", "value": ref}
        body |= {"time": (now + timedelta(seconds=n)).isoformat(), "allow": local.allow}
        online.setdefault("queue", []).append(body)
    assert seen == [True, False, False, True]  # references compare case-insensitively
    assert not AccessEvent.objects.exists()
    # Back online: upload, then the same batch again (a retry after a lost answer).
    first = client.post("/api/v1/access/events", {"events": online["queue"]}, "application/json")
    assert first.status_code == 200, first.content
    assert (first.json()["recorded"], first.json()["duplicates"]) == (4, 0)
    again = client.post("/api/v1/access/events", {"events": online["queue"]}, "application/json")
    assert (again.json()["recorded"], again.json()["duplicates"]) == (0, 4)
    events = AccessEvent.objects.order_by("event_id")
    assert [e.allow for e in events] == seen and all(e.offline for e in events)
    assert "decided_offline" in events[1].reasons and "health_red" in events[1].reasons
    assert Alert.objects.get().attempts == 1  # the red status alerts the staff, once


def test_an_online_check_after_the_outage_keeps_its_own_event_ids(online: dict[str, Any]) -> None:
    body = {"event_id": "x1", "method": "face", "value": "V1"}
    body |= {"time": timezone.now().isoformat(), "allow": True}
    online["client"].post("/api/v1/access/events", {"events": [body]}, "application/json")
    check = online["client"].post(
        "/api/v1/access/check", {k: v for k, v in body.items() if k != "allow"}, "application/json"
    )
    assert check.json()["replayed"] is True
    assert AccessEvent.objects.count() == 1


def test_an_altered_list_is_refused(online: dict[str, Any]) -> None:
    forged = copy.deepcopy(online["envelope"])
    forged["payload"]["entries"].append(
        {"h": offline.entry_hash(forged["payload"]["salt"], "face", "INTRUDER"), "kind": "face"}
    )
    with pytest.raises(offline.ListRejected, match="signature"):
        offline.verify(forged, online["key"]["public_key"], online["device"].pk, timezone.now())


def test_a_list_signed_by_another_key_is_refused(online: dict[str, Any]) -> None:
    forged = copy.deepcopy(online["envelope"])
    other = Ed25519PrivateKey.generate()
    forged["signature"] = base64.b64encode(
        other.sign(offline.canonical(forged["payload"]))
    ).decode()
    with pytest.raises(offline.ListRejected):
        offline.verify(forged, online["key"]["public_key"], online["device"].pk, timezone.now())
    garbage = copy.deepcopy(online["envelope"]) | {"signature": "not base64!"}
    with pytest.raises(offline.ListRejected):
        offline.verify(garbage, online["key"]["public_key"], online["device"].pk, timezone.now())


def test_a_replayed_old_list_or_another_devices_list_is_refused(online: dict[str, Any]) -> None:
    later = timezone.now() + timedelta(hours=25)
    with pytest.raises(offline.ListRejected, match="validity"):
        offline.verify(online["envelope"], online["key"]["public_key"], online["device"].pk, later)
    with pytest.raises(offline.ListRejected, match="another device"):
        offline.verify(
            online["envelope"], online["key"]["public_key"], online["device"].pk + 1, timezone.now()
        )


def test_visitor_passes_are_on_a_scanners_list_with_their_uses(
    staff: Any, regions: dict[str, Any], point: Any, hub: None
) -> None:
    scanner, raw = add_device(staff, point, "qr")
    now = timezone.now()
    _vp, token = passes.issue(
        staff,
        regions[HOME],
        "锦绣花园",
        visitor="",
        valid_from=now,
        valid_until=now + timedelta(hours=2),
    )
    client = device_client(raw)
    envelope = client.get("/api/v1/access/allowlist").json()
    key = client.get("/api/v1/access/allowlist/key").json()["public_key"]
    payload = offline.verify(envelope, key, scanner.pk, timezone.now())
    used: dict[str, int] = {}
    first = offline.decide_locally(payload, "qr", token, now + timedelta(minutes=1), used)
    second = offline.decide_locally(payload, "qr", token, now + timedelta(minutes=2), used)
    assert (first.allow, second.allow, second.reason) == (True, False, "pass_used_up")
    body = {"event_id": "q1", "method": "qr", "value": token}
    body |= {"time": (now + timedelta(minutes=1)).isoformat(), "allow": True}
    client.post("/api/v1/access/events", {"events": [body]}, "application/json")
    assert VisitorPass.objects.get().uses == 1  # the offline use counts on the platform too


def test_a_malformed_upload_is_422_naming_the_item_and_writes_nothing(
    online: dict[str, Any],
) -> None:
    now = timezone.now().isoformat()
    good = {"event_id": "a", "method": "face", "value": "V1", "time": now, "allow": True}
    bad = good | {"event_id": "b", "time": "not a time"}
    response = online["client"].post(
        "/api/v1/access/events", {"events": [good, bad]}, "application/json"
    )
    assert response.status_code == 422
    assert any("time" in name for name in response.json()["error"]["fields"])
    assert not AccessEvent.objects.exists()
    empty = online["client"].post("/api/v1/access/events", {"events": []}, "application/json")
    assert empty.status_code == 422
