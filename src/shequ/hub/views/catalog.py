"""Hub pages of the catalog and of a dataset (schema, sample, versions, upload).

Each view parses input, calls a service, renders.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from shequ.core.types import user_of
from shequ.hub.access import access_for, require_hub
from shequ.hub.forms.catalog import SearchForm, UploadForm
from shequ.hub.models import Dataset, IngestRun, Mode
from shequ.hub.sample import NoGrant, sample_rows, visible_stats
from shequ.hub.services import catalog, flowback, sources
from shequ.hub.tableschema import PII_LABELS, TableSchema

GRADES = {
    "core": pgettext_lazy("data grade", "Core"),
    "important": pgettext_lazy("data grade", "Important"),
    "general": pgettext_lazy("data grade", "General"),
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


def visible_dataset(request: HttpRequest, key: str) -> Dataset:
    return get_object_or_404(catalog.visible_datasets(require_hub(request)), key=key)


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
            "pii_label": PII_LABELS.get(f.pii, ""),
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
