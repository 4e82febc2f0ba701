"""Camera snapshots: only for who watches the point's region, never kept by a shared cache."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from shequ.flood.models import CameraEvent
from shequ.flood.services import access
from shequ.flood.views.common import watcher_required
from shequ.flood.views.tasks import serve_image


def _event(request: HttpRequest, event_id: int) -> CameraEvent:
    event = (
        CameraEvent.objects.select_related("device__point__region")
        .filter(pk=event_id, device__point__in=access.visible_points(request.user))
        .first()
    )
    if event is None:
        raise Http404(_("No such camera event."))
    return event


@watcher_required
def image(request: HttpRequest, event_id: int) -> FileResponse:
    event = _event(request, event_id)
    return serve_image(request, event.device.point, event.image)


@watcher_required
def thumb(request: HttpRequest, event_id: int) -> FileResponse:
    """The event's thumbnail (the vendor's, or made from the snapshot); the snapshot itself
    when it is small already or could not be decoded."""
    event = _event(request, event_id)
    return serve_image(request, event.device.point, event.thumb or event.image)
