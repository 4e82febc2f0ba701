"""The guidance sign (诱导屏) at the estate gate: a full-screen page and a ParkAPI-like feed.

Public (a TV shows it without logging in) and free of personal data. The page polls a small
fragment every few seconds; the board behind both is computed at most once a second.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from shequ.parking.models import Estate
from shequ.parking.services import web_support as web

POLL_SECONDS = 2


def _sign(code: str) -> tuple[Estate, dict[str, Any]]:
    found = web.sign_for(code)
    if found is None:
        raise Http404("No such sign.")
    return found


def _context(code: str) -> dict[str, Any]:
    estate, board = _sign(code)
    lots = [lot | {"direction_label": web.compass_label(lot["direction"])} for lot in board["lots"]]
    updated = parse_datetime(board["last_updated"]) or timezone.now()
    return {
        "estate": estate,
        "lots": lots,
        "updated": timezone.localtime(updated),
        "poll": POLL_SECONDS,
        "code": estate.slug,
    }


@require_GET
def sign_page(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "parking/sign/sign.html", _context(code))


@require_GET
def sign_board(request: HttpRequest, code: str) -> HttpResponse:
    response = render(request, "parking/sign/board.html", _context(code))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def sign_json(request: HttpRequest, code: str) -> JsonResponse:
    """ParkAPI-style: ``{"last_updated", "lots": [{"id", "name", "state", "free", "total" …}]}``.

    ``state`` is ``open`` (sharing now, live data), ``closed`` (not sharing now) or ``nodata``
    (sharing now, but the garage's feed has stopped): ``free`` is null unless ``open``.
    """
    _estate, board = _sign(code)
    lots = [
        {
            "id": lot["id"],
            "name": lot["name"],
            "address": lot["address"],
            "coords": lot["coords"],
            "lot_type": "underground",
            "state": lot["state"],
            "free": lot["free"],
            "total": lot["total"],
            "forecast": False,
            "distance_m": lot["distance_m"],
            "direction": lot["direction"],
            "last_signal": lot["last_signal"],
        }
        for lot in board["lots"]
    ]
    body = {
        "last_updated": board["last_updated"],
        "data_source": "shequ",
        "estate": board["estate"],
        "stale_minutes": board["stale_minutes"],
        "lots": lots,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "max-age=1"
    return response
