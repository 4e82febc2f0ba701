"""A resident withdraws consent to face recognition, against the served demo (issue 19, PIPL).

Community staff enrol a second face reference for a green resident of 锦绣花园 with her consent
and link it to the demo's resident account; two face terminals (north gate, and a second door)
have it on their allow-lists. The resident withdraws on *My consent* (the phone page). At once
the reference opens no door; each terminal is told to delete the enrolment, confirms it over
its API (a repeat answers the same; another terminal cannot confirm for it); the next
allow-list no longer holds it; the withdrawal and the confirmations are in the audit.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
from access_support import GATE, device_client, issue_device, point_urls
from system_support import Platform, api_headers, assert_clean, json_items

SHANGHAI = timezone(timedelta(hours=8))
COMMUNITY = "990102001001"


def check(device: httpx.Client, ref: str) -> dict[str, Any]:
    body = {
        "event_id": f"consent-{uuid.uuid4().hex[:12]}",
        "method": "face",
        "value": ref,
        "time": datetime.now(SHANGHAI).isoformat(),
    }
    answer = device.post("/api/v1/access/check", json=body)
    assert_clean(answer)
    assert answer.status_code == 200, answer.text[:500]
    return dict(answer.json())


def listed(device: httpx.Client, ref: str) -> bool:
    envelope = device.get("/api/v1/access/allowlist")
    assert envelope.status_code == 200, envelope.text[:500]
    payload = envelope.json()["payload"]
    h = hashlib.sha256(f"{payload['salt']}:face:{ref.upper()}".encode()).hexdigest()
    return any(e["h"] == h for e in payload["entries"])


def green_person(staff: httpx.Client, device: httpx.Client) -> int:
    """The shequ person id of a demo resident whom the hub has green (found as staff would:
    a check at the door, then the credential of that masked reference on the staff's list)."""
    creds = staff.get("/api/v1/access/credentials", params={"kind": "face", "page_size": 500})
    assert creds.status_code == 200, creds.text[:500]
    mine = [c for c in json_items(creds.json()) if c["region"] == COMMUNITY and c["active"]]
    for n in range(1, 41):
        ref = f"DEMO-P{n:07d}"
        if check(device, ref)["colour"] != "green":
            continue
        masked = ref[:2] + "****" + ref[-2:]
        same = [c for c in mine if c["ref"] == masked]
        if len(same) == 1:
            return int(same[0]["person_id"])
    raise AssertionError("no green demo resident with a face credential at 锦绣花园")


def test_a_resident_withdraws_face_consent_and_every_door_forgets_her(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    staff, resident, admin = clients["community"], clients["resident"], clients["admin"]
    doors = [door for door in point_urls(staff) if door != GATE]
    assert doors, "the demo estate has one door only"
    north = device_client(platform.base, issue_device(staff, "face", name="撤回测试北门"))
    other = device_client(
        platform.base, issue_device(staff, "face", door=doors[0], name="撤回测试二门")
    )

    # Staff enrol a new reference of a green resident, with consent, for her account.
    ref = f"SYS-{uuid.uuid4().hex[:10].upper()}"
    enrol = {
        "person_id": green_person(staff, north),
        "kind": "face",
        "ref": ref,
        "consent": {
            "purpose": "小区门禁人脸识别通行",
            "given_on": str(date.today()),
            "channel": "paper",
        },
        "username": "resident",
    }
    enrolled = staff.post("/api/v1/access/credentials", json=enrol, headers=api_headers(staff))
    assert enrolled.status_code == 201, enrolled.text[:500]
    credential = enrolled.json()["id"]
    assert check(north, ref)["allow"] is True
    assert listed(north, ref) and listed(other, ref)

    # She withdraws on her phone page.
    page = resident.get("/access/me/consent/")
    assert_clean(page)
    assert f"/access/me/consent/{credential}/withdraw/" in page.text
    done = _withdraw(resident, credential)
    assert done.status_code == 302, done.text[:500]
    again = resident.get("/access/me/consent/")
    assert re.search(r'data-testid="withdrawn"', again.text), "the page does not say withdrawn"

    refused = check(north, ref)
    assert refused["allow"] is False and "credential_inactive" in refused["reasons"], refused

    # Each terminal is told to delete it and confirms; only its own removal.
    removals = {}
    for name, device in (("north", north), ("other", other)):
        pending = device.get("/api/v1/access/removals")
        assert_clean(pending)
        mine = [r for r in pending.json() if r["ref"] == ref]
        assert len(mine) == 1 and mine[0]["kind"] == "face", pending.json()
        removals[name] = mine[0]["id"]
    stolen = north.post(f"/api/v1/access/removals/{removals['other']}/done")
    assert stolen.status_code == 403, stolen.text[:300]
    for name, device in (("north", north), ("other", other)):
        first = device.post(f"/api/v1/access/removals/{removals[name]}/done")
        assert first.status_code == 200, first.text[:300]
        repeat = device.post(f"/api/v1/access/removals/{removals[name]}/done")
        assert repeat.json() == first.json()
        assert [r for r in device.get("/api/v1/access/removals").json() if r["ref"] == ref] == []
        assert not listed(device, ref)

    # Staff see it withdrawn (masked); the audit holds the withdrawal and both confirmations.
    creds = staff.get("/api/v1/access/credentials", params={"person_id": enrol["person_id"]})
    row = next(c for c in json_items(creds.json()) if c["id"] == credential)
    assert row["active"] is False and row["consent"]["withdrawn"] is True, row
    assert ref not in creds.text
    audit = admin.get("/api/v1/audit", params={"action": "access.", "page_size": 500})
    assert audit.status_code == 200, audit.text[:300]
    about = [e for e in json_items(audit.json()) if e["object_id"] == str(credential)]
    actions = sorted(e["action"] for e in about)
    assert actions.count("access.consent.withdraw") == 1, actions
    assert actions.count("access.removal.confirm") == 2, actions
    withdrawal = next(e for e in about if e["action"] == "access.consent.withdraw")
    assert withdrawal["actor"] == "resident" and withdrawal["details"]["devices"] >= 2
    assert ref not in audit.text
    north.close()
    other.close()


def _withdraw(resident: httpx.Client, credential: int) -> httpx.Response:
    """Tick the box and press Withdraw on My consent (the form posts to its own URL)."""
    page = resident.get("/access/me/consent/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    url = f"/access/me/consent/{credential}/withdraw/"
    answer = resident.post(
        url,
        data={"confirm": "on", "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{resident.base_url}/access/me/consent/"},
    )
    assert_clean(answer)
    return answer
