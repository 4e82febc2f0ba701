"""What the parking pages read: an estate's offer, a resident's overview, the guidance sign.

Read-only helpers over the services (the pages stay thin). The guidance sign (诱导屏) is read
by many screens at once, so its board is computed at most once a second per sign and reads
only the counters the gate path keeps on the garage row.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.core.types import User
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    GateEvent,
    Order,
    Pass,
    Product,
    SharingPlan,
    WaitingListEntry,
)
from shequ.parking.services import capacity, occupancy, passes, periods
from shequ.parking.services import garages as garage_svc
from shequ.parking.services.applications import OPEN

# Compass points clockwise from north: (key, arrow, label).
COMPASS = (
    ("n", "↑", _("north")),
    ("ne", "↗", _("north-east")),
    ("e", "→", _("east")),
    ("se", "↘", _("south-east")),
    ("s", "↓", _("south")),
    ("sw", "↙", _("south-west")),
    ("w", "←", _("west")),
    ("nw", "↖", _("north-west")),
)
SIGN_RADIUS_M = 1500


def stale_minutes() -> int:
    """A garage that sent no gate event and no count for this long while sharing: no data."""
    return int(settings.PARKING_SIGN_STALE_MINUTES)


def sign_cache_seconds() -> float:
    return float(settings.PARKING_SIGN_CACHE_SECONDS)


@dataclass(frozen=True)
class Direction:
    key: str
    arrow: str
    label: str
    degrees: int


def compass_label(key: str) -> str:
    return next((str(label) for k, _a, label in COMPASS if k == key), key)


def direction(lat1: float, lon1: float, lat2: float, lon2: float) -> Direction:
    """The initial compass bearing from point 1 to point 2."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    degrees = (math.degrees(math.atan2(y, x)) + 360) % 360
    key, arrow, label = COMPASS[round(degrees / 45) % 8]
    return Direction(key, arrow, str(label), round(degrees))


# --------------------------------------------------------------------------------------------
# The estate's offer
# --------------------------------------------------------------------------------------------


@dataclass
class ProductOffer:
    product: Product
    plan: SharingPlan
    free: int
    first: Any
    last: Any
    waiting: WaitingListEntry | None = None
    # The last day a pass already holds the application's plates: nothing to buy until then.
    held_until: date | None = None

    @property
    def price_yuan(self) -> str:
        return yuan(self.product.price_fen)

    @property
    def can_buy(self) -> bool:
        """Whether ``passes.buy`` would accept this product now (space free, plates free)."""
        return self.free > 0 and self.held_until is None

    @property
    def can_wait(self) -> bool:
        """Whether joining the waiting list makes sense: full, plates free, not on it yet."""
        return self.free <= 0 and self.held_until is None and self.waiting is None


@dataclass
class GarageOffer:
    garage: Garage
    walking_m: int
    direction: Direction
    products: list[ProductOffer] = field(default_factory=list)


def holds(pass_obj: Pass) -> bool:
    """Whether a pending pass still holds its space (its order may still be paid online)."""
    return pass_obj.hold_until is not None and pass_obj.hold_until > timezone.now()


def yuan(fen: int | None) -> str:
    return f"{(fen or 0) / 100:.2f}"


def garage_products(
    garage: Garage,
    for_application: Application | None = None,
    held_until: date | None = None,
) -> list[Any]:
    """Products on sale whose plan runs today, with the spaces free over their first period."""
    today = periods.today()
    offers = []
    for product in Product.objects.filter(garage=garage, active=True):
        plan = garage_svc.plan_in_force(garage, product.plan_code, today)
        if plan is None:
            continue
        last = periods.pass_end(today, product.months)
        free = capacity.free_spaces(garage, product.plan_code, today, last, for_application)
        offers.append(ProductOffer(product, plan, free, today, last, held_until=held_until))
    return offers


def estate_offer(estate: Estate, for_application: Application | None = None) -> list[GarageOffer]:
    """Garages near the estate (nearest first) and what each sells now (to the application)."""
    held = passes.plates_held_until(for_application, periods.today()) if for_application else None
    found = []
    for garage, metres in garage_svc.garages_near(estate):
        way = direction(estate.lat, estate.lon, garage.lat, garage.lon)
        products = garage_products(garage, for_application, held)
        offer = GarageOffer(garage, metres, way, products)
        if offer.products:
            found.append(offer)
    return found


# --------------------------------------------------------------------------------------------
# A resident's overview
# --------------------------------------------------------------------------------------------


@dataclass
class Overview:
    applications: list[Application]
    passes: list[Pass]
    waiting: list[WaitingListEntry]

    @property
    def open_application(self) -> Application | None:
        return next((a for a in self.applications if a.status in OPEN), None)


