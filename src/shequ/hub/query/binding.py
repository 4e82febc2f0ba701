"""Binding a checked query to the user's views of the datasets it names: which dataset, which
version (or the one at a time), which files, which columns and rows.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from sqlglot import exp

from shequ.core.types import User
from shequ.hub.access import Access, access_for
from shequ.hub.models import Dataset
from shequ.hub.query import names, policy, pruning
from shequ.hub.query.errors import QueryError, Suggestion
from shequ.hub.query.masking import audit_sql
from shequ.hub.storage import open_table, table_path
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)

Versions = int | Mapping[str, int] | None

VERSION_FILES: OrderedDict[tuple[str, int, int], tuple[tuple[str, ...], frozenset[str]]] = (
    OrderedDict()
)


@dataclass
class View:
    """One dataset view of the sandbox: which dataset, version, files and access."""

    name: str
    dataset: Dataset
    schema: TableSchema
    access: Access
    version: int | None
    files: list[str] = field(default_factory=list)
    file_columns: set[str] = field(default_factory=set)
    # The files the query reads, when it cannot need some of the version's (``pruning``).
    scan_files: list[str] | None = None

    @property
    def read_files(self) -> list[str]:
        if not self.files:
            return []
        return self.scan_files or self.files


@dataclass
class Run:
    user: User | None
    sql: str
    clear: bool = False
    purpose: str = ""
    views: dict[str, View] = field(default_factory=dict)
    start: float = field(default_factory=time.monotonic)
    replaced: dict[str, str] = field(default_factory=dict)  # clear -> masked literals (audit)


def resolve(run: Run, checked: policy.Checked) -> dict[str, tuple[Dataset, Access]]:
    """Each dataset name (key or title) of the query -> (dataset, its access); 404/403 otherwise.

    Only datasets the user may see are looked up, so a refusal tells nothing of the others.
    """
    from shequ.hub.services.catalog import visible_datasets

    seen = Dataset.objects.select_related("region")
    if run.user is not None:
        seen = visible_datasets(run.user)
    found: dict[str, tuple[Dataset, Access]] = {}
    for name in checked.names:
        dataset = names.find_dataset(name, seen)
        schema = TableSchema.from_dict(dataset.schema)
        if run.user is None:
            pii = schema.pii_fields()
            access = Access(
                columns=tuple(schema.names),
                clear=frozenset(pii) if run.clear else frozenset(),
                row_prefixes=None,
            )
        else:
            maybe = access_for(run.user, dataset)
            if maybe is None:
                raise QueryError.of("no_grant", 403, dataset=dataset.key, name=repr(dataset.key))
            access = maybe
        found[name] = (dataset, access)
    return found


def bind_views(
    run: Run,
    checked: policy.Checked,
    datasets: dict[str, tuple[Dataset, Access]],
    version: Versions,
    as_of: datetime | None,
) -> str:
    """Pick each reference's version, name its view, point the tree at it; the SQL to run."""
    versions: dict[str, int] = {}
    if isinstance(version, Mapping):
        unknown = sorted(set(k.lower() for k in version) - set(datasets))
        if unknown:
            raise QueryError.of("version_not_read", names=", ".join(unknown))
        versions = {k.lower(): v for k, v in version.items()}
    sources: dict[str, list[Suggestion]] = {}
    for ref in checked.refs:
        dataset, access = datasets[ref.name]
        number: int | None
        if ref.version is not None:
            number, pinned = ref.version, True
        elif ref.as_of is not None:
            moment = as_datetime(ref.as_of)
            assert moment is not None
            number, pinned = _version_at(dataset, moment), True
        else:
            pinned = False
            if isinstance(version, Mapping):
                number = versions.get(ref.name, dataset.version)
            elif version is not None:
                number = int(version)
            elif as_of is not None:
                number = _version_at(dataset, as_of)
            else:
                number = dataset.version
        view = f"{dataset.key}@v{number}" if pinned else dataset.key
        if view not in run.views:
            run.views[view] = load(view, dataset, access, number)
        node = ref.node
        if (pinned or ref.name != dataset.key) and not node.alias:  # a version, or a title
            node.set("alias", exp.TableAlias(this=exp.to_identifier(ref.node.name)))
        node.set("this", exp.to_identifier(view, quoted=True))
        node.set("when", None)
        sources[node.alias_or_name.lower()] = field_suggestions(run.views[view])
    names.resolve_field_titles(checked.tree, sources)
    pruning.prune_views(checked.tree, run.views.values())
    final = policy.render(checked.tree)
    # What runs is re-parsed and re-checked: it must be the same query, over our views only.
    views = frozenset(v.lower() for v in run.views)
    again = policy.check_tree(policy.parse(final, max_chars=4 * len(final)), views=views)
    if policy.render(again.tree) != final:
        log.warning("hub query did not survive regeneration: %r", audit_sql(run.sql, {})[0][:500])
        raise QueryError.of("unsafe")
    return final


