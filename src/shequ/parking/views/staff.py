"""Community staff pages: reviews, offline payments, passes, waiting lists, refunds, overstays.

Lists are scoped to the regions where the user is staff (``staff_scope``); every action goes
through a service that checks the object's region again. Plates and phones are masked.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.parking.forms import (
    ConfirmForm,
    DecideForm,
    NoteForm,
    RankForm,
    ReasonForm,
    RefundDoneForm,
    StaffRefundForm,
)
from shequ.parking.models import Application, Order, Pass, Refund, Violation, WaitingListEntry
from shequ.parking.services import applications, overstay, passes, payments, refunds
from shequ.parking.services import staff as staff_queues
from shequ.parking.services import waiting as waiting_svc
from shequ.parking.services import web_support as web
from shequ.parking.services.access import require_staff, staff_scope
from shequ.parking.services.errors import Conflict
from shequ.parking.views.common import error_text, put_errors, require_staff_somewhere


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    counts = staff_queues.counts(request.user)
    return render(request, "parking/staff/home.html", {"counts": counts})


# Applications -------------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    apps = staff_queues.applications(request.user)
    return render(request, "parking/staff/applications.html", {"apps": apps})


@login_required
def application_review(request: HttpRequest, app_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    app = get_object_or_404(
        staff_scope(Application.objects.all(), request.user, "estate__region").select_related(
            "estate__region", "resident__parking_account"
        ),
        pk=app_id,
    )
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("action") == "approve"
        try:
            applications.decide(
                user_of(request), app, approve=approve, note=form.cleaned_data["note"]
            )
        except (ValidationError, Conflict) as exc:
            if isinstance(exc, ValidationError):
                put_errors(form, exc)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Application approved.") if approve else _("Application rejected.")
            )
            return redirect("parking:staff-applications")
    account = getattr(app.resident, "parking_account", None)
    return render(
        request,
        "parking/staff/application.html",
        {
            "app": app,
            "phone": account.phone_masked if account else "",
            "verification": app.verification or {},
            "form": form,
            "open": app.status in staff_queues.REVIEW,
        },
    )


# Offline payments ---------------------------------------------------------------------------


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    query = request.GET.get("q", "").strip()
    rows = [
        {
            "order": o,
            "amount": web.yuan(o.amount_fen),
            "method": payments.provider_label(o.provider),
            "refunded": web.yuan(o.refunded) if o.refunded else "",
            "form": _confirm_form(o),
            "refund_form": StaffRefundForm(prefix=f"r{o.number}"),
        }
        for o in staff_queues.orders(request.user, query)
    ]
    return render(request, "parking/staff/orders.html", {"rows": rows, "q": query})


def _confirm_form(order: Order) -> ConfirmForm:
    return ConfirmForm(initial={"amount_yuan": web.yuan(order.amount_fen)}, prefix=order.number)


@require_POST
@login_required
def order_confirm(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(
        Order.objects.select_related("pass_obj__garage__region"), number=number
    )
    form = ConfirmForm(request.POST, prefix=order.number)
    if not form.is_valid():
        messages.error(request, _("Give the reference and the amount received."))
        return redirect("parking:staff-orders")
    try:
        payments.confirm_offline(
            user_of(request),
            order,
            reference=form.cleaned_data["reference"],
            amount_fen=form.amount_fen(),
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        order.refresh_from_db()
        messages.success(request, _("Payment for order %(n)s confirmed.") % {"n": order.number})
    return redirect("parking:staff-orders")


@require_POST
@login_required
def order_refund(request: HttpRequest, number: str) -> HttpResponse:
    """Refund all or part of a paid order; online payments go back through their provider."""
    order = get_object_or_404(
        Order.objects.select_related("pass_obj__garage__region"), number=number
    )
    form = StaffRefundForm(request.POST, prefix=f"r{order.number}")
    if not form.is_valid():
        messages.error(request, _("Give the amount to refund and the reason."))
        return redirect(f"{reverse('parking:staff-orders')}?q={order.number}")
    try:
        refund = refunds.staff_refund(
            user_of(request),
            order,
            amount_fen=form.amount_fen(),
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _refund_message(refund))
    return redirect(f"{reverse('parking:staff-orders')}?q={order.number}")


def _refund_message(refund: Refund) -> str:
    yuan = web.yuan(refund.amount_fen)
    if refund.status == Refund.Status.COMPLETED:
        return _("¥%(y)s refunded through the payment service.") % {"y": yuan}
    if refund.status == Refund.Status.PROCESSING:
        return _("¥%(y)s is being refunded by the payment service.") % {"y": yuan}
    return _("¥%(y)s is owed back; pay it and mark it under Refunds.") % {"y": yuan}


# Passes -------------------------------------------------------------------------------------


@login_required
def pass_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    status = request.GET.get("status", "")
    statuses = [status] if status in Pass.Status.values else Pass.HOLDING
    found = staff_queues.passes(request.user, statuses)
    return render(
        request,
        "parking/staff/passes.html",
        {"passes": found, "status": status, "statuses": Pass.Status.choices},
    )


def _staff_pass(request: HttpRequest, pass_id: int) -> Pass:
    return get_object_or_404(Pass.objects.select_related("garage__region"), pk=pass_id)


@require_POST
@login_required
def pass_action(request: HttpRequest, pass_id: int, action: str) -> HttpResponse:
    if action not in ("suspend", "reinstate", "cancel"):
        raise Http404
    pass_obj = _staff_pass(request, pass_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if action == "cancel":
        require_staff(request.user, pass_obj.garage.region.code)  # not the resident's own cancel
        passes.cancel(user_of(request), pass_obj, reason=reason or _("Cancelled by staff"))
        messages.info(request, _("Pass cancelled; a refund follows the garage's rule."))
    else:
        passes.set_suspended(user_of(request), pass_obj, action == "suspend", reason)
        messages.info(
            request, _("Pass suspended.") if action == "suspend" else _("Pass reinstated.")
        )
    return redirect("parking:staff-passes")


# Waiting lists ------------------------------------------------------------------------------


@login_required
def waiting_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    groups: dict[tuple[str, str], list[WaitingListEntry]] = {}
    for entry in staff_queues.waiting(request.user):
        groups.setdefault((entry.garage.name, entry.plan_code), []).append(entry)
    return render(request, "parking/staff/waiting.html", {"groups": groups})


@require_POST
@login_required
def waiting_action(request: HttpRequest, entry_id: int, action: str) -> HttpResponse:
    if action not in ("move", "remove"):
        raise Http404
    entry = get_object_or_404(
        WaitingListEntry.objects.select_related("garage__region", "application"), pk=entry_id
    )
    try:
        if action == "move":
            form = RankForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"rank": [_("Give a rank from 1.")]})
            waiting_svc.move(user_of(request), entry, form.cleaned_data["rank"])
        else:
            require_staff(request.user, entry.garage.region.code)
            waiting_svc.remove(user_of(request), entry)
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
    return redirect("parking:staff-waiting")


# Refunds and violations ---------------------------------------------------------------------


@login_required
def refund_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    rows = [
        {"refund": r, "amount": web.yuan(r.amount_fen)} for r in staff_queues.refunds(request.user)
    ]
    return render(request, "parking/staff/refunds.html", {"rows": rows, "form": RefundDoneForm()})


@require_POST
@login_required
def refund_complete(request: HttpRequest, refund_id: int) -> HttpResponse:
    refund = get_object_or_404(
        Refund.objects.select_related("order__pass_obj__garage__region"), pk=refund_id
    )
    form = RefundDoneForm(request.POST)
    try:
        refunds.complete_refund(
            user_of(request), refund, form.data.get("reference", "") if form.is_bound else ""
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Refund marked as paid back."))
    return redirect("parking:staff-refunds")


@require_POST
@login_required
def refund_via_provider(request: HttpRequest, refund_id: int) -> HttpResponse:
    refund = get_object_or_404(
        Refund.objects.select_related("order__pass_obj__garage__region"), pk=refund_id
    )
    try:
        refund = refunds.refund_online(user_of(request), refund)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _refund_message(refund))
    return redirect("parking:staff-refunds")


@login_required
def violation_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    found = staff_queues.violations(request.user)
    return render(
        request, "parking/staff/violations.html", {"violations": found, "form": NoteForm()}
    )


@require_POST
@login_required
def violation_resolve(request: HttpRequest, violation_id: int) -> HttpResponse:
    violation = get_object_or_404(
        Violation.objects.select_related("garage__region"), pk=violation_id
    )
    form = NoteForm(request.POST)
    overstay.resolve(
        user_of(request), violation, form.cleaned_data["note"] if form.is_valid() else ""
    )
    messages.success(request, _("Violation closed."))
    return redirect("parking:staff-violations")
