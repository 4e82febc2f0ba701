"""The HTTP face of ``/sta/v1.1/``: who is asking, then a read (``read``) or a write (ingest).

Credentials: an API token (``shq_…``, a user's) or a device token (``flood_…``) as
``Authorization: Bearer <token>``, as the password of HTTP Basic (any user name: what
SensorThings clients such as frost-sta-client send), or as ``X-Api-Token``; a browser's
logged-in session for GET. Reading needs a user who watches the regions read; writing needs
the Datastream's own device token, or the token of a user who watches its point (who could
issue that device's token anyway). Errors have the project's one shape.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from shequ.core.errors import Forbidden, Invalid, NotFound, ServiceError
from shequ.core.services import tokens
from shequ.core.services.audit import record
from shequ.core.types import Requester
from shequ.flood.models import Device, Reading
from shequ.flood.services import devices, ingest
from shequ.flood.sta import options, paths, read, write
from shequ.flood.sta.entities import SETS, visible_gauges
from shequ.flood.sta.errors import BadRequest, Unauthenticated

MOUNT = "sta/v1.1"
NO_OPTIONS = options.Options()
REALM = 'Basic realm="shequ SensorThings API", charset="UTF-8"'


@dataclass(frozen=True)
class Caller:
    user: Requester | None = None
    device: Device | None = None


def _token(request: HttpRequest) -> str | None:
    header = (request.headers.get("Authorization") or "").strip()
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated(_("The Basic credentials cannot be read.")) from None
        return decoded.partition(":")[2].strip()
    return (request.headers.get("X-Api-Token") or "").strip() or None


def caller(request: HttpRequest) -> Caller:
    """Who is asking; a token that is sent but not valid is a 401, never anonymous."""
    raw = _token(request)
    if raw:
        if raw.startswith(devices.DEVICE_TOKEN_PREFIX):
            device = devices.device_for_token(raw)
            if device is not None:
                return Caller(device=device)
        else:
            user = tokens.authenticate(raw)
            if user is not None:
                return Caller(user=user)
        raise Unauthenticated(_("The token is not valid, has expired or was revoked."))
    user = getattr(request, "user", None)
    if request.method in ("GET", "HEAD") and user is not None and user.is_authenticated:
        return Caller(user=user)
    return Caller()


def _json(body: Any, status: int = 200) -> HttpResponse:
    response = JsonResponse(
        body, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"  # answers depend on who asks
    response["Vary"] = "Authorization, X-Api-Token, Cookie, Accept-Language"
    return response


def _error(exc: ServiceError) -> HttpResponse:
    body = {"error": {"code": exc.api_code, "message": exc.text, "fields": exc.fields}}
    response = _json(body, exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = REALM
    return response


@csrf_exempt  # writes need a token (never the session), so there is no ambient credential
def serve(request: HttpRequest, path: str = "") -> HttpResponse:
    base = request.build_absolute_uri(f"/{MOUNT}")
    try:
        if request.method in ("GET", "HEAD"):
            return _get(request, base, path)
        if request.method == "POST":
            return _post(request, base, path)
        raise ServiceError(
            _("%(method)s is not supported: read with GET, create Observations with POST.")
            % {"method": request.method},
            "method_not_allowed",
            status=405,
        )
    except ServiceError as exc:
        response = _error(exc)
        if exc.status == 405:
            response["Allow"] = "GET, HEAD, POST"
        return response


def _reader(request: HttpRequest) -> Requester:
    who = caller(request)
    if who.device is not None:
        raise Forbidden(_("A device token only creates its own Observations."), "sta_forbidden")
    if who.user is None:
        raise Unauthenticated(
            _("Log in, or send an API token (Bearer, or as the password of HTTP Basic).")
        )
    return who.user


def _get(request: HttpRequest, base: str, path: str) -> HttpResponse:
    segments = paths.segments(path)
    if not segments:
        return _json(read.root(read.Context(base, AnonymousUser())))
    user = _reader(request)
    opts = options.parse((k, v) for k, values in request.GET.lists() for v in values)
    target = paths.resolve(user, segments)
    url = request.build_absolute_uri(request.path)
    body = read.answer(read.Context(base, user), target, opts, url)
    if target.raw_value:
        return HttpResponse("" if body is None else str(body), content_type="text/plain")
    return _json(body)


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(
            _("The request body is not valid JSON: %(why)s.") % {"why": exc},
            fields={"body": [str(exc)]},
        ) from None


def _post(request: HttpRequest, base: str, path: str) -> HttpResponse:
    segments = paths.segments(path)
    who = caller(request)
    if who.user is None and who.device is None:
        raise Unauthenticated(_("Send the device's token, or a staff API token."))
    if [s.name for s in segments] == ["CreateObservations"] and segments[0].id is None:
        batches = write.data_arrays(_body(request))
        links = _store(who, batches, base)
        return _json(links, 201)
    names = [s.name for s in segments]
    if names == ["Observations"] and segments[0].id is None:
        batch = write.observation(_body(request), None)
    elif names == ["Datastreams", "Observations"] and segments[0].id is not None:
        if segments[1].id is not None:
            raise _not_allowed()
        batch = write.observation(_body(request), segments[0].id)
    else:
        raise _not_allowed()
    link = _store(who, [batch], base)[0]
    reading_id = int(link.rpartition("(")[2].rstrip(")"))
    ctx = read.Context(base, who.user or AnonymousUser())
    body = read.entity(ctx, SETS["Observations"], Reading.objects.get(pk=reading_id), NO_OPTIONS)
    response = _json(body, 201)
    response["Location"] = link
    return response


def _not_allowed() -> ServiceError:
    return ServiceError(
        _(
            "Only Observations are created here: POST to Observations, "
            "Datastreams(<id>)/Observations or CreateObservations."
        ),
        "method_not_allowed",
        status=405,
    )


def _gauge_for(who: Caller, datastream_id: int, name: str) -> Device:
    missing = NotFound(
        _("No Datastream %(id)s (or not one you may write to).") % {"id": datastream_id},
        "sta_not_found",
        fields={name: [str(datastream_id)]},
    )
    if who.device is not None:
        if who.device.pk != datastream_id:
            if Device.objects.filter(pk=datastream_id).exists():
                raise Forbidden(
                    _("A device token writes only its own Datastream."), "sta_forbidden"
                )
            raise missing
        return who.device
    assert who.user is not None
    gauge = (
        visible_gauges(who.user).select_related("point__region").filter(pk=datastream_id).first()
    )
    if gauge is None:
        raise missing
    return gauge


def _store(who: Caller, batches: list[write.Batch], base: str) -> list[str]:
    """Every batch checked first, then ingested (each a transaction); the links of the rows."""
    gauges = []
    for index, batch in enumerate(batches):
        name = "Datastream" if len(batches) == 1 else f"{index}.Datastream"
        gauges.append(_gauge_for(who, batch.datastream_id, name))
        for (at, _value), row_name in zip(batch.rows, batch.names, strict=True):
            if not ingest.FIRST <= at < ingest.LAST:
                message = _("a time between 2000 and 2100.")
                raise Invalid(f"{row_name}: {message}", "sta_invalid", fields={row_name: [message]})
    links = []
    for gauge, batch in zip(gauges, batches, strict=True):
        rows = [ingest.ReadingRow(time=at, value=value) for at, value in batch.rows]
        outcome = ingest.ingest(gauge, rows)
        if who.user is not None:
            record(
                "flood.sta.observations",
                actor=who.user,  # type: ignore[arg-type]
                obj=gauge.point,
                device=gauge.code,
                stored=outcome.stored,
            )
        times = [at for at, _v in batch.rows]
        found = dict(
            Reading.objects.filter(
                device=gauge, at__gte=min(times), at__lte=max(times)
            ).values_list("at", "pk")
        )
        links += [f"{base}/Observations({found[at]})" for at in times]
    return links
