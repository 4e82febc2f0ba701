"""Hub pages of ingest runs: the list, one run, its quarantined rows as CSV."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.hub.access import require_hub
from shequ.hub.forms.runs import RunFilterForm
from shequ.hub.models import IngestRun
from shequ.hub.sample import quarantine_head
from shequ.hub.services import catalog
from shequ.hub.views.catalog import dataset_choices

QUARANTINE_SHOWN = 50


def visible_runs(user: User) -> QuerySet[IngestRun]:
    return IngestRun.objects.filter(dataset__in=catalog.visible_datasets(user)).select_related(
        "dataset", "source", "triggered_by"
    )


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    user = require_hub(request)
    datasets = catalog.visible_datasets(user)
    form = RunFilterForm(request.GET or None, datasets=dataset_choices(datasets))
    qs = visible_runs(user)
    if form.is_valid() and form.cleaned_data["dataset"]:
        qs = qs.filter(dataset__key=form.cleaned_data["dataset"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request, "hub/runs.html", {"form": form, "page": page, "filters": filters.urlencode()}
    )


@login_required
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(visible_runs(require_hub(request)), pk=run_id)
    rejected = quarantine_head(run, QUARANTINE_SHOWN)
    return render(
        request,
        "hub/run.html",
        {
            "run": run,
            "rejected": rejected,
            "more_rejected": max(run.rows_rejected - len(rejected), 0),
            "has_quarantine": bool(run.quarantine) and Path(run.quarantine).is_file(),
            "active": run.status in (IngestRun.Status.QUEUED, IngestRun.Status.RUNNING),
        },
    )


@login_required
def quarantine(request: HttpRequest, run_id: int) -> FileResponse:
    """The run's rejected rows as CSV (row, column, reason), for those who see the dataset."""
    run = get_object_or_404(visible_runs(require_hub(request)), pk=run_id)
    if not run.quarantine or not Path(run.quarantine).is_file():
        raise Http404(_("This run rejected no rows."))
    return FileResponse(
        open(run.quarantine, "rb"),  # FileResponse closes it
        as_attachment=True,
        filename=f"{run.dataset.key}-run-{run.pk}-quarantine.csv",
        content_type="text/csv; charset=utf-8",
    )
