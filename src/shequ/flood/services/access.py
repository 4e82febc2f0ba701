"""Who sees which points: a user sees the points of the regions where they hold ``flood``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ.core.errors import Forbidden, NotFound
from shequ.core.models import Region
from shequ.core.permissions import Perm, can, scope
from shequ.core.types import Requester
from shequ.flood.models import Alert, MonitoringPoint


def visible_points(user: Requester) -> QuerySet[MonitoringPoint]:
    return scope(MonitoringPoint.objects.select_related("region"), user, Perm.FLOOD)


def visible_alerts(user: Requester) -> QuerySet[Alert]:
    qs = Alert.objects.select_related("point", "point__region", "rule", "rule__device")
    return scope(qs, user, Perm.FLOOD, region_field="point__region")


def require_point(user: Requester, point: MonitoringPoint) -> None:
    if not can(user, Perm.FLOOD, point.region.code):
        raise Forbidden(_("You do not watch this point's region."), "flood_forbidden")


def require_region(user: Requester, region: Region) -> None:
    if not can(user, Perm.FLOOD, region.code):
        raise Forbidden(_("You do not watch this region."), "flood_forbidden")


def region_for(user: Requester, code: str) -> Region:
    """A region where the user holds the flood permission; any other is as missing."""
    region = Region.objects.filter(code=code).first()
    if region is None or not can(user, Perm.FLOOD, region.code):
        raise NotFound(_("No such region."), "flood_region_not_found")
    return region


def point_for(user: Requester, code: str) -> MonitoringPoint:
    """A point the user may see; another region's point is as missing as an unknown one."""
    point = visible_points(user).filter(code=code).first()
    if point is None:
        raise NotFound(_("No such monitoring point."), "flood_point_not_found")
    return point


def alert_for(user: Requester, alert_id: int) -> Alert:
    alert = visible_alerts(user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("No such alert."), "flood_alert_not_found")
    return alert
