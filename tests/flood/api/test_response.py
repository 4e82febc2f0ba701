"""The emergency response level over the API: who may set which region's, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from flood.access import SEES, make_people
from flood.factories import ELSEWHERE, VILLAGE
from shequ.core.models import Region
from shequ.flood.models import RegionResponse, ResponseChange

pytestmark = pytest.mark.django_db
JSON = "application/json"
# Who may set the village's level and 北山社区's (the far point's region).
SETS = {name: {c for c, code in (("culvert", VILLAGE), ("beishan", ELSEWHERE))} & (seen or set())
        for name, seen in SEES.items()}  # fmt: skip
CODES = {"culvert": VILLAGE, "beishan": ELSEWHERE}


@pytest.mark.parametrize("name", sorted(SEES))
def test_response_levels_by_role(
    name: str, make_user: Callable[..., Any], client_for: Callable[[Any], Any], regions: Any
) -> None:
    client = client_for(make_people(make_user)[name])
    for point, code in CODES.items():
        body = json.dumps({"level": "II", "reason": "台风"})
        answer = client.post(f"/api/v1/flood/regions/{code}/response-level", body, JSON)
        ok = point in SETS[name]
        assert answer.status_code == (200 if ok else 404), (point, answer.content)
        if ok:
            assert answer.json()["level"] == "II" and answer.json()["threshold_factor"] == 0.7
    in_force = client.get("/api/v1/flood/response-levels").json()
    assert {r["region_code"] for r in in_force} == {CODES[p] for p in SETS[name]}
    assert RegionResponse.objects.filter(level=3).count() == len(SETS[name])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "V", "reason": "x"}, "level"),
        ({"level": 4, "reason": "x"}, "level"),
        ({"level": "I"}, "reason"),
        ({"level": "I", "reason": ""}, "reason"),
        ({"level": "I", "reason": "x" * 301}, "reason"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    body: dict[str, Any], field: str, make_user: Callable[..., Any], client_for: Any, regions: Any
) -> None:
    client = client_for(make_people(make_user)["village_officer"])
    answer = client.post(f"/api/v1/flood/regions/{VILLAGE}/response-level", json.dumps(body), JSON)
    assert answer.status_code == 422
    assert any(field in k for k in answer.json()["error"]["fields"]), answer.json()
    assert not ResponseChange.objects.exists()


def test_an_unknown_region_is_404(
    make_user: Callable[..., Any], client_for: Any, regions: Any
) -> None:
    client = client_for(make_people(make_user)["admin"])
    body = json.dumps({"level": "I", "reason": "x"})
    assert client.post("/api/v1/flood/regions/123/response-level", body, JSON).status_code == 404


def test_settings_over_the_api(
    make_user: Callable[..., Any], client_for: Any, regions: dict[str, Region]
) -> None:
    people = make_people(make_user)
    body = json.dumps({"threshold_factor": 0.5, "interval_factor": 0.25})
    staff = client_for(people["street_staff"])
    assert staff.put("/api/v1/flood/response-settings/I", body, JSON).status_code == 403
    admin = client_for(people["admin"])
    assert admin.put("/api/v1/flood/response-settings/I", body, JSON).status_code == 200
    bad = admin.put(
        "/api/v1/flood/response-settings/I",
        json.dumps({"threshold_factor": 0, "interval_factor": 1}),
        JSON,
    )
    assert bad.status_code == 422 and "threshold_factor" in str(bad.json()["error"]["fields"])
    listed = {s["level"]: s for s in staff.get("/api/v1/flood/response-settings").json()}
    assert listed["I"]["threshold_factor"] == 0.5 and listed["IV"]["threshold_factor"] == 0.9
