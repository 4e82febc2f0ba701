"""A door device through a network outage, against the served demo (issue 19, offline).

A face terminal and a QR scanner at 锦绣花园's north gate reach the platform through a cable
(a TCP relay) that the test cuts. While connected, each fetches its signed allow-list and the
verifying key over HTTP and checks the Ed25519 signature the way docs/access.md describes it
(written out here, not through the platform's code). The cable is cut: the platform is
unreachable for the devices, which decide alone from their lists: the demo's residents, a
stranger, and a visitor pass issued on the resident's phone just before (one use). The cable
is mended: the devices upload what they decided; the staff's log holds each event once, as
decided offline; the same batch again (or with its decisions changed) is a duplicate and
changes nothing. A list altered, signed with another key, or meant for another device is
refused by the device's check.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from access_support import ESTATE, Cable, device_client, form_post, issue_device
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from qr_read import read_qr
from system_support import Platform, assert_clean, json_items

SHANGHAI = timezone(timedelta(hours=8))
FACES = [f"DEMO-P{n:07d}" for n in range(1, 21)] + ["NOBODY-AT-ALL"]


class Rejected(Exception):
    pass


def verified(envelope: dict[str, Any], public_key: str, device_id: int) -> dict[str, Any]:
    """The device's check of a list, as docs/access.md describes it; the payload."""
    payload = envelope["payload"]
    signed = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(envelope["signature"]), signed.encode())
    except (ValueError, InvalidSignature) as exc:
        raise Rejected("signature") from exc
    if envelope["algorithm"] != "Ed25519" or payload["format"] != "shequ-access-allowlist/1":
        raise Rejected("format")
    if payload["device"] != device_id:
        raise Rejected("another device's list")
    now = datetime.now(SHANGHAI)
    if (
        not datetime.fromisoformat(payload["valid_from"])
        <= now
        < datetime.fromisoformat(payload["valid_until"])
    ):
        raise Rejected("validity")
    return dict(payload)


def digest(salt: str, kind: str, value: str) -> str:
    norm = value.strip() if kind == "qr" else value.strip().upper()
    return hashlib.sha256(f"{salt}:{kind}:{norm}".encode()).hexdigest()


def on_list(payload: dict[str, Any], kind: str, value: str) -> bool:
    h = digest(payload["salt"], kind, value)
    return any(e["h"] == h and e["kind"] == kind for e in payload["entries"])


def fetch_list(device: httpx.Client) -> tuple[dict[str, Any], str]:
    envelope = device.get("/api/v1/access/allowlist")
    assert_clean(envelope)
    assert envelope.status_code == 200, envelope.text[:500]
    key = device.get("/api/v1/access/allowlist/key").json()
    assert (
        key["key_id"]
        == envelope.json()["key_id"]
        == (hashlib.sha256(base64.b64decode(key["public_key"])).hexdigest()[:16])
    )
    return envelope.json(), key["public_key"]


@pytest.fixture(scope="module")
def cable(platform: Platform) -> Iterator[Cable]:
    made = Cable(platform)
    yield made
    made.close()


def event(prefix: str, method: str, value: str, at: datetime, allow: bool) -> dict[str, Any]:
    return {
        "event_id": f"{prefix}-{uuid.uuid4().hex[:12]}",
        "method": method,
        "value": value,
        "time": at.isoformat(),
        "allow": allow,
    }


