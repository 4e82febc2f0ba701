"""The real ``frost-sta-client`` against a live test server: list, page, create, refuse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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

from flood.factories import T0, rows
from shequ.core.models import Role
from shequ.core.services.tokens import issue
from shequ.flood.models import Alert, Device, Reading, Rule
from shequ.flood.services import ingest

pytestmark = pytest.mark.django_db(transaction=True)


def test_frost_sta_client_reads_pages_and_creates(
    live_server: Any, make_user: Any, gauge_and_token: tuple[Device, str], depth: Rule
) -> None:
    gauge, device_token = gauge_and_token
    ingest.ingest(gauge, rows(*[1.0] * 250))
    _t, raw = issue(make_user(Role.DUTY_OFFICER, "990102001201"), "sta")
    url = f"{live_server.url}/sta/v1.1"
    reader = SensorThingsService(url, auth_handler=AuthHandler("duty", raw))

    (thing,) = list(reader.things().query().list())
    (stream,) = list(thing.get_datastreams().query().list())
    assert stream.id == gauge.pk
    page = stream.get_observations().query().top(100).orderby("phenomenonTime", "ASC").count()
    first = page.list()
    assert first.count == 250 and first.next_link
    assert len(list(first)) == 250

    writer = SensorThingsService(url, auth_handler=AuthHandler("W01", device_token))
    one = Observation(
        phenomenon_time=T0 + timedelta(hours=5), result=12.0, datastream=Datastream(id=gauge.pk)
    )
    writer.create(one)
    assert Reading.objects.get(pk=one.id).value == 12.0
    assert Alert.objects.get().level == 1

    array = DataArrayValue()
    array.datastream = Datastream(id=gauge.pk)
    array.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    for minutes in (1, 2, 3):
        array.add_observation(
            Observation(phenomenon_time=T0 + timedelta(hours=5, minutes=minutes), result=41.0)
        )
    document = DataArrayDocument()
    document.value = [array]
    created = writer.observations().create(document)
    assert len(created) == 3
    assert Reading.objects.count() == 254
    assert Alert.objects.get().level == 4

    naive = Observation(
        phenomenon_time=(T0 + timedelta(hours=6)).replace(tzinfo=None),
        result=1.0,
        datastream=Datastream(id=gauge.pk),
    )
    with pytest.raises(requests.HTTPError) as refused:
        writer.create(naive)
    assert refused.value.response.status_code == 422
    with pytest.raises(requests.HTTPError) as forbidden:
        list(writer.things().query().list())
    assert forbidden.value.response.status_code == 403
