"""Helpers for the parking tests (imported explicitly: ``from parking_support import …``)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.test import Client

from shequ.core.services import tokens


def client_for(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def post(client: Client, path: str, body: Any = None, **extra: Any) -> Any:
    return client.post(
        "/api/v1/parking" + path, json.dumps(body or {}), content_type="application/json", **extra
    )


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get("/api/v1/parking" + path, params)


def next_weekday(start: date, weekday: int) -> date:
    """The first day on or after start that falls on weekday (0 = Monday)."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)
