"""The parking part of ``shequ demo``: the seed's estate, five office garages sharing at night.

It runs after the demo hub is loaded: the indices are computed over the eight weeks of gate
records, each garage then shares what the indices found idle at night (the seed's ~600
spaces), residents whose cars the hub knows apply and buy passes through the ordinary
services, and the operator's head count makes the guidance sign live. Running it again
refreshes the same objects.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from shequ.core import pii
from shequ.core.models import Region
from shequ.core.types import User
from shequ.hub.models import Dataset
from shequ.parking.models import Estate, Garage, GateDevice, Pass, Product, PublicHoliday
from shequ.parking.services import applications, garages, passes, payments, residents
from shequ.parking.services.occupancy import record_count

log = logging.getLogger(__name__)

HOURS = "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00"
PRICES = {"monthly": 30_000, "quarterly": 85_000, "yearly": 320_000}  # fen
HOLIDAYS = [
    (date(2027, 1, 1), "元旦"),
    (date(2027, 2, 6), "春节"),
    (date(2027, 2, 7), "春节"),
    (date(2027, 2, 8), "春节"),
    (date(2027, 2, 9), "春节"),
    (date(2027, 2, 10), "春节"),
    (date(2027, 2, 11), "春节"),
    (date(2027, 2, 12), "春节"),
]
DEMO_PASSES = 12  # residents of 锦绣花园 who bought a pass already


def build() -> dict[str, Any]:
    from shequ.demo.data.parking import GARAGES
    from shequ.demo.data.people import ESTATE_SITES, ESTATES
    from shequ.parking.indices import night_idle
    from shequ.parking.services.indices import compute_and_publish_indices

    operator = get_user_model().objects.get(username="garage")
    staff = get_user_model().objects.get(username="community")
    report = compute_and_publish_indices()
    idle = (
        {n.garage_code: n.idle_spaces for n in night_idle(report.window)} if report.window else {}
    )

    with transaction.atomic():
        for day, name in HOLIDAYS:
            PublicHoliday.objects.update_or_create(day=day, region=None, defaults={"name": name})
        estates = {}
        for code, name, region_code, _households in ESTATES:
            site = ESTATE_SITES[code]
            estates[code], _ = Estate.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "region": Region.objects.get(code=region_code),
                    "slug": code.lower(),
                    "lat": site.lat,
                    "lon": site.lon,
                },
            )
        home = Region.objects.get(code=ESTATES[0][2])
        for g in GARAGES:
            garage, _ = Garage.objects.update_or_create(
                code=g.code,
                defaults={
                    "name": g.name,
                    "region": home,
                    "lat": g.lat,
                    "lon": g.lon,
                    "total_spaces": g.capacity,
                    "entrances": ["主入口", "东出口"],
                },
            )
            garage.operators.add(operator)
            if not garage.plans.exists():
                garages.declare_plan(
                    operator,
                    garage,
                    code="night",
                    name="夜间及周末错峰",
                    capacity=max(idle.get(g.code, 0), 1),
                    hours=HOURS,
                )
            for kind, fen in PRICES.items():
                if not Product.objects.filter(garage=garage, plan_code="night", kind=kind).exists():
                    garages.set_product(
                        operator, garage, plan_code="night", kind=kind, price_fen=fen
                    )
            if not GateDevice.objects.filter(garage=garage).exists():
                garages.issue_device(operator, garage, "主入口")
    hub_loaded = Dataset.objects.filter(key="vehicle_registrations", version__isnull=False)
    sold = _sell_demo_passes(estates["E001"], staff) if hub_loaded.exists() else 0
    for garage in Garage.objects.filter(code__in=[g.code for g in GARAGES]):
        record_count(operator, garage, occupied=garage.occupied, note="演示数据：开馆清点")
    log.info("parking demo: %s idle night spaces shared, %d passes", sum(idle.values()), sold)
    return {"idle": idle, "passes": sold}


def _sell_demo_passes(estate: Estate, staff: User) -> int:
    """Residents the hub knows apply, buy a monthly pass and pay at the office."""
    from shequ.demo.data.people import demo_vehicles

    if Pass.objects.filter(garage__code__startswith="G").exists():
        return Pass.objects.count()
    cars = [v for v in demo_vehicles() if v["estate_code"] == estate.code]  # the hub knows them
    near = [g for g, _walk in garages.garages_near(estate)]
    sold = 0
    if len(cars) > DEMO_PASSES:  # the demo login "resident": a car the hub knows, no pass yet
        demo_user = get_user_model().objects.filter(username="resident").first()
        if demo_user is not None:
            residents.resident_for_phone(cars[DEMO_PASSES]["owner_phone"], estate, demo_user)
    for car in cars[:DEMO_PASSES]:
        phone = car["owner_phone"]
        user = residents.resident_for_phone(phone, estate)
        app = applications.apply(user, estate, plates=[car["plate"]], name=car["owner_name"])
        if app.status != "verified":
            log.warning(
                "parking demo: %s was not verified (%s)", pii.mask_plate(car["plate"]), app.status
            )
            continue
        garage = near[sold % len(near)]
        product = Product.objects.get(garage=garage, plan_code="night", kind="monthly")
        order = passes.buy(user, app, product)
        payments.confirm_offline(
            staff, order, reference=f"DEMO-{sold + 1:04d}", amount_fen=order.amount_fen
        )
        sold += 1
    return sold
