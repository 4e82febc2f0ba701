"""What a user may read of a dataset: which columns, which in clear, which rows.

Access comes from an active grant (to the user or to one of their departments), or,
for unconditionally shared datasets (无条件共享), implicitly to hub users of the
dataset's region tree. Columns with a PII kind are masked unless a grant names them
in ``clear_columns`` (and, for a column that is ``part_of`` another, that one too).
Rows are limited to region prefixes when the schema has a region field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.hub.models import Dataset, Grant, Sharing
from shequ.hub.tableschema import TableSchema


@dataclass(frozen=True)
class Access:
    """A user's effective access to one dataset."""

    columns: tuple[str, ...]  # readable columns, schema order
    clear: frozenset[str]  # PII columns readable in clear
    row_prefixes: tuple[str, ...] | None  # None: every row
    grant_ids: tuple[int, ...] = field(default=())


def active_grants(user: Any, dataset: Dataset | None = None) -> QuerySet[Grant]:
    """Issued, unrevoked, current grants to the user or to their departments."""
    now = timezone.now()
    departments = [m.department_id for m in user.memberships.all() if m.department_id]
    qs = Grant.objects.filter(
        Q(grantee=user) | Q(grantee_department__in=departments),
        kind=Grant.Kind.ISSUE,
        revocation__isnull=True,
        valid_from__lte=now,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    return qs.filter(dataset=dataset) if dataset is not None else qs


def _in_tree(user: Any, dataset: Dataset) -> bool:
    """True when the user holds the hub permission in the dataset's region tree (above or below).

    The shared catalog (no region) is everybody's tree, but still only for hub users: without
    this check a resident read every row of an unconditional dataset without a region column.
    """
    prefixes = prefixes_for(user, Perm.HUB)
    if dataset.region is None:
        return bool(prefixes)
    code = dataset.region.code
    own = dataset.region.prefix
    return any(code.startswith(p) or p.startswith(own) for p in prefixes)


def access_for(user: Any, dataset: Dataset) -> Access | None:
    """The union of the user's grants on the dataset, or None when they have none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    schema = TableSchema.from_dict(dataset.schema)
    grants = list(active_grants(user, dataset))
    implicit = dataset.sharing == Sharing.UNCONDITIONAL and (
        has_global(user, Perm.HUB) or _in_tree(user, dataset)
    )
    if not grants and not implicit:
        return None
    columns: set[str] = set(schema.names) if implicit else set()
    clear: set[str] = set()
    prefixes: set[str] = set()
    everywhere = has_global(user, Perm.HUB)
    for g in grants:
        columns |= set(g.columns or schema.names)
        clear |= set(g.clear_columns) & set(g.columns or schema.names)
        if g.row_scope:
            prefixes |= set(g.row_scope)
    if not everywhere:
        prefixes |= set(prefixes_for(user, Perm.HUB))
    # A column that is part of another personal column (a birth date of an ID number) is
    # clear only when that column is clear too: alone, it would give the other one back.
    return Access(
        columns=tuple(n for n in schema.names if n in columns),
        clear=schema.clear_allowed(clear),
        row_prefixes=None if everywhere or not schema.region_field else tuple(sorted(prefixes)),
        grant_ids=tuple(g.pk for g in grants),
    )
