"""Phone login for residents: a code by SMS, then the code logs them in."""

from __future__ import annotations

from django.contrib.auth import login
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.services.audit import client_ip
from shequ.parking.forms import CodeForm, PhoneForm
from shequ.parking.models import Estate
from shequ.parking.services import residents
from shequ.parking.services.errors import Throttled
from shequ.parking.views.common import next_url, put_errors


def _next(request: HttpRequest) -> str:
    return next_url(request, reverse("parking:me"))


def phone_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number gets a code. Step 2: the code logs the resident in."""
    slug = request.POST.get("estate") or request.GET.get("estate") or ""
    estate = Estate.objects.filter(slug=slug).first() if slug else None
    phone_form = PhoneForm(request.POST if request.POST.get("step") == "phone" else None)
    code_form: CodeForm | None = None
    if request.method == "POST" and request.POST.get("step") == "phone" and phone_form.is_valid():
        code_form = _send(request, phone_form, estate)
    elif request.method == "POST" and request.POST.get("step") == "code":
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            done = _verify(request, code_form)
            if done:
                return redirect(_next(request))
    return render(
        request,
        "parking/resident/login.html",
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "estate": estate,
            "next": _next(request),
            "masked": pii.mask_phone(code_form["phone"].value() or "") if code_form else "",
        },
    )


def _send(request: HttpRequest, form: PhoneForm, estate: Estate | None) -> CodeForm | None:
    phone = form.cleaned_data["phone"]
    try:
        residents.send_code(phone, estate=estate, ip=client_ip(request))
    except ValidationError as exc:
        put_errors(form, exc)
        return None
    except Throttled as exc:
        form.add_error(None, exc.message)
        return None
    except ImproperlyConfigured:
        form.add_error(None, _("Login codes cannot be sent now. Please try again later."))
        return None
    return CodeForm(initial={"phone": pii.validate_phone(phone)})


def _verify(request: HttpRequest, form: CodeForm) -> bool:
    try:
        user = residents.verify_code(
            form.cleaned_data["phone"], form.cleaned_data["code"], signed_in=request.user
        )
    except ValidationError as exc:
        put_errors(form, exc)
        return False
    except Throttled as exc:
        form.add_error(None, exc.message)
        return False
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return True
