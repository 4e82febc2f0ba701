"""The catalogue side of the Action API: packages, resources, groups and organizations.

What a caller may see: the metadata of every dataset that is shared (无条件共享 or 有条件共享) is
public, to anonymous callers too; a not-shared dataset (不予共享) is a *private* package, shown
only to users whose hub catalogue includes it (``visible_datasets``). Metadata never carries
rows, statistics or values: only titles, descriptions, tags, owner, licence and the Table
Schema's column names, types and personal-information kinds.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.hub.ckan.errors import NotFound, SearchQueryError, invalid
from shequ.hub.ckan.params import Call
from shequ.hub.models import Category, Dataset, DatasetVersion, Sharing
from shequ.hub.services.catalog import search, visible_datasets

PACKAGE_ROWS_MAX = 1000
FACET_FIELDS = ("groups", "organization", "tags", "license_id")
OPEN_LICENCES = frozenset({"公共数据开放"})  # the catalogue's licence for open data


# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


def catalog(user: User | None, *, private: bool = True) -> QuerySet[Dataset]:
    """The datasets whose metadata the caller may read (None: anonymous), newest version noted.

    Shared datasets are public; with ``private``, not-shared ones the user may browse too.
    """
    public = ~Q(sharing=Sharing.NOT_SHARED)
    condition = public
    if user is not None and private:
        condition = public | Q(pk__in=visible_datasets(user).values("pk"))
    committed = DatasetVersion.objects.filter(dataset=OuterRef("pk"), version=OuterRef("version"))
    return (
        Dataset.objects.filter(condition)
        .select_related("category", "department")
        .annotate(version_created=Subquery(committed.values("created")[:1]))
        .order_by("key")
    )


def find(user: User | None, key: str) -> Dataset:
    dataset = catalog(user).filter(key=key).first()
    if dataset is None:
        raise NotFound(_('Dataset "%(id)s" was not found.') % {"id": key})
    return dataset


# ---------------------------------------------------------------------------------------------
# Dictionaries in CKAN's shape
# ---------------------------------------------------------------------------------------------


def english() -> bool:
    return (translation.get_language() or "").startswith("en")


def ckan_time(moment: datetime | None) -> str | None:
    """CKAN writes times in UTC without an offset: 2026-05-01T08:00:00.123456."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def org_name(owner: str) -> str:
    """A stable URL-safe name for an owning department, which the catalogue names in Chinese."""
    return "org-" + hashlib.sha256(owner.strip().encode()).hexdigest()[:10]


def organization(dataset: Dataset) -> dict[str, Any] | None:
    owner = dataset.owner.strip()
    if not owner:
        return None
    name = org_name(owner)
    title = owner
    if english() and dataset.department is not None and dataset.department.name_en:
        title = dataset.department.name_en
    return {
        "id": name,
        "name": name,
        "title": title,
        "display_name": title,
        "description": "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
    }


def group(category: Category) -> dict[str, Any]:
    title = category.name_en if english() and category.name_en else category.name
    return {
        "id": category.key,
        "name": category.key,
        "title": title,
        "display_name": title,
        "title_translated": {"zh_Hans": category.name, "en": category.name_en},
        "description": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
    }


def datastore_url(call: Call, key: str) -> str:
    return f"{call.site}/api/3/action/datastore_search?{urlencode({'resource_id': key})}"


def resource_dict(call: Call, dataset: Dataset) -> dict[str, Any]:
    """The package's one resource: the dataset's current Delta version, read by datastore_search."""
    modified = getattr(dataset, "version_created", None) or dataset.updated
    schema = dataset.schema.get("fields", [])
    return {
        "id": dataset.key,
        "package_id": dataset.key,
        "name": dataset.title_en if english() and dataset.title_en else dataset.title,
        "description": dataset.description_en if english() else dataset.description,
        "format": "Delta",
        "mimetype": "application/json",
        "url": datastore_url(call, dataset.key),
        "url_type": "datastore",
        "datastore_active": dataset.version is not None,
        "delta_version": dataset.version,
        "position": 0,
        "state": "active",
        "resource_type": None,
        "size": None,
        "hash": "",
        "created": ckan_time(dataset.created),
        "last_modified": ckan_time(modified) if dataset.version is not None else None,
        "metadata_modified": ckan_time(dataset.updated),
        "schema": {
            "fields": [
                {
                    "name": f["name"],
                    "type": f.get("type", "string"),
                    "title": f.get("title", ""),
                    "title_en": f.get("title_en", ""),
                    "pii": f.get("pii", "none"),
                }
                for f in schema
            ],
            "primaryKey": dataset.schema.get("primaryKey", []),
        },
    }


