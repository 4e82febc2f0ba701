"""Hub pages: catalog, dataset, runs, sources. Each view parses input, calls a service, renders."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from shequ.core.types import User, user_of
from shequ.hub.access import access_for, require_hub
from shequ.hub.forms import RunFilterForm, SearchForm, SourceForm, UploadForm
from shequ.hub.models import Dataset, IngestRun, Mode, Source
from shequ.hub.sample import NoGrant, quarantine_head, sample_rows, visible_stats
from shequ.hub.services import catalog, flowback, sources
from shequ.hub.tableschema import TableSchema

GRADES = {
    "core": pgettext_lazy("data grade", "Core"),
    "important": pgettext_lazy("data grade", "Important"),
    "general": pgettext_lazy("data grade", "General"),
}
PII_KINDS = {
    "name": pgettext_lazy("personal information", "Name"),
    "id_card": pgettext_lazy("personal information", "ID number"),
    "phone": pgettext_lazy("personal information", "Phone"),
    "plate": pgettext_lazy("personal information", "Plate"),
    "address": pgettext_lazy("personal information", "Address"),
    "birth_date": pgettext_lazy("personal information", "Birth date"),
    "face": pgettext_lazy("personal information", "Face image"),
    "health": pgettext_lazy("personal information", "Health"),
}
TYPES = {
    "string": gettext_lazy("Text"),
    "integer": gettext_lazy("Integer"),
    "number": gettext_lazy("Number"),
    "boolean": gettext_lazy("Yes/no"),
    "date": gettext_lazy("Date"),
    "datetime": gettext_lazy("Date and time"),
    "time": gettext_lazy("Time"),
}
FREQUENCIES = {
    "realtime": gettext_lazy("Real time"),
    "hourly": gettext_lazy("Hourly"),
    "daily": gettext_lazy("Daily"),
    "weekly": gettext_lazy("Weekly"),
    "monthly": gettext_lazy("Monthly"),
    "quarterly": gettext_lazy("Quarterly"),
    "yearly": gettext_lazy("Yearly"),
}
QUARANTINE_SHOWN = 50


def visible_dataset(request: HttpRequest, key: str) -> Dataset:
    return get_object_or_404(catalog.visible_datasets(require_hub(request)), key=key)


def visible_runs(user: User) -> QuerySet[IngestRun]:
    return IngestRun.objects.filter(dataset__in=catalog.visible_datasets(user)).select_related(
        "dataset", "source", "triggered_by"
    )


def dataset_choices(datasets: Any) -> list[tuple[str, str]]:
    return [(d.key, f"{d.title} · {d.key}") for d in datasets]


def labelled(datasets: list[Dataset]) -> list[Dataset]:
    for d in datasets:
        d.frequency_label = FREQUENCIES.get(d.frequency, d.frequency)  # type: ignore[attr-defined]
    return datasets


@login_required
def catalog_page(request: HttpRequest) -> HttpResponse:
    user = require_hub(request)
    form = SearchForm(request.GET or None)
    query = category = ""
    if form.is_valid():
        query, category = form.cleaned_data["q"].strip(), form.cleaned_data["category"]
    groups = [(c, labelled(ds)) for c, ds in catalog.browse(user, query, category)]
    return render(
        request,
        "hub/catalog.html",
        {
            "form": form,
            "query": query,
            "category": category,
            "categories": catalog.category_counts(user),
            "groups": groups,
            "found": (
                sum(len(ds) for _c, ds in groups)
                if query or category
                else catalog.summary(user).datasets
            ),
        },
    )


def schema_rows(dataset: Dataset) -> list[dict[str, Any]]:
    schema = TableSchema.from_dict(dataset.schema)
    return [
        {
            **asdict(f),
            "type_label": TYPES.get(f.type, f.type),
            "grade_label": GRADES[f.grade],
            "pii_label": PII_KINDS.get(f.pii, ""),
            "primary": f.name in schema.primary_key,
            "region": f.name == schema.region_field,
        }
        for f in schema.fields
    ]


@login_required
def dataset_page(request: HttpRequest, key: str) -> HttpResponse:
    dataset = visible_dataset(request, key)
    user = user_of(request)
    manager = sources.can_manage(user, dataset)
    if request.method == "POST" and not manager:
        raise PermissionDenied(_("You do not manage this dataset."))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = upload(request, dataset, form)
        if run is not None:
            return redirect("hub:run", run_id=run.pk)
    versions = list(dataset.versions.select_related("run__source")[:20])
    modes = dict(Mode.choices)
    for v in versions:
        v.visible = visible_stats(user, dataset, v.stats)  # type: ignore[attr-defined]
        v.operation_label = modes.get(v.operation, v.operation)  # type: ignore[attr-defined]
    try:
        columns, rows = sample_rows(user, dataset, limit=10)
        sample_granted = True
    except NoGrant:
        columns, rows, sample_granted = [], [], False
    titles = {f["name"]: f for f in schema_rows(dataset)}
    return render(
        request,
        "hub/dataset.html",
        {
            "dataset": labelled([dataset])[0],
            "fields": list(titles.values()),
            "versions": versions,
            "sample_columns": [
                titles.get(c, {"name": c, "title": "", "title_en": ""}) for c in columns
            ],
            "sample_rows": [[row[c] for c in columns] for row in rows],
            "sample_granted": sample_granted,
            "sources": dataset.sources.all(),
            "runs": dataset.runs.select_related("source")[:10],
            "manager": manager,
            "form": form,
            "following": flowback.subscriptions_of(user).filter(dataset=dataset).exists(),
            "can_follow": access_for(user, dataset) is not None,
            "counters": flowback.counters(dataset),
        },
    )


def upload(request: HttpRequest, dataset: Dataset, form: UploadForm) -> IngestRun | None:
    """Ingest the form's file; the finished run, or None with the errors put on the form."""
    data = form.cleaned_data
    try:
        run = sources.ingest_upload(
            user_of(request),
            dataset,
            data["file"],
            mode=data["mode"],
            sheet=data["sheet"],
            delimiter=data["delimiter"],
            encoding=data["encoding"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    if run.status == IngestRun.Status.SUCCEEDED:
        messages.success(request, _("The file was ingested."))
    elif run.status == IngestRun.Status.SKIPPED:
        messages.warning(request, _("Nothing was ingested."))
    else:
        messages.error(request, _("The file was not ingested; nothing was committed."))
    return run


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
