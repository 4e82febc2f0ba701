"""``POST /readings``: a gauge's batch of readings (up to 10,000), with its device token."""

from typing import Any

from django.http import HttpRequest

from shequ.core.schemas import PUBLIC_WRITE, errors
from shequ.flood.api.common import DeviceAuth, router
from shequ.flood.api.schemas import IngestOut, ReadingsIn
from shequ.flood.services import ingest


@router.post(
    "/readings",
    auth=DeviceAuth(),
    response={200: IngestOut, **errors(PUBLIC_WRITE, 401)},
    summary="A gauge's readings: stored once per time, evaluated against the rules",
    description=(
        "Every `time` needs an offset (`+08:00`, `Z`): a naive time is a 422 naming "
        "`readings.<row>.time`, and nothing of the batch is stored. A retried batch stores "
        "nothing twice (`duplicates`)."
    ),
)
def post_readings(request: HttpRequest, payload: ReadingsIn) -> dict[str, Any]:
    return ingest.ingest(request.auth, payload.readings).as_dict()  # type: ignore[attr-defined]
