"""Hub pages of sources: the list, adding one, running one now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.forms.sources import SourceForm
from shequ.hub.models import Dataset, IngestRun, Source
from shequ.hub.services import catalog, sources
from shequ.hub.views.catalog import dataset_choices


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    user = require_hub(request)
    visible = list(catalog.visible_datasets(user))
    managed = [d for d in visible if sources.can_manage(user, d)]
    if request.method == "POST" and not managed:
        raise PermissionDenied(_("You do not manage any dataset."))
    form = SourceForm(
        request.POST or None,
        datasets=dataset_choices(managed),
        initial={"dataset": request.GET.get("dataset", "")},
    )
    if request.method == "POST" and form.is_valid():
        source = save_source(request, form, {d.key: d for d in managed})
        if source is not None:
            messages.success(request, _("The source was saved."))
            return redirect("hub:sources")
    newest = IngestRun.objects.filter(source=OuterRef("pk")).order_by("-created", "-id")
    items = list(
        Source.objects.filter(dataset__in=visible)
        .select_related("dataset")
        .annotate(last_run_id=Subquery(newest.values("id")[:1]))
    )
    last_ids = {s.pk: getattr(s, "last_run_id", None) for s in items}
    last_runs = IngestRun.objects.in_bulk([i for i in last_ids.values() if i])
    managed_keys = {d.key for d in managed}
    for s in items:
        s.manageable = s.dataset.key in managed_keys  # type: ignore[attr-defined]
        s.last_run = last_runs.get(last_ids[s.pk])  # type: ignore[attr-defined]
    return render(
        request, "hub/sources.html", {"sources": items, "form": form, "can_add": bool(managed)}
    )


def save_source(request: HttpRequest, form: SourceForm, managed: dict[str, Dataset]) -> Any:
    """Save the form's source; None with the errors put next to their fields."""
    data = dict(form.cleaned_data)
    dataset = managed[data.pop("dataset")]
    try:
        return sources.save_source(user_of(request), dataset, **data)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            if field.startswith("config."):
                key = field.removeprefix("config.")
                shown = errors if key == NON_FIELD_ERRORS else [f"{key}: {e}" for e in errors]
                form.add_error("config", shown)
            else:
                form.add_error(field if field in form.fields else None, errors)
        return None


@login_required
@require_POST
def source_run(request: HttpRequest, source_id: int) -> HttpResponse:
    user = require_hub(request)
    source = get_object_or_404(
        Source.objects.filter(dataset__in=catalog.visible_datasets(user)).select_related("dataset"),
        pk=source_id,
    )
    sources.require_manage(user, source.dataset)
    run = sources.queue_run(source, user=user)
    messages.success(request, _("A run was queued; the worker carries it out shortly."))
    return redirect("hub:run", run_id=run.pk)