def overview(resident: User) -> Overview:
    apps = list(Application.objects.filter(resident=resident).select_related("estate"))
    held = list(
        Pass.objects.filter(resident=resident)
        .exclude(status=Pass.Status.CANCELLED, order__status=Order.Status.CANCELLED)
        .select_related("garage", "plan", "product", "order")
        .prefetch_related("plates")
    )
    waiting = list(
        WaitingListEntry.objects.filter(
            application__resident=resident, status__in=("waiting", "offered")
        ).select_related("garage")
    )
    return Overview(apps, held, waiting)


def renewal_due(pass_obj: Pass) -> bool:
    """Whether the pass's holder should be nudged to renew (7 days before it ends)."""
    from shequ.parking.services.reminders import REMIND_DAYS

    if pass_obj.status != Pass.Status.ACTIVE:
        return False
    return pass_obj.ends_on - periods.today() <= timedelta(days=REMIND_DAYS)


def can_renew(pass_obj: Pass) -> bool:
    if pass_obj.status not in (Pass.Status.ACTIVE, Pass.Status.SUSPENDED):
        return False
    if Pass.objects.filter(renews=pass_obj).exclude(status=Pass.Status.CANCELLED).exists():
        return False
    return pass_obj.ends_on - periods.today() <= timedelta(days=passes.RENEW_FROM_DAYS)


# --------------------------------------------------------------------------------------------
# The guidance sign
# --------------------------------------------------------------------------------------------


def sign_estate(code: str) -> Estate | None:
    """A sign is the estate's own (no Sign model yet): found by the estate's slug or code."""
    estate = Estate.objects.select_related("region").filter(slug=code).first()
    return estate or Estate.objects.select_related("region").filter(code=code).first()


def last_signal(garage: Garage) -> datetime | None:
    """When the garage last told us something: a gate event or the operator's count."""
    latest = GateEvent.objects.filter(garage=garage).aggregate(m=Max("received_at"))["m"]
    times = [t for t in (latest, garage.counted_at) if t is not None]
    return max(times) if times else None


def sign_row(estate: Estate, garage: Garage, metres: int, now: datetime) -> dict[str, Any]:
    snap = occupancy.snapshot(garage)
    signal = last_signal(garage)
    sharing = snap["shared_capacity_now"] > 0
    stale = sharing and (signal is None or now - signal > timedelta(minutes=stale_minutes()))
    state = "nodata" if stale else ("open" if sharing else "closed")
    way = direction(estate.lat, estate.lon, garage.lat, garage.lon)
    return {
        "id": garage.code,
        "name": garage.name,
        "address": garage.address,
        "coords": {"lat": garage.lat, "lng": garage.lon},
        "state": state,
        "free": snap["shared_free"] if state == "open" else None,
        "total": snap["shared_capacity_now"],
        "distance_m": metres,
        "direction": way.key,
        "arrow": way.arrow,
        "last_signal": signal.isoformat() if signal else None,
    }


def _board(estate: Estate) -> dict[str, Any]:
    now = timezone.now()
    rows = [
        sign_row(estate, garage, metres, now)
        for garage, metres in garage_svc.garages_near(estate, limit_m=SIGN_RADIUS_M)
    ]
    return {
        "estate": {"code": estate.code, "slug": estate.slug, "name": estate.name},
        "last_updated": now.isoformat(),
        "stale_minutes": stale_minutes(),
        "lots": rows,
    }


_lock = threading.Lock()
_boards: dict[int, tuple[float, dict[str, Any]]] = {}


def sign_board(estate: Estate) -> dict[str, Any]:
    """The sign's board, computed at most once per ``sign_cache_seconds`` in this process."""
    ttl = sign_cache_seconds()
    hit = _boards.get(estate.pk)
    if hit is not None and time.monotonic() - hit[0] < ttl:
        return hit[1]
    with _lock:  # 200 readers at once: one computes, the others wait for its result
        hit = _boards.get(estate.pk)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        board = _board(estate)
        _boards[estate.pk] = (time.monotonic(), board)
        return board


_signs: dict[str, tuple[float, Estate]] = {}


def sign_for(code: str) -> tuple[Estate, dict[str, Any]] | None:
    """The sign's estate and board by the code in its URL; within ``sign_cache_seconds`` of
    the last look-up a read costs no query (and opens no database connection)."""
    hit = _signs.get(code)
    if hit is not None and time.monotonic() - hit[0] < sign_cache_seconds():
        return hit[1], sign_board(hit[1])
    estate = sign_estate(code)
    if estate is None:
        return None
    _signs[code] = (time.monotonic(), estate)
    return estate, sign_board(estate)


def forget_boards() -> None:
    _boards.clear()
    _signs.clear()
