from __future__ import annotations

from django.test import Client


def test_health_answers_ok_without_login(db: None) -> None:
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
