"""The offline allow-list: what a device may decide alone while the platform is unreachable.

A device fetches a list signed with Ed25519 (``SHEQU_ACCESS_SIGNING_KEY``; the key's SHA-256
is the seed), valid ``SHEQU_ACCESS_ALLOWLIST_HOURS``, naming the dataset versions it was built
from. Entries are salted SHA-256 hashes of the references, cards and pass tokens the device
would let through now, so a stolen list names nobody. The format is in docs/access.md;
``verify`` and ``decide_locally`` are the reference implementation of the device's side.
Events decided offline are uploaded afterwards (``upload``) and de-duplicated by event id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shequ.access.models import Credential, Device, VisitorPass
from shequ.access.providers import Subject, providers
from shequ.access.services import decide
from shequ.core import pii

FORMAT = "shequ-access-allowlist/1"
MAX_UPLOAD = 500


class ListRejected(Exception):
    """The device's side refuses a list: bad signature, wrong format, outside its validity."""


def _private_key() -> Ed25519PrivateKey:
    seed = hashlib.sha256(str(settings.ACCESS_SIGNING_KEY).encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key() -> str:
    """The verifying key, raw 32 bytes in base64 (what a device is provisioned with)."""
    raw = _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(public: str) -> str:
    return hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


def canonical(payload: dict[str, Any]) -> bytes:
    """The signed bytes: JSON, keys sorted, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(salt: str, kind: str, value: str) -> str:
    norm = value.strip() if kind == "qr" else value.strip().upper()
    return hashlib.sha256(f"{salt}:{kind}:{norm}".encode()).hexdigest()


def build(device: Device, now: datetime | None = None) -> dict[str, Any]:
    """The signed list for one device: who it may let through, as of ``now``."""
    now = now or timezone.now()
    salt = secrets.token_hex(16)
    point = device.point
    kinds = {"face": ["face"], "card": ["card"], "qr": ["qr"]}[device.kind]
    entries: list[dict[str, Any]] = []
    versions: dict[str, int | None] = {}
    live = providers()
    for credential in Credential.objects.filter(
        region=point.region, kind__in=kinds, active=True
    ).select_related("person"):
        id_hash = credential.person.id_number_hash
        findings = [p.answer(Subject(id_hash, point.region.code)) for p in live] if id_hash else []
        for p, f in zip(live, findings, strict=True):
            versions[p.dataset_key()] = f.version
        if not any(f.refuse for f in findings):
            ref = pii.decrypt(credential.ref_enc)
            entries.append({"h": entry_hash(salt, credential.kind, ref), "kind": credential.kind})
    visitor_passes: list[dict[str, Any]] = []
    if "qr" in kinds:
        for vp in VisitorPass.objects.filter(
            region=point.region, estate=point.estate, revoked_at__isnull=True, valid_until__gt=now
        ):
            if vp.uses < vp.max_uses:
                token = pii.decrypt(vp.token_enc)
                visitor_passes.append(
                    {
                        "h": entry_hash(salt, "qr", token),
                        "valid_from": vp.valid_from.isoformat(),
                        "valid_until": vp.valid_until.isoformat(),
                        "uses_left": vp.max_uses - vp.uses,
                    }
                )
    payload = {
        "format": FORMAT,
        "device": device.pk,
        "issued_at": now.isoformat(),
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(hours=int(settings.ACCESS_ALLOWLIST_HOURS))).isoformat(),
        "datasets": dict(sorted(versions.items())),
        "salt": salt,
        "entries": sorted(entries, key=lambda e: e["h"]),
        "passes": sorted(visitor_passes, key=lambda e: e["h"]),
    }
    signature = _private_key().sign(canonical(payload))
    pub = public_key()
    return {
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
        "key_id": key_id(pub),
        "algorithm": "Ed25519",
    }


def verify(envelope: dict[str, Any], public: str, device_id: int, now: datetime) -> dict[str, Any]:
    """The device's check of a list: signature, format, its own id, validity; the payload."""
    try:
        payload = envelope["payload"]
        signature = base64.b64decode(envelope["signature"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
        key.verify(signature, canonical(payload))
    except (KeyError, TypeError, ValueError, InvalidSignature) as exc:
        raise ListRejected(f"bad signature: {type(exc).__name__}") from exc
    if payload.get("format") != FORMAT:
        raise ListRejected("unknown format")
    if payload.get("device") != device_id:
        raise ListRejected("a list for another device")
    start = datetime.fromisoformat(payload["valid_from"])
    end = datetime.fromisoformat(payload["valid_until"])
    if not start <= now < end:
        raise ListRejected("outside its validity period")
    return dict(payload)


@dataclass
class LocalDecision:
    allow: bool
    reason: str


def decide_locally(
    payload: dict[str, Any], method: str, value: str, at: datetime, used: dict[str, int]
) -> LocalDecision:
    """What a device decides from a verified list (``used`` counts its own pass uses)."""
    h = entry_hash(payload["salt"], method, value)
    if method == "qr":
        for vp in payload["passes"]:
            if vp["h"] != h:
                continue
            start = datetime.fromisoformat(vp["valid_from"])
            end = datetime.fromisoformat(vp["valid_until"])
            if not start <= at < end:
                return LocalDecision(False, "pass_expired")
            if used.get(h, 0) >= vp["uses_left"]:
                return LocalDecision(False, "pass_used_up")
            used[h] = used.get(h, 0) + 1
            return LocalDecision(True, "pass_valid")
        return LocalDecision(False, "not_on_list")
    listed = any(e["h"] == h and e["kind"] == method for e in payload["entries"])
    return LocalDecision(listed, "on_list" if listed else "not_on_list")


@dataclass(frozen=True)
class OfflineEvent:
    item: decide.CheckIn
    allow: bool


def upload(device: Device, events: list[OfflineEvent]) -> list[dict[str, Any]]:
    """Record events a device decided offline; a repeated event id is a duplicate, unchanged."""
    results = []
    # A batch is recorded whole or not at all, in one turn of the SQLite writer queue.
    with transaction.atomic():
        for event in events:
            decision = decide.check(device, event.item, offline_allow=event.allow)
            status = "duplicate" if decision.replayed else "recorded"
            results.append({"event_id": event.item.event_id, "status": status})
    return results
