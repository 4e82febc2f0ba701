"""Who may use the hub, and what a user may read of a dataset: columns, which in clear, rows.

``require_hub`` is the one check that the hub is open to a user; every page, API route and
query goes through it (the query engine through ``may_use_hub``), and every refusal is audited.

Access comes from an active grant (to the user or to one of their departments), or,
for unconditionally shared datasets (无条件共享), implicitly to hub users of the
dataset's region tree. Columns with a PII kind are masked unless a grant names them
in ``clear_columns`` (and, for a column that is ``part_of`` another, that one too).
Rows are limited to region prefixes when the schema has a region field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from shequ.core.errors import Forbidden
from shequ.core.permissions import Perm, has_global, perms_of, prefixes_for
from shequ.core.services.audit import record
from shequ.core.types import Requester, User
from shequ.hub.models import Dataset, Grant, Sharing
from shequ.hub.services.catalog import visible_datasets
from shequ.hub.tableschema import TableSchema

# English: the audit log keeps it so; the answer is in the caller's language.
NOT_FOR_YOU = gettext_noop("The data hub is for staff and department analysts.")


def may_use_hub(user: Requester) -> bool:
    """True for staff and department analysts: users holding the hub permission somewhere."""
    return Perm.HUB in perms_of(user)


def require_hub(request: HttpRequest) -> User:
    """The signed-in user, if the hub is open to them; else the refusal is audited and raised."""
    user = request.user
    if isinstance(user, User) and may_use_hub(user):
        return user
    record("hub.refused", request=request, path=request.path[:200], error=NOT_FOR_YOU)
    raise Forbidden(gettext(NOT_FOR_YOU))


@dataclass(frozen=True)
class Access:
    """A user's effective access to one dataset."""

    columns: tuple[str, ...]  # readable columns, schema order
    clear: frozenset[str]  # PII columns readable in clear
    row_prefixes: tuple[str, ...] | None  # None: every row
    grant_ids: tuple[int, ...] = field(default=())


def active_grants(user: User, dataset: Dataset | None = None) -> QuerySet[Grant]:
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


def in_tree(user: User, dataset: Dataset) -> bool:
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


def access_for(user: User, dataset: Dataset) -> Access | None:
    """The union of the user's grants on the dataset, or None when they have none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    schema = TableSchema.from_dict(dataset.schema)
    grants = list(active_grants(user, dataset))
    implicit = dataset.sharing == Sharing.UNCONDITIONAL and (
        has_global(user, Perm.HUB) or in_tree(user, dataset)
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


def queryable(user: User) -> list[Dataset]:
    """Datasets the user may query: granted now, or unconditionally shared in their tree."""
    granted = set(active_grants(user).values_list("dataset_id", flat=True))
    everywhere = has_global(user, Perm.HUB)
    found = []
    for d in visible_datasets(user).filter(Q(pk__in=granted) | Q(sharing=Sharing.UNCONDITIONAL)):
        if d.pk in granted or everywhere or in_tree(user, d):
            found.append(d)
    return found