def package_dict(call: Call, dataset: Dataset) -> dict[str, Any]:
    en = english()
    org = organization(dataset)
    tags = [str(t) for t in dataset.tags]
    return {
        "id": dataset.key,
        "name": dataset.key,
        "type": "dataset",
        "state": "active",
        "private": dataset.sharing == Sharing.NOT_SHARED,
        "title": dataset.title_en if en and dataset.title_en else dataset.title,
        "title_translated": {"zh_Hans": dataset.title, "en": dataset.title_en},
        "notes": dataset.description_en if en and dataset.description_en else dataset.description,
        "notes_translated": {"zh_Hans": dataset.description, "en": dataset.description_en},
        "url": "",
        "version": str(dataset.version) if dataset.version is not None else None,
        "author": None,
        "author_email": None,
        "maintainer": dataset.owner or None,
        "maintainer_email": None,
        "license_id": dataset.licence,
        "license_title": dataset.licence,
        "isopen": dataset.licence in OPEN_LICENCES,
        "metadata_created": ckan_time(dataset.created),
        "metadata_modified": ckan_time(dataset.updated),
        "owner_org": org["id"] if org else None,
        "organization": org,
        "groups": [group(dataset.category)],
        "tags": [
            {"id": t, "name": t, "display_name": t, "state": "active", "vocabulary_id": None}
            for t in tags
        ],
        "num_tags": len(tags),
        "resources": [resource_dict(call, dataset)],
        "num_resources": 1,
        "extras": [
            {"key": "sharing", "value": dataset.sharing},
            {"key": "tier", "value": dataset.tier},
            {"key": "frequency", "value": dataset.frequency},
        ],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


def package_list(call: Call) -> list[str]:
    """The names of the public datasets (never private ones), by name; ``limit``, ``offset``."""
    offset = call.integer("offset", 0)
    limit = call.integer("limit", 0, minimum=0)
    names = list(catalog(call.user, private=False).values_list("key", flat=True))
    return names[offset : offset + limit] if limit else names[offset:]


def package_show(call: Call) -> dict[str, Any]:
    """One dataset's metadata by ``id`` (its key)."""
    return package_dict(call, find(call.user, call.required("id", "name")))


def resource_show(call: Call) -> dict[str, Any]:
    """A dataset's one resource by ``id`` (the dataset key)."""
    return resource_dict(call, find(call.user, call.required("id")))


def package_search(call: Call) -> dict[str, Any]:
    """Search the catalogue: ``q`` and ``fq`` (words and field:value terms), ``rows``, ``start``,
    ``sort``, ``facet.field``, ``include_private``."""
    rows = min(call.integer("rows", 10), PACKAGE_ROWS_MAX)
    start = call.integer("start", 0)
    private = call.boolean("include_private", False)
    terms = parse_terms(call.text("q")) + parse_terms(call.text("fq"))
    for fq in call.names("fq_list") or []:
        terms += parse_terms(fq)
    found = match(catalog(call.user, private=private), terms)
    sort = call.text("sort").strip() or "score desc, metadata_modified desc"
    found = sort_packages(found, sort)
    facets = facet_counts(call, found)
    return {
        "count": len(found),
        "sort": sort,
        "results": [package_dict(call, d) for d in found[start : start + rows]],
        "facets": {name: dict(counts) for name, (counts, _titles) in facets.items()},
        "search_facets": {
            name: {
                "title": name,
                "items": [
                    {"name": k, "display_name": titles.get(k, k), "count": n}
                    for k, n in counts.most_common()
                ],
            }
            for name, (counts, titles) in facets.items()
        },
    }


def organization_list(call: Call) -> list[Any]:
    """Owning departments of the datasets the caller may see (``all_fields`` for dictionaries)."""
    datasets = list(catalog(call.user, private=False))
    counts = Counter(d.owner.strip() for d in datasets if d.owner.strip())
    first = {d.owner.strip(): d for d in reversed(datasets)}
    items = []
    for owner, count in counts.items():
        org = organization(first[owner])
        assert org is not None
        items.append({**org, "package_count": count})
    return listing(call, items, "organizations")


def group_list(call: Call) -> list[Any]:
    """The hub's categories, with how many public datasets each holds."""
    counts = Counter(d.category_id for d in catalog(call.user, private=False))
    items = [{**group(c), "package_count": counts[c.pk]} for c in Category.objects.all()]
    return listing(call, items, "groups")


def listing(call: Call, items: list[dict[str, Any]], only: str) -> list[Any]:
    """organization_list and group_list: ``sort``, ``limit``, ``offset``, ``all_fields``."""
    wanted = call.names(only)
    if wanted is not None:
        items = [i for i in items if i["name"] in wanted]
    sort = call.text("sort").strip() or "title asc"
    key, _sep, direction = sort.partition(" ")
    if key not in ("name", "title", "package_count") or direction.strip() not in (
        "",
        "asc",
        "desc",
    ):
        raise invalid("sort", _("Sort by name, title or package_count, then asc or desc."))
    items.sort(key=lambda i: (i[key], i["name"]), reverse=direction.strip() == "desc")
    offset = call.integer("offset", 0)
    limit = call.integer("limit", 0)
    items = items[offset : offset + limit] if limit else items[offset:]
    if call.boolean("all_fields", False):
        if not call.boolean("include_dataset_count", True):
            items = [{k: v for k, v in i.items() if k != "package_count"} for i in items]
        return items
    return [i["name"] for i in items]


# ---------------------------------------------------------------------------------------------
# q / fq: a small subset of Solr's syntax
# ---------------------------------------------------------------------------------------------

_TERM = re.compile(r'([+-]?)(?:([A-Za-z_.]+):)?("(?:[^"\\]|\\.)*"|[^\s"]+)')
# field -> what it is matched against
_FIELDS: dict[str, Callable[[Dataset], Iterable[str]]] = {
    "name": lambda d: [d.key],
    "id": lambda d: [d.key],
    "groups": lambda d: [d.category.key],
    "organization": lambda d: [org_name(d.owner), d.owner.strip()] if d.owner.strip() else [],
    "owner_org": lambda d: [org_name(d.owner)] if d.owner.strip() else [],
    "tags": lambda d: [str(t) for t in d.tags],
    "license_id": lambda d: [d.licence],
    "res_format": lambda d: ["Delta"],
}
_TEXT_FIELDS = ("text", "title", "notes")


def parse_terms(query: str) -> list[tuple[bool, str | None, str]]:
    """``(negated, field or None, value)`` for each term; bare words and text:… are free text."""
    terms: list[tuple[bool, str | None, str]] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
            continue
        m = _TERM.match(query, pos)
        if m is None:
            raise SearchQueryError(_("unbalanced quotes at character %(n)s") % {"n": pos + 1})
        pos = m.end()
        sign, name, value = m.group(1), m.group(2), m.group(3)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif value in ("AND", "&&") and not name:
            continue
        if (not name and value in ("OR", "NOT", "||")) or "(" in value or ")" in value:
            raise SearchQueryError(
                _("OR, NOT and parentheses are not supported; all terms must match")
            )
        if name is None and value == "*:*":
            continue
        if name is not None and name not in _FIELDS and name not in _TEXT_FIELDS:
            raise SearchQueryError(
                _(
                    "unknown field %(field)s; search name, groups, organization, tags, "
                    "license_id, res_format, title or text"
                )
                % {"field": name}
            )
        if value == "*":
            continue  # field:* matches everything
        terms.append((sign == "-", None if name in (None, *_TEXT_FIELDS) else name, value))
    return terms


def match(qs: QuerySet[Dataset], terms: list[tuple[bool, str | None, str]]) -> list[Dataset]:
    words = " ".join(v for neg, f, v in terms if f is None and not neg)
    found = search(qs, words) if words else list(qs)
    for negated, name, value in terms:
        if name is None:
            if negated:
                unwanted = {d.pk for d in search(qs, value)}
                found = [d for d in found if d.pk not in unwanted]
            continue
        values = _FIELDS[name]
        found = [d for d in found if (value in values(d)) != negated]
    return found


_SORTS: dict[str, Callable[[Dataset], Any]] = {
    "name": lambda d: d.key,
    "title_string": lambda d: (d.title_en if english() else d.title) or d.key,
    "metadata_modified": lambda d: d.updated,
    "metadata_created": lambda d: d.created,
}


def sort_packages(found: list[Dataset], sort: str) -> list[Dataset]:
    """CKAN's ``sort``: ``field [asc|desc], …``; ``score`` keeps the catalogue's order."""
    keys = []
    for part in sort.split(","):
        name, _sep, direction = part.strip().partition(" ")
        direction = direction.strip().lower() or "asc"
        if (name != "score" and name not in _SORTS) or direction not in ("asc", "desc"):
            raise SearchQueryError(
                _(
                    "cannot sort by %(sort)s; sort by score, name, title_string, "
                    "metadata_modified or metadata_created, then asc or desc"
                )
                % {"sort": part.strip()}
            )
        if name != "score":
            keys.append((name, direction == "desc"))
    for name, descending in reversed(keys):  # stable sorts, last key first
        found = sorted(found, key=_SORTS[name], reverse=descending)
    return found


def facet_counts(
    call: Call, found: list[Dataset]
) -> dict[str, tuple[Counter[str], dict[str, str]]]:
    names = call.names("facet.field") or []
    if not call.boolean("facet", True) or not names:
        return {}
    limit = call.integer("facet.limit", 50, minimum=-1)
    facets: dict[str, tuple[Counter[str], dict[str, str]]] = {}
    for name in names:
        if name not in FACET_FIELDS:
            raise invalid(
                "facet.field",
                _("%(field)s cannot be a facet; use %(fields)s.")
                % {"field": name, "fields": ", ".join(FACET_FIELDS)},
            )
        counts: Counter[str] = Counter()
        titles: dict[str, str] = {}
        for d in found:
            if name == "groups":
                counts[d.category.key] += 1
                titles[d.category.key] = group(d.category)["title"]
            elif name == "organization" and (org := organization(d)):
                counts[org["name"]] += 1
                titles[org["name"]] = org["title"]
            elif name == "tags":
                counts.update(str(t) for t in d.tags)
            elif name == "license_id" and d.licence:
                counts[d.licence] += 1
        if limit >= 0:
            counts = Counter(dict(counts.most_common(limit)))
        facets[name] = (counts, titles)
    return facets


def landing_page(call: Call, key: str) -> str:
    return call.site + reverse("hub:dataset", kwargs={"key": key})