def test_a_door_device_decides_alone_through_an_outage_and_uploads_afterwards(
    platform: Platform, clients: dict[str, httpx.Client], cable: Cable
) -> None:
    staff, resident = clients["community"], clients["resident"]
    face = device_client(cable.base, issue_device(staff, "face", name="断网测试face"))
    qr = device_client(cable.base, issue_device(staff, "qr", name="断网测试qr"))
    started = datetime.now(SHANGHAI).replace(microsecond=0)

    # A visitor pass for one use, issued on the resident's phone while all is well.
    issued = form_post(
        resident,
        "/access/me/passes/",
        {
            "estate": ESTATE,
            "visitor": "赵六",
            "valid_from": started.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (started + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "max_uses": "1",
        },
    )
    assert issued.status_code == 302, issued.text[:1000]
    pass_token = read_qr(resident.get(f"{issued.headers['location']}qr.svg").text)

    # Online: each device fetches its list and the key, and checks the signature itself.
    face_envelope, key = fetch_list(face)
    qr_envelope, qr_key = fetch_list(qr)
    assert key == qr_key
    face_list = verified(face_envelope, key, face_envelope["payload"]["device"])
    qr_list = verified(qr_envelope, key, qr_envelope["payload"]["device"])
    assert face_list["datasets"].get("health_code_status") is not None, face_list["datasets"]
    assert face_list["entries"] and not face_list["passes"]
    assert any(p["uses_left"] == 1 for p in qr_list["passes"])
    assert "DEMO-P" not in json.dumps(face_envelope) and pass_token not in json.dumps(qr_envelope)

    # A list altered, signed by another key, or meant for another device is refused.
    altered = copy.deepcopy(face_envelope)
    altered["payload"]["entries"].append(
        {"h": digest(face_list["salt"], "face", "INTRUDER"), "kind": "face"}
    )
    other = Ed25519PrivateKey.generate()
    canonical = json.dumps(
        altered["payload"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    resigned = {**altered, "signature": base64.b64encode(other.sign(canonical.encode())).decode()}
    other_key = base64.b64encode(
        other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    for forged, with_key in ((altered, key), (resigned, key), (face_envelope, other_key)):
        with pytest.raises(Rejected):
            verified(forged, with_key, face_list["device"])
    with pytest.raises(Rejected):
        verified(qr_envelope, key, face_list["device"])

    # The cable is cut: the platform is unreachable, the devices decide alone.
    cable.cut()
    with pytest.raises(httpx.TransportError):
        face.post("/api/v1/access/check", json={})
    at = datetime.now(SHANGHAI).replace(microsecond=0)
    queue_face = [
        event("outage", "face", ref, at + timedelta(seconds=n), on_list(face_list, "face", ref))
        for n, ref in enumerate(FACES)
    ]
    allowed = [e["value"] for e in queue_face if e["allow"]]
    assert allowed and "NOBODY-AT-ALL" not in allowed
    assert len(allowed) < len(FACES) - 1, "every demo resident on the list: none is red?"
    h = digest(qr_list["salt"], "qr", pass_token)
    listed = [p for p in qr_list["passes"] if p["h"] == h]
    assert len(listed) == 1 and listed[0]["uses_left"] == 1
    queue_qr = [  # the visitor at the door, and again: the device counts the one use itself
        event("outage", "qr", pass_token, at, True),
        event("outage", "qr", pass_token, at + timedelta(minutes=1), False),
    ]

    # Mended: the devices upload; the platform keeps each event once, as decided offline.
    cable.mend()
    for device, queue in ((face, queue_face), (qr, queue_qr)):
        first = device.post("/api/v1/access/events", json={"events": queue})
        assert_clean(first)
        assert first.status_code == 200, first.text[:500]
        assert (first.json()["recorded"], first.json()["duplicates"]) == (len(queue), 0)
    logged = offline_log(staff, started)
    assert {e["event_id"]: e["allow"] for e in logged} == {
        e["event_id"]: e["allow"] for e in queue_face + queue_qr
    }
    assert all(e["offline"] and "decided_offline" in e["reasons"] for e in logged)
    assert (
        "pass_valid"
        in next(e for e in logged if e["event_id"] == queue_qr[0]["event_id"])["reasons"]
    )
    before = {a["id"]: a["attempts"] for a in alerts(staff)}

    # A resent batch, or the same event ids claiming other decisions, changes nothing.
    replay = [{**e, "allow": not e["allow"]} for e in queue_face]
    for batch in (queue_face, replay):
        again = face.post("/api/v1/access/events", json={"events": batch})
        assert (again.json()["recorded"], again.json()["duplicates"]) == (0, len(batch))
    assert offline_log(staff, started) == logged
    assert {a["id"]: a["attempts"] for a in alerts(staff)} == before

    # Back online, the platform decides as the list did (it was built from the same statuses).
    for e in queue_face:
        asked = {k: v for k, v in e.items() if k != "allow"}
        online = face.post("/api/v1/access/check", json=asked)
        assert online.json()["replayed"] is True  # the event id is the uploaded one
        fresh = {**asked, "event_id": f"{e['event_id']}-on"}
        answer = face.post("/api/v1/access/check", json=fresh).json()
        assert answer["allow"] == e["allow"], (e["value"], answer)
    used = qr.post(
        "/api/v1/access/check",
        json={"event_id": f"after-{uuid.uuid4().hex[:8]}", "method": "qr", "value": pass_token}
        | {"time": datetime.now(SHANGHAI).isoformat()},
    ).json()
    assert used["allow"] is False and "pass_used_up" in used["reasons"], used
    face.close()
    qr.close()


def offline_log(staff: httpx.Client, since: datetime) -> list[dict[str, Any]]:
    """The staff's access log of events decided offline since SINCE (their read is audited)."""
    answer = staff.get("/api/v1/access/log", params={"since": since.isoformat(), "page_size": 200})
    assert_clean(answer)
    assert answer.status_code == 200, answer.text[:500]
    found = [e for e in json_items(answer.json()) if re.match(r"outage-", e["event_id"])]
    return sorted(found, key=lambda e: e["event_id"])


def alerts(staff: httpx.Client) -> list[dict[str, Any]]:
    answer = staff.get("/api/v1/access/alerts")
    assert answer.status_code == 200, answer.text[:500]
    return list(answer.json())
