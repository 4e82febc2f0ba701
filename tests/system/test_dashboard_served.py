"""The dashboards against the real processes: `shequ demo` computed the indicators, the served
pages answer each role as its regions say, and the big screen's API carries real figures."""

from __future__ import annotations

import httpx
from system_support import Platform, assert_clean

PAGES = ["/dashboard/", "/dashboard/m/parking/", "/dashboard/m/timebank/", "/dashboard/screen/",
         "/dashboard/phone/", "/dashboard/data/timebank.volunteers.csv",
         "/dashboard/data/timebank.volunteers.xlsx", "/api/v1/dashboard/screen",
         "/api/v1/dashboard/indicators"]  # fmt: skip
# role -> the status every page answers (residents: their community's public figures)
EXPECTED = {
    "admin": 200,
    "street": 200,
    "community": 200,
    "analyst": 200,
    "duty": 200,
    "resident": 200,
    "volunteer": 200,
    "garage": 403,
}


def test_each_role_gets_the_dashboard_pages_its_regions_allow(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    for role, status in EXPECTED.items():
        client = clients[role] if role in clients else platform.client(role)
        for page in PAGES:
            answer = client.get(page)
            assert_clean(answer, f"{role} {page}")
            assert answer.status_code == status, (role, page, answer.status_code)


def test_the_demo_computed_the_figures_the_big_screen_shows(
    clients: dict[str, httpx.Client],
) -> None:
    data = clients["street"].get("/api/v1/dashboard/screen").json()
    figures = {f["key"]: f for f in data["figures"]}
    assert figures["timebank.volunteers"]["value"] == 356  # R4.3
    assert figures["parking.idle_night_spaces"]["value"] >= 500  # R2.6's 600, in the demo
    assert figures["hub.records"]["display"].count(",") >= 1
    assert all(f["value"] is not None or f["why"] for f in figures.values())


def test_anonymous_visitors_are_sent_to_log_in(platform: Platform) -> None:
    client = platform.client()
    assert client.get("/dashboard/screen/").status_code == 302
    assert client.get("/api/v1/dashboard/screen").status_code == 401
