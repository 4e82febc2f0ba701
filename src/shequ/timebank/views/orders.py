"""What the parties do to an order from the request's page (each a POST, then back there)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.timebank.forms import CheckOutForm, ConfirmForm, RateForm, ReasonForm
from shequ.timebank.services import access, orders, ratings
from shequ.timebank.views.common import act


@login_required
@require_POST
def take(request: HttpRequest, request_id: int) -> HttpResponse:
    user = user_of(request)
    req = access.get_request(user, request_id)
    return act(
        request,
        lambda: orders.take(user, req),
        _("You took the order. Thank you!"),
        "timebank:request",
        req.pk,
    )


@login_required
@require_POST
def step(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    """hand-back, check-in, check-out, confirm, object, no-show, rate or thank one order."""
    user = user_of(request)
    order = access.get_order(user, order_id)
    reason = ReasonForm(request.POST)
    reason_text = reason.cleaned_data["reason"] if reason.is_valid() else ""
    calls = {
        "hand-back": (
            lambda: orders.hand_back(user, order, reason=reason_text),
            _("You handed the order back; it is open again."),
        ),
        "check-in": (lambda: orders.check_in(user, order), _("Checked in.")),
        "check-out": (
            lambda: orders.check_out(user, order, minutes=_minutes(CheckOutForm(request.POST))),
            _("Checked out. The requester is asked to confirm."),
        ),
        "confirm": (
            lambda: orders.confirm(user, order, minutes=_minutes(ConfirmForm(request.POST))),
            _("Confirmed: the hours went to the volunteer."),
        ),
        "object": (
            lambda: orders.object_to(user, order, reason=reason_text),
            _("Your objection went to the community staff."),
        ),
        "no-show": (lambda: orders.mark_no_show(user, order), _("Marked as a no-show.")),
        "rate": (lambda: _rate(request, order), _("Thank you for your rating.")),
        "thank": (
            lambda: ratings.thank(user, order, text=request.POST.get("text", "")),
            _("Your thank-you note went to the volunteer."),
        ),
    }
    if action not in calls:
        raise Http404("No such step of an order.")
    call, done = calls[action]
    return act(request, call, done, "timebank:request", order.request_id)


def _minutes(form: CheckOutForm | ConfirmForm) -> int | None:
    if not form.is_valid():
        from shequ.timebank.services.errors import Invalid

        fields = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
        raise Invalid(" ".join(m for msgs in fields.values() for m in msgs), fields=fields)
    value = form.cleaned_data.get("minutes")
    return int(value) if value else None


def _rate(request: HttpRequest, order: object) -> object:
    form = RateForm(request.POST)
    if not form.is_valid():
        from shequ.timebank.services.errors import Invalid

        raise Invalid(_("Choose 1 to 5 stars."), fields={"score": [_("Choose 1 to 5 stars.")]})
    from shequ.timebank.models import Order

    assert isinstance(order, Order)
    return ratings.rate(
        user_of(request), order, score=form.cleaned_data["score"], text=form.cleaned_data["text"]
    )
