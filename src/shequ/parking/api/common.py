"""Shapes shared by the parking endpoints."""

from typing import Any

from ninja import Router

from shequ.parking.models import Application, Garage, Order, Pass, SharingPlan, Violation

# One router for every parking module: ninja serves the methods of one path from one router
# (GET /passes for staff and POST /passes for residents live in different modules).
router = Router(tags=["parking"])


def garage_out(g: Garage) -> dict[str, Any]:
    return {
        "id": g.pk,
        "code": g.code,
        "name": g.name,
        "region_code": g.region.code,
        "address": g.address,
        "lat": g.lat,
        "lon": g.lon,
        "total_spaces": g.total_spaces,
        "entrances": g.entrances,
        "normal_rule": g.normal_rule,
        "refund_rule": g.refund_rule,
        "grace_minutes": g.grace_minutes,
        "escalate_minutes": g.escalate_minutes,
        "suspend_after": g.suspend_after,
        "suspend_window_days": g.suspend_window_days,
    }


def plan_out(p: SharingPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "capacity": p.capacity,
        "hours": p.hours,
        "valid_from": p.valid_from,
    }


def application_out(a: Application) -> dict[str, Any]:
    return {
        "id": a.pk,
        "estate": a.estate.slug,
        "plates": a.plates_masked,
        "name": a.name_masked,
        "status": a.status,
        "verification": a.verification,
        "proof_note": a.proof_note,
        "proof_reference": a.proof_reference,
        "preferences": a.preferences,
        "priority_group": a.priority_group,
        "walking_m": a.walking_m,
        "review_note": a.review_note,
        "created": a.created,
    }


def pass_out(p: Pass) -> dict[str, Any]:
    order: Order | None = getattr(p, "order", None)
    return {
        "id": p.pk,
        "garage": p.garage_id,
        "garage_name": p.garage.name,
        "plan_code": p.plan_code,
        "hours": p.plan.hours,
        "product": p.product.kind,
        "plates": [pp.plate_masked for pp in p.plates.all()],
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "status": p.status,
        "hold_until": p.hold_until,
        "order": order.number if order else None,
        "amount_fen": order.amount_fen if order else None,
        "order_status": order.status if order else None,
        "renews": p.renews_id,
        "suspended_reason": p.suspended_reason,
    }


PASS_RELATED = ("garage", "plan", "product", "order")


def violation_out(v: Violation) -> dict[str, Any]:
    return {
        "id": v.pk,
        "garage": v.garage_id,
        "pass_id": v.pass_obj_id,
        "plate": v.plate_masked,
        "window_end": v.window_end,
        "detected_at": v.detected_at,
        "resident_notified_at": v.resident_notified_at,
        "operator_notified_at": v.operator_notified_at,
        "left_at": v.left_at,
        "status": v.status,
        "note": v.note,
    }
