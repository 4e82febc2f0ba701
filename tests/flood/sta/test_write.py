"""Creating Observations through ``/sta/v1.1/``: the ingestion path, its checks, who may write."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from flood.factories import add_gauge, add_point
from shequ.core.models import AuditEvent, Role
from shequ.core.services.tokens import issue
from shequ.flood.models import Alert, Device, LatestReading, MonitoringPoint, Reading, Rule

pytestmark = pytest.mark.django_db
BASE = "/sta/v1.1"


def device_client(token: str, *, basic: bool = False) -> Client:
    if basic:
        pair = base64.b64encode(f"W01:{token}".encode()).decode()
        return Client(HTTP_AUTHORIZATION=f"Basic {pair}", HTTP_ACCEPT_LANGUAGE="en")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def post(client: Client, path: str, data: Any) -> Any:
    raw = data if isinstance(data, str) else json.dumps(data)
    return client.post(f"{BASE}/{path}", raw, content_type="application/json")


def obs(at: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"phenomenonTime": at, "result": value, **extra}


@pytest.fixture
def device(gauge_and_token: tuple[Device, str]) -> Client:
    return device_client(gauge_and_token[1], basic=True)


def test_an_observation_is_created_with_a_location_and_judged_by_the_rules(
    device: Client, gauge: Device, depth: Rule
) -> None:
    answer = post(
        device, f"Datastreams({gauge.pk})/Observations", obs("2026-07-01T16:00:00+08:00", 42)
    )
    assert answer.status_code == 201, answer.content
    reading = Reading.objects.get()
    assert answer["Location"] == f"http://testserver{BASE}/Observations({reading.pk})"
    assert answer.json()["@iot.id"] == reading.pk
    assert answer.json()["phenomenonTime"] == "2026-07-01T08:00:00Z"
    assert LatestReading.objects.get().value == 42
    assert Alert.objects.get().level == 4  # red, at once: the same rules as HTTP and MQTT


def test_posting_to_observations_with_a_datastream_link(device: Client, gauge: Device) -> None:
    body = obs("2026-07-01T08:00:00Z", 3.5, Datastream={"@iot.id": gauge.pk, "name": "ignored"})
    answer = post(device, "Observations", body)
    assert answer.status_code == 201, answer.content
    assert Reading.objects.get().value == 3.5


def test_a_repeat_is_stored_once_and_answers_the_same_location(
    device: Client, gauge: Device
) -> None:
    first = post(device, f"Datastreams({gauge.pk})/Observations", obs("2026-07-01T08:00:00Z", 1))
    again = post(device, f"Datastreams({gauge.pk})/Observations", obs("2026-07-01T08:00:00Z", 9))
    assert again.status_code == 201
    assert again["Location"] == first["Location"]
    assert list(Reading.objects.values_list("value", flat=True)) == [1.0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (obs("2026-07-01T08:00:00", 1), "phenomenonTime"),
        (obs("2026-07-01", 1), "phenomenonTime"),
        (obs("2026-07-01T08:00:00Z/2026-07-01T09:00:00Z", 1), "phenomenonTime"),
        (obs("1999-07-01T08:00:00Z", 1), "phenomenonTime"),
        (obs("2026-07-01T08:00:00Z", "high"), "result"),
        (obs("2026-07-01T08:00:00Z", True), "result"),
        (obs("2026-07-01T08:00:00Z", 1e9), "result"),
        (obs("2026-07-01T08:00:00Z", 1, resultTime="2026-07-01T08:00:00Z"), "resultTime"),
        (obs("2026-07-01T08:00:00Z", 1, FeatureOfInterest={"@iot.id": 1}), "FeatureOfInterest"),
        ({"result": 1}, "phenomenonTime"),
        ({"phenomenonTime": "2026-07-01T08:00:00Z"}, "result"),
        (obs("2026-07-01T08:00:00Z", 1, Datastream={"name": "new"}), "Datastream"),
        ([1, 2], "body"),
    ],
)
def test_an_invalid_observation_is_a_422_naming_it_and_stores_nothing(
    device: Client, gauge: Device, body: Any, field: str
) -> None:
    answer = post(device, f"Datastreams({gauge.pk})/Observations", body)
    assert answer.status_code == 422, answer.content
    assert list(answer.json()["error"]["fields"]) == [field]
    assert not Reading.objects.exists()


def test_a_body_that_is_not_json_is_a_400(device: Client, gauge: Device) -> None:
    answer = post(device, f"Datastreams({gauge.pk})/Observations", "{not json")
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["body"]


def test_create_observations_takes_data_arrays_in_one_request(
    device: Client, gauge: Device, depth: Rule
) -> None:
    body = [
        {
            "Datastream": {"@iot.id": gauge.pk},
            "components": ["result", "phenomenonTime"],
            "dataArray@iot.count": 3,
            "dataArray": [
                [5, "2026-07-01T08:00:00Z"],
                [12, "2026-07-01T08:01:00Z"],
                [5, "2026-07-01T08:00:00Z"],  # the same time again: stored once
            ],
        }
    ]
    answer = post(device, "CreateObservations", body)
    assert answer.status_code == 201, answer.content
    links = answer.json()
    assert len(links) == 3 and links[0] == links[2]
    ids = sorted(Reading.objects.values_list("pk", flat=True))
    assert [f"http://testserver{BASE}/Observations({i})" for i in ids] == sorted(set(links))
    assert Alert.objects.get().level == 1


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"components": ["phenomenonTime", "result"], "dataArray": []}, "0.Datastream"),
        ({"components": ["phenomenonTime"], "dataArray": []}, "0.components"),
        ({"components": ["phenomenonTime", "result", "FeatureOfInterest/id"]}, "0.components"),
        (
            {"components": ["phenomenonTime", "result"], "dataArray": [["2026-07-01T08:00:00Z"]]},
            "0.dataArray.0",
        ),
        (
            {"components": ["phenomenonTime", "result"], "dataArray": [["2026-07-01T08:00:00", 1]]},
            "0.dataArray.0.phenomenonTime",
        ),
        ({"components": ["phenomenonTime", "result"], "dataArray": [], "colour": 1}, "0.colour"),
    ],
)
def test_an_invalid_data_array_is_a_422_naming_it(
    device: Client, gauge: Device, item: dict[str, Any], field: str
) -> None:
    if field != "0.Datastream":
        item = {"Datastream": {"@iot.id": gauge.pk}, **item}
    answer = post(device, "CreateObservations", [item])
    assert answer.status_code == 422, answer.content
    assert list(answer.json()["error"]["fields"]) == [field]
    assert not Reading.objects.exists()


def test_a_later_bad_row_stores_nothing_of_the_request(device: Client, gauge: Device) -> None:
    good = {
        "Datastream": {"@iot.id": gauge.pk},
        "components": ["phenomenonTime", "result"],
        "dataArray": [["2026-07-01T08:00:00Z", 1]],
    }
    bad = {**good, "dataArray": [["2026-07-01T08:01:00Z", 1], ["1990-01-01T00:00:00Z", 2]]}
    answer = post(device, "CreateObservations", [good, bad])
    assert answer.status_code == 422
    assert list(answer.json()["error"]["fields"]) == ["1.dataArray.1.phenomenonTime"]
    assert not Reading.objects.exists()


def test_a_device_writes_only_its_own_datastream_and_reads_nothing(
    culvert: MonitoringPoint, gauge: Device, device: Client
) -> None:
    other, _token = add_gauge(culvert, code="W02")
    answer = post(device, f"Datastreams({other.pk})/Observations", obs("2026-07-01T08:00:00Z", 1))
    assert answer.status_code == 403
    missing = post(device, "Datastreams(999999)/Observations", obs("2026-07-01T08:00:00Z", 1))
    assert missing.status_code == 404
    assert device.get(f"{BASE}/Things").status_code == 403
    assert not Reading.objects.exists()


def test_staff_of_the_region_write_with_their_token_and_it_is_audited(
    make_user: Any, gauge: Device
) -> None:
    _t, raw = issue(make_user(Role.STREET_STAFF, "990102001000"), "sta")
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    answer = post(staff, f"Datastreams({gauge.pk})/Observations", obs("2026-07-01T08:00:00Z", 1))
    assert answer.status_code == 201, answer.content
    assert AuditEvent.objects.filter(action="flood.sta.observations").count() == 1


def test_another_regions_user_cannot_write_nor_tell_it_exists(
    make_user: Any, regions: dict[str, Any], gauge: Device
) -> None:
    far = add_point(regions["990103001001"], code="beishan", name="北山", kind="low_road")
    _t, raw = issue(make_user(Role.DUTY_OFFICER, "990103001001"), "sta")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    answer = post(client, f"Datastreams({gauge.pk})/Observations", obs("2026-07-01T08:00:00Z", 1))
    assert answer.status_code == 404
    assert far.pk
    assert not Reading.objects.exists()


def test_writing_needs_a_token_and_only_observations_are_created(
    device: Client, gauge: Device, culvert: MonitoringPoint
) -> None:
    anonymous = post(
        Client(), f"Datastreams({gauge.pk})/Observations", obs("2026-07-01T08:00:00Z", 1)
    )
    assert anonymous.status_code == 401
    revoked = device_client("flood_revoked-or-never-issued")
    assert post(revoked, "Observations", obs("2026-07-01T08:00:00Z", 1)).status_code == 401
    thing = post(device, "Things", {"name": "new"})
    assert thing.status_code == 405
    assert "Observations" in thing.json()["error"]["message"]
    assert device.delete(f"{BASE}/Observations(1)").status_code == 405