def field_suggestions(view: View) -> list[Suggestion]:
    """The fields of a view the user may read, with their titles."""
    fields = (view.schema.field(name) for name in view.access.columns)
    return [Suggestion(f.name, f.title, f.title_en) for f in fields]


def load(name: str, dataset: Dataset, access: Access, version: int | None) -> View:
    schema = TableSchema.from_dict(dataset.schema)
    view = View(name, dataset, schema, access, version)
    if version is None:
        return view  # no data committed yet: an empty view
    files, columns = _version_files(dataset.key, version)
    if version != dataset.version and not all(_exists(uri) for uri in files):
        # An earlier version whose replaced files were expired (hub.services.vacuum).
        raise QueryError.of(
            "expired_version",
            404,
            dataset=dataset.key,
            name=repr(dataset.key),
            version=version,
            hours=settings.HUB_VACUUM_RETENTION_HOURS,
        )
    view.files, view.file_columns = list(files), set(columns)
    return view


_VERSION_FILES_LOCK = threading.Lock()


def _exists(uri: str) -> bool:
    return os.path.exists(unquote(uri.removeprefix("file://")))


def _version_files(key: str, version: int) -> tuple[tuple[str, ...], frozenset[str]]:
    """The Parquet files and column names of a Delta version.

    A committed version never changes, so this is cached, keyed by the version's commit file
    (its modification time tells a re-created table from the old one).
    """
    commit = table_path(key) / "_delta_log" / f"{version:020d}.json"
    try:
        cache_key = (str(commit), version, commit.stat().st_mtime_ns)
    except OSError:
        cache_key = None
    if cache_key is not None:
        with _VERSION_FILES_LOCK:
            hit = VERSION_FILES.get(cache_key)
        if hit is not None:
            return hit
    try:
        table = open_table(key, version)
    except Exception:  # delta-rs says "Invalid table version" in several ways
        table = None
    if table is None:
        raise QueryError.of("no_version", 404, dataset=key, name=repr(key), version=version)
    found = (tuple(table.file_uris()), frozenset(f.name for f in table.schema().fields))
    if cache_key is not None:
        with _VERSION_FILES_LOCK:
            VERSION_FILES[cache_key] = found
            while len(VERSION_FILES) > 512:
                VERSION_FILES.popitem(last=False)
    return found


def _version_at(dataset: Dataset, moment: datetime) -> int | None:
    """The dataset's newest version committed at or before moment."""
    table = open_table(dataset.key)
    if table is None:
        return None
    limit = moment.timestamp() * 1000
    commits = [
        int(c["version"])
        for c in table.history()
        if c.get("version") is not None and c.get("timestamp", 0) <= limit
    ]
    if not commits:
        raise QueryError.of(
            "no_version_at",
            404,
            dataset=dataset.key,
            name=repr(dataset.key),
            moment=timezone.localtime(moment).isoformat(),
        )
    return max(commits)


def as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value).strip())
        if moment is None:
            try:
                moment = datetime.combine(date.fromisoformat(str(value).strip()), dtime())
            except ValueError:
                raise QueryError.of("bad_time", value=repr(value)) from None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment
