"""The catalog: categories and datasets (shipped as YAML, extended by staff)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum

from shequ.core.models import Department, Region
from shequ.core.models.regions import covering_codes
from shequ.core.permissions import Perm, has_global, prefixes_for, require
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.models import Category, Dataset, Sharing, Tier
from shequ.hub.tableschema import SchemaError, TableSchema

if TYPE_CHECKING:
    from shequ.hub.inference import Inference

CATALOG_FILE = Path(__file__).resolve().parent.parent / "catalog" / "catalog.yaml"
META_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "owner",
    "tier",
    "sharing",
    "frequency",
    "tags",
    "licence",
)


def read_catalog(path: Path = CATALOG_FILE) -> list[dict[str, Any]]:
    # libyaml's loader, when PyYAML has it, reads the catalog ten times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=loader)
    return list(data["categories"])


def load_catalog(region: Region | None = None, path: Path = CATALOG_FILE) -> tuple[int, int]:
    """Create or refresh the shipped categories and datasets; return their counts.

    A dataset's current version and rows are kept; its metadata and schema are refreshed.
    """
    categories = read_catalog(path)
    datasets = 0
    with transaction.atomic():
        for order, cat in enumerate(categories):
            category, _ = Category.objects.update_or_create(
                key=cat["key"],
                defaults={"name": cat["name"], "name_en": cat["name_en"], "order": order},
            )
            for item in cat["datasets"]:
                schema = TableSchema.from_dict(item["schema"])
                defaults = {f: item.get(f, "" if f != "tags" else []) for f in META_FIELDS}
                defaults.update(
                    category=category,
                    schema=schema.to_dict(),
                    region=region,
                    department=_department(region, item.get("owner_kind")),
                )
                Dataset.objects.update_or_create(key=item["key"], defaults=defaults)
                datasets += 1
    return len(categories), datasets


def _department(region: Region | None, kind: str | None) -> Department | None:
    if region is None or not kind:
        return None
    codes = [a.code for a in [region, *region.ancestors()]]
    return Department.objects.filter(region__code__in=codes, kind=kind).first()


def visible_datasets(user: User) -> QuerySet[Dataset]:
    """Datasets whose metadata the user may browse.

    The shared catalog (no region), datasets of the user's regions and their descendants, and
    datasets of the regions above them: a street's dataset is visible to its communities' staff,
    whose rows ``shequ.hub.sample.row_filter`` then limits to their own community.
    """
    qs = Dataset.objects.select_related("category", "region")
    if has_global(user, Perm.HUB):
        return qs
    prefixes = prefixes_for(user, Perm.HUB)
    if not prefixes:
        return qs.none()
    above = {c for p in prefixes for c in covering_codes(p.ljust(12, "0"))}
    condition = Q(region__isnull=True) | Q(region__code__in=above)
    for prefix in prefixes:
        condition |= Q(region__code__startswith=prefix)
    return qs.filter(condition)


def browse(user: User, query: str = "", category: str = "") -> list[tuple[Category, list[Dataset]]]:
    """Categories with the datasets the user may see, optionally one category or a search.

    With a search or a category, categories without a matching dataset are left out.
    """
    qs = visible_datasets(user)
    if category:
        qs = qs.filter(category__key=category)
    datasets = search(qs, query) if query else qs
    grouped: dict[int, list[Dataset]] = {}
    for d in datasets:
        grouped.setdefault(d.category_id, []).append(d)
    narrowed = bool(query or category)
    categories = Category.objects.all()
    return [(c, grouped.get(c.pk, [])) for c in categories if not narrowed or c.pk in grouped]


@dataclass(frozen=True)
class Summary:
    """How much of the catalog a user sees: the figure on the home tile and the catalog page."""

    categories: int  # categories holding at least one visible dataset
    datasets: int


def summary(user: User) -> Summary:
    visible = visible_datasets(user)
    return Summary(
        categories=visible.order_by().values("category_id").distinct().count(),
        datasets=visible.count(),
    )


def category_counts(user: User) -> QuerySet[Category]:
    visible = visible_datasets(user).values("pk")
    # Meta.ordering does not apply to an aggregating query: order explicitly.
    return Category.objects.annotate(
        dataset_count=Count("datasets", filter=Q(datasets__in=visible)),
        rows=Sum("datasets__row_count", filter=Q(datasets__in=visible)),
    ).order_by("order", "key")


def search(qs: QuerySet[Dataset], query: str) -> list[Dataset]:
    """Match titles, descriptions, tags, keys and column names/titles, in Chinese or English."""
    words = [w.lower() for w in query.split() if w.strip()]

    def text(d: Dataset) -> str:
        cols = " ".join(
            f"{f.get('name', '')} {f.get('title', '')} {f.get('title_en', '')}"
            for f in d.schema.get("fields", [])
        )
        return " ".join(
            [
                d.key,
                d.title,
                d.title_en,
                d.description,
                d.description_en,
                " ".join(d.tags),
                d.owner,
                cols,
            ]
        ).lower()

    return [d for d in qs if all(w in text(d) for w in words)]


def parse_schema(data: dict[str, Any]) -> TableSchema:
    try:
        return TableSchema.from_dict(data)
    except SchemaError as exc:
        raise ValidationError({"schema": [str(exc)]}) from exc


def save_dataset(
    actor: User,
    *,
    key: str,
    category: str,
    schema: dict[str, Any],
    region: Region | None = None,
    **meta: Any,
) -> Dataset:
    """Create or update a dataset's metadata and schema (staff who manage the hub)."""
    require(actor, Perm.MANAGE_HUB, region.code if region else "")
    existing = Dataset.objects.filter(key=key).first()
    if existing is not None:
        # The key names a dataset that may belong to another region: its own region decides.
        require(actor, Perm.MANAGE_HUB, existing.region.code if existing.region else "")
    return write_dataset(actor, key=key, category=category, schema=schema, region=region, **meta)


