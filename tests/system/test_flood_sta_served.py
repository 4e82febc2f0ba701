"""The SensorThings API against the real server, through the real ``frost-sta-client`` (issue 17).

The duty officer makes an API token and, with frost-sta-client (HTTP Basic, the token as the
password), lists the village's Things, finds the Datastream of a creek gauge (W03, not the
culvert's W01 that the flood journey raises) and reads its week of demo Observations page by
page through ``@iot.nextLink``. The gauge, with the token street staff issue it, creates
Observations one at a time (``Location`` header) and as a ``CreateObservations`` data array;
what it writes is read back, judged quiet by the rules, and a naive time is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import requests
from frost_sta_client import (
    AuthHandler,
    DataArrayDocument,
    DataArrayValue,
    Datastream,
    Observation,
    SensorThingsService,
)
from system_support import Platform, api_headers, assert_clean

GAUGE = "W03"  # the creek bridge's water-level gauge (demo)


def api_token(client: httpx.Client) -> str:
    made = client.post("/api/v1/tokens", json={"name": "sta"}, headers=api_headers(client))
    assert_clean(made)
    assert made.status_code == 201, made.text[:500]
    return str(made.json()["token"])


def test_frost_sta_client_lists_things_pages_observations_and_creates_observations(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    url = f"{platform.base}/sta/v1.1"
    reader = SensorThingsService(url, auth_handler=AuthHandler("duty", api_token(clients["duty"])))

    things = list(reader.things().query().list())
    codes = {t.properties["code"] for t in things}
    assert "culvert" in codes and len(things) == 8, codes
    assert all(t.id and t.name for t in things)

    datastreams = [d for t in things for d in t.get_datastreams().query().list()]
    by_code = {d.properties["code"]: d for d in datastreams}
    assert set(by_code) >= {"W01", "W03", "R01", "D01"}, set(by_code)
    assert not any(code.startswith("C") for code in by_code), "a camera is not a Datastream"
    stream = by_code[GAUGE]
    assert stream.unit_of_measurement.symbol == "cm"

    # A week of readings every 10 minutes, read 100 at a time by following the next links.
    first = (
        stream.get_observations().query().top(100).orderby("phenomenonTime", "ASC").count().list()
    )
    assert first.next_link, "a week of readings fits on one page of 100?"
    assert first.count is not None and first.count > 900, first.count
    observations = list(first)
    assert len(observations) == first.count
    times = [o.phenomenon_time for o in observations]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert len({o.id for o in observations}) == len(observations)
    quiet = float(observations[-1].result)

    # The gauge writes with its own token (street staff issue it), as a Basic password.
    street = clients["street"]
    issued = street.post(f"/api/v1/flood/devices/{GAUGE}/token", headers=api_headers(street))
    assert issued.status_code == 200, issued.text[:500]
    writer = SensorThingsService(url, auth_handler=AuthHandler(GAUGE, issued.json()["token"]))
    # Off the demo's 10-minute marks, so nothing written here repeats a (device, time).
    now = (datetime.now(UTC) - timedelta(minutes=1)).replace(second=17, microsecond=0)
    one = Observation(
        phenomenon_time=now - timedelta(minutes=3),
        result=quiet,
        datastream=Datastream(id=stream.id),
    )
    writer.create(one)
    assert isinstance(one.id, int), one.id
    back = reader.observations().find(one.id)
    assert float(back.result) == quiet
    assert back.phenomenon_time == (now - timedelta(minutes=3)).isoformat().replace("+00:00", "Z")

    array = DataArrayValue()
    array.datastream = Datastream(id=stream.id)
    array.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    for minutes in (2, 1, 0):
        array.add_observation(
            Observation(phenomenon_time=now - timedelta(minutes=minutes), result=quiet)
        )
    document = DataArrayDocument()
    document.value = [array]
    created = writer.observations().create(document)
    assert len(created) == 3
    assert all("/Observations(" in o.self_link for o in created), [o.self_link for o in created]

    after = stream.get_observations().query().top(1).count().list()
    assert after.count == first.count + 4

    # A time without an offset is refused, naming the field; nothing is stored.
    naive = Observation(
        phenomenon_time=(now + timedelta(minutes=1)).replace(tzinfo=None),
        result=quiet,
        datastream=Datastream(id=stream.id),
    )
    with pytest.raises(requests.HTTPError) as refused:
        writer.create(naive)
    assert refused.value.response.status_code == 422
    assert "phenomenonTime" in refused.value.response.json()["error"]["fields"]
    assert stream.get_observations().query().top(1).count().list().count == first.count + 4

    # The device token writes; it reads nothing.
    with pytest.raises(requests.HTTPError) as forbidden:
        list(writer.things().query().list())
    assert forbidden.value.response.status_code == 403
