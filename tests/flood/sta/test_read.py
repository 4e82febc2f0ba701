"""Reading ``/sta/v1.1/``: entity sets, navigation, query options, paging, who sees what."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from flood.access import SEES, make_people
from flood.factories import T0, add_gauge, add_point, rows
from shequ.core.models import Role
from shequ.core.services.tokens import issue
from shequ.flood.models import Device, MonitoringPoint
from shequ.flood.services import ingest

pytestmark = pytest.mark.django_db
BASE = "/sta/v1.1"


def reader(user: Any, *, basic: bool = False) -> Client:
    _token, raw = issue(user, "sta")
    if basic:
        pair = base64.b64encode(f"anyone:{raw}".encode()).decode()
        return Client(HTTP_AUTHORIZATION=f"Basic {pair}", HTTP_ACCEPT_LANGUAGE="en")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def get(client: Client, path: str, status: int = 200, **params: Any) -> Any:
    answer = client.get(f"{BASE}/{path}", params)
    assert answer.status_code == status, answer.content[:500]
    return answer.json()


@pytest.fixture
def officer(make_user: Any) -> Client:
    return reader(make_user(Role.DUTY_OFFICER, "990102001201"))


@pytest.fixture
def readings(gauge: Device) -> Device:
    """Ten readings a minute apart: 0, 5, 10 … 45 cm."""
    ingest.ingest(gauge, rows(*[5.0 * i for i in range(10)]))
    return gauge


def test_the_root_lists_the_entity_sets_without_credentials() -> None:
    body = get(Client(), "")
    names = [e["name"] for e in body["value"]]
    assert names == [
        "Things",
        "Locations",
        "Sensors",
        "ObservedProperties",
        "Datastreams",
        "Observations",
    ]
    assert body["value"][0]["url"] == "http://testserver/sta/v1.1/Things"
    assert "serverSettings" in body


def test_reading_needs_credentials_and_says_how(culvert: MonitoringPoint) -> None:
    answer = Client().get(f"{BASE}/Things")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Basic")
    assert answer.json()["error"]["code"] == "unauthenticated"
    bad = Client(HTTP_AUTHORIZATION="Bearer shq_not-a-token").get(f"{BASE}/Things")
    assert bad.status_code == 401


def test_a_thing_is_a_point_with_links_and_no_personal_data(
    officer: Client, culvert: MonitoringPoint, gauge: Device, make_user: Any
) -> None:
    culvert.responsible.add(make_user(Role.DUTY_OFFICER, "990102001201", username="王芳"))
    body = get(officer, "Things")
    (thing,) = body["value"]
    assert thing["@iot.id"] == culvert.pk
    assert thing["@iot.selfLink"] == f"http://testserver{BASE}/Things({culvert.pk})"
    assert thing["name"] == "铁路涵洞"
    assert thing["properties"]["code"] == "culvert"
    assert thing["Datastreams@iot.navigationLink"].endswith(f"Things({culvert.pk})/Datastreams")
    assert "王芳" not in str(body)
    assert "token" not in str(body).lower()


def test_basic_credentials_with_the_token_as_password_read_too(
    make_user: Any, culvert: MonitoringPoint
) -> None:
    client = reader(make_user(Role.DUTY_OFFICER, "990102001201"), basic=True)
    assert len(get(client, "Things")["value"]) == 1


def test_navigation_from_a_thing_to_its_datastreams_and_their_observations(
    officer: Client, culvert: MonitoringPoint, readings: Device
) -> None:
    streams = get(officer, f"Things({culvert.pk})/Datastreams")["value"]
    assert [s["@iot.id"] for s in streams] == [readings.pk]
    assert streams[0]["unitOfMeasurement"]["symbol"] == "cm"
    obs = get(officer, f"Datastreams({readings.pk})/Observations", **{"$top": "3"})
    assert [o["result"] for o in obs["value"]] == [0.0, 5.0, 10.0]
    assert obs["value"][0]["phenomenonTime"] == "2026-07-01T08:00:00Z"
    thing = get(officer, f"Datastreams({readings.pk})/Thing")
    assert thing["@iot.id"] == culvert.pk
    sensor = get(officer, f"Datastreams({readings.pk})/Sensor")
    assert sensor["@iot.id"] == 1
    prop = get(officer, f"Datastreams({readings.pk})/ObservedProperty")
    assert prop["name"] == "Water level"
    back = get(officer, f"Observations({obs['value'][1]['@iot.id']})/Datastream")
    assert back["@iot.id"] == readings.pk
    assert get(officer, "Sensors(1)/Datastreams")["value"][0]["@iot.id"] == readings.pk
    location = get(officer, f"Things({culvert.pk})/Locations")["value"][0]
    assert location["location"] == {"type": "Point", "coordinates": [120.1203, 30.2812]}


def test_a_property_and_its_raw_value(officer: Client, culvert: MonitoringPoint) -> None:
    assert get(officer, f"Things({culvert.pk})/name") == {"name": "铁路涵洞"}
    raw = officer.get(f"{BASE}/Things({culvert.pk})/name/$value")
    assert raw.status_code == 200
    assert raw.content.decode() == "铁路涵洞"


def test_paging_follows_next_links_to_the_end(officer: Client, readings: Device) -> None:
    url: str | None = f"{BASE}/Datastreams({readings.pk})/Observations?$top=4&$count=true"
    seen, pages = [], 0
    while url:
        parts = urlsplit(url)
        answer = officer.get(f"{parts.path}?{parts.query}")
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["@iot.count"] == 10
        seen += [o["result"] for o in body["value"]]
        url = body.get("@iot.nextLink")
        pages += 1
    assert pages == 3
    assert seen == [5.0 * i for i in range(10)]


def test_orderby_skip_select(officer: Client, readings: Device) -> None:
    body = get(
        officer,
        "Observations",
        **{"$orderby": "result desc", "$skip": "1", "$top": "2", "$select": "result,id"},
    )
    assert body["value"] == [
        {"@iot.id": body["value"][0]["@iot.id"], "result": 40.0},
        {"@iot.id": body["value"][1]["@iot.id"], "result": 35.0},
    ]
    assert "@iot.nextLink" in body
    assert "%24skip=3" in body["@iot.nextLink"] or "$skip=3" in body["@iot.nextLink"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("result gt 30", [35.0, 40.0, 45.0]),
        ("result ge 30 and result lt 40", [30.0, 35.0]),
        ("result lt 5 or result eq 45", [0.0, 45.0]),
        ("not (result le 40)", [45.0]),
        ("10 ge result", [0.0, 5.0, 10.0]),
        ("result ne 0 and result le 10", [5.0, 10.0]),
        ("phenomenonTime ge 2026-07-01T08:08:00Z", [40.0, 45.0]),
        ("phenomenonTime lt 2026-07-01T16:02:00+08:00", [0.0, 5.0]),
        (
            "phenomenonTime gt 2026-07-01T08:01:00Z and phenomenonTime le 2026-07-01T08:03:00Z "
            "and (result eq 10 or result eq 15)",
            [10.0, 15.0],
        ),
    ],
)
def test_filter_on_time_and_result(
    officer: Client, readings: Device, condition: str, expected: list[float]
) -> None:
    body = get(officer, f"Datastreams({readings.pk})/Observations", **{"$filter": condition})
    assert [o["result"] for o in body["value"]] == expected


def test_expand_datastreams_and_their_observations_with_nested_options(
    officer: Client, culvert: MonitoringPoint, readings: Device
) -> None:
    add_gauge(culvert, code="R01", kind="rain")
    body = get(
        officer,
        "Things",
        **{
            "$expand": "Datastreams($orderby=id;$expand=Observations($top=2;"
            "$orderby=phenomenonTime desc;$select=result))",
        },
    )
    (thing,) = body["value"]
    water, rain = thing["Datastreams"]
    assert water["@iot.id"] == readings.pk
    assert water["Observations"] == [{"result": 45.0}, {"result": 40.0}]
    assert "$skip=2" in water["Observations@iot.nextLink"]
    assert rain["Observations"] == []
    short = get(officer, f"Things({culvert.pk})", **{"$expand": "Datastreams/Observations"})
    assert len(short["Datastreams"][0]["Observations"]) == 10
    one = get(officer, f"Datastreams({readings.pk})", **{"$expand": "Thing,Sensor"})
    assert one["Thing"]["@iot.id"] == culvert.pk
    assert one["Sensor"]["@iot.id"] == 1


@pytest.mark.parametrize(
    ("params", "named", "words"),
    [
        ({"$filter": "substringof('a', name)"}, "$filter", "substringof"),
        ({"$filter": "result add 5 gt 10"}, "$filter", "add"),
        ({"$filter": "result in (1, 2)"}, "$filter", "in"),
        ({"$filter": "resultTime gt 2026-07-01T08:00:00Z"}, "$filter", "resultTime"),
        ({"$filter": "phenomenonTime gt 2026-07-01T08:00:00"}, "$filter", "offset"),
        ({"$filter": "result gt 'high'"}, "$filter", "result"),
        ({"$filter": "result gt"}, "$filter", "expected"),
        ({"$filter": "result gt 1 and"}, "$filter", "expected"),
        ({"$filter": "(result gt 1"}, "$filter", ")"),
        ({"$filter": "result eq phenomenonTime"}, "$filter", "property"),
        ({"$filter": "result gt 1 # 2"}, "$filter", "unexpected"),
        ({"$filter": ""}, "$filter", "empty"),
        (
            {"$filter": "phenomenonTime gt 2026-07-01T08:00:00Z/2026-07-02T08:00:00Z"},
            "$filter",
            "interval",
        ),
        ({"$top": "-1"}, "$top", "$top"),
        ({"$skip": "x"}, "$skip", "$skip"),
        ({"$count": "yes"}, "$count", "$count"),
        ({"$orderby": "colour asc"}, "$orderby", "colour"),
        ({"$orderby": "result sideways"}, "$orderby", "sideways"),
        ({"$select": "colour"}, "$select", "colour"),
        ({"$expand": "Colours"}, "$expand", "Colours"),
        ({"$expand": "Datastream(top=1)"}, "$expand", "top=1"),
        ({"$expand": "Datastream($top=1"}, "$expand", "parentheses"),
        ({"$search": "water"}, "$search", "$search"),
        ({"$resultFormat": "dataArray"}, "$resultFormat", "$resultFormat"),
    ],
)
def test_what_is_not_supported_is_a_400_naming_it(
    officer: Client, readings: Device, params: dict[str, str], named: str, words: str
) -> None:
    answer = officer.get(f"{BASE}/Observations", params)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert list(error["fields"]) == [named]
    assert words in error["message"]


def test_filter_and_orderby_on_sensors_are_refused(officer: Client, readings: Device) -> None:
    answer = officer.get(f"{BASE}/Sensors", {"$filter": "name eq 'x'"})
    assert answer.status_code == 400
    assert "Sensors" in answer.json()["error"]["message"]


def test_unknown_paths_and_ids(officer: Client, readings: Device) -> None:
    assert get(officer, "Colours", 404)["error"]["code"] == "sta_not_found"
    assert get(officer, "Things(999999)", 404)["error"]["code"] == "sta_not_found"
    assert get(officer, "Things('x')", 400)["error"]["fields"] == {"path": ["Things('x')"]}
    assert get(officer, f"Datastreams({readings.pk})/Colours", 404)
    assert get(officer, f"Datastreams({readings.pk})/Thing(1)", 404)


def test_top_is_capped_and_zero_gives_no_next_link(officer: Client, readings: Device) -> None:
    body = get(officer, "Observations", **{"$top": "0", "$count": "true"})
    assert body == {"@iot.count": 10, "value": []}


@pytest.mark.parametrize("name", list(SEES))
def test_who_sees_which_things(make_user: Any, regions: dict[str, Any], name: str) -> None:
    """The flood API's matrix: another region's Thing, Datastream and Observations are 404."""
    near = add_point(regions["990102001201"])
    far = add_point(regions["990103001001"], code="beishan", name="北山低洼路段", kind="low_road")
    near_gauge, _ = add_gauge(near)
    far_gauge, _ = add_gauge(far, code="W99")
    ingest.ingest(near_gauge, rows(1.0))
    ingest.ingest(far_gauge, rows(2.0, start=T0 + timedelta(hours=1)))
    people = make_people(make_user)
    client = reader(people[name])
    expected = SEES[name] or set()
    codes = {t["properties"]["code"] for t in get(client, "Things")["value"]}
    assert codes == expected
    results = {o["result"] for o in get(client, "Observations")["value"]}
    assert results == {1.0 for _ in ["culvert"] if "culvert" in expected} | (
        {2.0} if "beishan" in expected else set()
    )
    for point, gauge in ((near, near_gauge), (far, far_gauge)):
        status = 200 if point.code in expected else 404
        get(client, f"Things({point.pk})", status)
        get(client, f"Datastreams({gauge.pk})/Observations", status)