def write_dataset(
    actor: User | None,
    *,
    key: str,
    category: str,
    schema: dict[str, Any],
    region: Region | None = None,
    **meta: Any,
) -> Dataset:
    """Validate and save a dataset's metadata and schema; the caller has checked permission."""
    cat = Category.objects.filter(key=category).first()
    if cat is None:
        raise ValidationError({"category": [f"unknown category {category!r}"]})
    errors = {}
    if meta.get("tier", Tier.STREET) not in Tier.values:
        errors["tier"] = [f"must be one of {', '.join(Tier.values)}"]
    if meta.get("sharing", Sharing.CONDITIONAL) not in Sharing.values:
        errors["sharing"] = [f"must be one of {', '.join(Sharing.values)}"]
    if errors:
        raise ValidationError(errors)
    existing = Dataset.objects.filter(key=key).first()
    parsed = parse_schema(schema)
    if existing is not None and existing.version is not None:
        _check_compatible(TableSchema.from_dict(existing.schema), parsed)
    defaults = {
        "category": cat,
        "region": region,
        "schema": parsed.to_dict(),
        "tier": meta.pop("tier", Tier.STREET),
        "sharing": meta.pop("sharing", Sharing.CONDITIONAL),
        **meta,
    }
    with transaction.atomic():
        dataset, created = Dataset.objects.update_or_create(key=key, defaults=defaults)
        record(
            "dataset.create" if created else "dataset.update",
            actor=actor,
            obj=dataset,
            region_code=region.code if region else "",
        )
    return dataset


def _check_compatible(old: TableSchema, new: TableSchema) -> None:
    """Once rows exist, fields may be added but not removed or retyped."""
    for f in old.fields:
        try:
            g = new.field(f.name)
        except KeyError:
            raise ValidationError(
                {"schema": [f"field {f.name!r} has data and cannot be removed"]}
            ) from None
        if g.type != f.type:
            raise ValidationError({"schema": [f"field {f.name!r} has data and cannot change type"]})


def create_dataset_from_file(
    path: Path,
    *,
    key: str,
    category: str,
    title: str,
    spec: Any = None,
    region: Region | None = None,
) -> tuple[Dataset, list[str]]:
    """Make a dataset whose schema is inferred from a file (CLI and upload with --create).

    Returns it with the inference's notes (a proposed primary key), for the run's notes.
    """
    cat = Category.objects.filter(key=category).first()
    if cat is None:
        raise ValidationError({"category": [f"unknown category {category!r}"]})
    if Dataset.objects.filter(key=key).exists():
        raise ValidationError({"key": [f"a dataset {key!r} exists already"]})
    inferred = infer_file(path, spec)
    dataset = Dataset.objects.create(
        key=key,
        title=title,
        title_en=title,
        category=cat,
        region=region,
        tier=Tier.STREET,
        sharing=Sharing.CONDITIONAL,
        schema=inferred.schema.to_dict(),
        description=f"Created from {path.name}",
    )
    return dataset, inferred.notes


def infer_file_schema(path: Path, spec: Any = None) -> TableSchema:
    """The Table Schema a file suggests: header below any title rows, types, PII kinds."""
    return infer_file(path, spec).schema


def infer_file(path: Path, spec: Any = None) -> Inference:
    """The schema a file suggests and its notes; a file that cannot give one is refused
    (ValidationError on ``file``: unreadable, or a header without data rows)."""
    import shutil
    import tempfile

    from shequ.hub.inference import infer
    from shequ.hub.ingest.readers import open_input
    from shequ.hub.ingest.staging import IngestError

    workdir = Path(tempfile.mkdtemp(prefix="shequ-infer-"))
    try:
        staged = open_input(
            path,
            workdir=workdir,
            format=getattr(spec, "format", None),
            sheet=getattr(spec, "sheet", None),
            delimiter=getattr(spec, "delimiter", None),
            encoding=getattr(spec, "encoding", None),
        )
        return infer(staged)
    except IngestError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
