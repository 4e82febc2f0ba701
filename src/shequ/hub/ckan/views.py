"""HTTP for the CKAN-compatible API: read the call, run the action, answer in CKAN's envelope.

``{"help": …, "success": true, "result": …}``, or ``"success": false`` with an ``error`` object
whose ``__type`` ckanapi turns back into its exceptions (NotFound, NotAuthorized,
ValidationError, SearchQueryError).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from shequ.core.services import tokens
from shequ.hub.ckan.actions import ACTIONS
from shequ.hub.ckan.dcat import catalog_document
from shequ.hub.ckan.errors import ActionError, BadRequest, NotAuthorized
from shequ.hub.ckan.params import Call

TOKEN_HEADERS = ("Authorization", "X-CKAN-API-Key", "X-Api-Token")


@csrf_exempt  # read-only; a browser's session is honoured for GET only (see caller)
def action(request: HttpRequest, name: str) -> HttpResponse:
    site = request.build_absolute_uri("/").rstrip("/")
    envelope: dict[str, Any] = {"help": f"{site}/api/3/action/help_show?name={name}"}
    status = 200
    try:
        if request.method not in ("GET", "HEAD", "POST"):
            raise BadRequest(_("use GET or POST"))
        function = ACTIONS.get(name)
        if function is None:
            raise BadRequest(_("Action name not known: %(name)s") % {"name": name})
        call = Call(caller(request), request_params(request), site=site, path=request.path)
        envelope["result"] = function(call)
        envelope["success"] = True
    except ActionError as exc:
        envelope.pop("result", None)
        envelope["success"] = False
        envelope["error"] = exc.body()
        status = exc.status
    response = JsonResponse(envelope, status=status, json_dumps_params={"ensure_ascii": False})
    # Answers depend on the caller and may hold (masked) personal data: never cache them.
    response["Cache-Control"] = "no-store"
    response["Vary"] = "Authorization, X-CKAN-API-Key, Cookie, Accept-Language"
    return response


def caller(request: HttpRequest) -> Any:
    """The user of the API token sent (CKAN's raw ``Authorization`` value, or ``Bearer …``).

    A token that is sent but not valid is refused rather than treated as anonymous, so a client
    with a revoked token learns it. Without a token, a logged-in browser session counts for GET.
    """
    for header in TOKEN_HEADERS:
        raw = (request.headers.get(header) or "").strip()
        if not raw:
            continue
        if raw.lower().startswith("bearer "):
            raw = raw[7:].strip()
        user = tokens.authenticate(raw)
        if user is None:
            raise NotAuthorized(_("the API token is not valid, has expired or was revoked."))
        return user
    user = getattr(request, "user", None)
    if request.method in ("GET", "HEAD") and user is not None and user.is_authenticated:
        return user if user.is_active else None
    return None


def request_params(request: HttpRequest) -> dict[str, Any]:
    """GET: the query string (a repeated name gives a list); POST: the JSON object or form."""
    if request.method == "POST":
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return _flat(request.POST)
        if request.body.strip():
            try:
                data = json.loads(request.body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BadRequest(_("JSON Error: %(error)s") % {"error": exc}) from None
            if not isinstance(data, dict):
                raise BadRequest(_("JSON Error: the request body must be a JSON object."))
            return data
    return _flat(request.GET)


def _flat(query: Any) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in query.lists()}


@require_safe
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    """The public catalogue in DCAT-AP JSON-LD."""
    call = Call(None, {}, site=request.build_absolute_uri("/").rstrip("/"))
    body = json.dumps(catalog_document(call), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/ld+json; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
