"""Flowback pages: publish a community dataset, follow datasets, see my subscriptions."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.permissions import Perm, regions_for
from shequ.hub.access import require_hub
from shequ.hub.connectors.base import safe_file_name
from shequ.hub.forms.flowback import PublishForm
from shequ.hub.services import flowback
from shequ.hub.views.catalog import visible_dataset


@login_required
def subscriptions_page(request: HttpRequest) -> HttpResponse:
    user = require_hub(request)
    subs = list(flowback.subscriptions_of(user))
    return render(
        request,
        "hub/subscriptions.html",
        {
            "subscriptions": subs,
            "can_publish": regions_for(user, Perm.PUBLISH_HUB).exists(),
        },
    )


@login_required
@require_POST
def subscription_toggle(request: HttpRequest, key: str) -> HttpResponse:
    user = require_hub(request)
    dataset = visible_dataset(request, key)
    current = flowback.subscriptions_of(user).filter(dataset=dataset).first()
    if current is not None:
        flowback.unsubscribe(user, current)
        messages.success(request, _("You no longer follow this dataset."))
    else:
        try:
            flowback.subscribe(user, dataset)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("You will be told of each new version."))
    return redirect("hub:dataset", key=dataset.key)


@login_required
def publish_page(request: HttpRequest) -> HttpResponse:
    user = require_hub(request)
    regions = list(regions_for(user, Perm.PUBLISH_HUB).order_by("code"))
    if not regions:
        raise PermissionDenied(_("You cannot publish datasets."))
    by_code = {r.code: r for r in regions}
    form = PublishForm(
        request.POST or None,
        request.FILES or None,
        regions=[(r.code, f"{r.name} ({r.code})") for r in regions],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        with tempfile.TemporaryDirectory(prefix="shequ-publish-") as tmp:
            path = Path(tmp) / safe_file_name(upload.name or "", default="upload")
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                dataset, _run = flowback.publish_from_file(
                    user,
                    region=by_code[data["region"]],
                    key=data["key"],
                    path=path,
                    sheet=data["sheet"],
                    category=data["category"],
                    title=data["title"],
                    title_en=data["title_en"] or data["title"],
                    description=data["description"],
                    sharing=data["sharing"],
                    frequency=data["frequency"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The dataset is published."))
                return redirect("hub:dataset", key=dataset.key)
    return render(request, "hub/publish.html", {"form": form})
