"""Refusing to treat a masked value as a person's identity.

A user without a clear grant sees ``330102********1234`` for an ID number, ``王**`` for a name:
masks that many people share. Joining two datasets on it paired everybody with that head and tail
(``household_registry`` ⋈ ``health_code_status`` gave 8.9 million rows from 20,000), and
grouping or counting distinct masked values counts masks, not people. Such a result looks
plausible and is wrong, so the query is refused and the message says what to do instead.

What counts as using a masked column as an identity: comparing the bare column (not an
expression such as its first six digits, the area code) for equality with another column
(``ON a.id_number = b.id_number``, ``WHERE … IN (SELECT id_number …)``), ``JOIN … USING``,
``GROUP BY``, ``PARTITION BY``, ``DISTINCT`` (also inside an aggregate). Comparing it with a
literal stays allowed: a masked value copied from a result finds its rows. Columns are matched
by name over every dataset the query reads, so a CTE column named like a masked column is
judged like it (it was most likely made from it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlglot import exp

from shequ.hub.query.binding import Run
from shequ.hub.query.errors import QueryError

_EQUALITY = (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ)
# The kinds whose mask hides who a person is. A masked birth date keeps its year and a masked
# address its area: grouping by those is grouping by year or area, which is what it looks like.
IDENTIFYING = frozenset({"name", "id_card", "phone", "plate", "face"})


def masked_columns(run: Run) -> dict[str, str]:
    """Lower-case name -> dataset key of each identifying column the user reads masked."""
    found: dict[str, str] = {}
    for view in run.views.values():
        pii = view.schema.pii_fields()
        for name in view.access.columns:
            if pii.get(name) in IDENTIFYING and name not in view.access.clear:
                found.setdefault(name.lower(), view.dataset.key)
    return found


def _masked_in(nodes: Iterable[exp.Expr | None], masked: dict[str, str]) -> Iterator[str]:
    """The masked columns among ``nodes`` that are a bare column (aliased, in parentheses or
    cast at most): ``substr(id_number, 1, 6)`` is an area code, not a person, and stays
    allowed."""
    for node in nodes:
        while isinstance(node, exp.Alias | exp.Paren | exp.Cast | exp.TryCast):
            node = node.this
        if isinstance(node, exp.Column) and node.name.lower() in masked:
            yield node.name.lower()


def _selected(query: exp.Expr) -> list[exp.Expr]:
    return list(query.selects) if isinstance(query, exp.Query) else [query]


def _grouped(group: exp.Group) -> list[exp.Expr]:
    """What a GROUP BY groups by, with ``GROUP BY 1`` and ``GROUP BY ALL`` read as the select
    list's expressions they stand for."""
    select = group.parent
    selects = list(select.selects) if isinstance(select, exp.Select) else []
    if group.args.get("all"):
        return [e for e in selects if not e.find(exp.AggFunc)]
    found: list[exp.Expr] = []
    for item in group.expressions:
        if isinstance(item, exp.Literal) and not item.is_string and item.name.isdigit():
            position = int(item.name)
            if 1 <= position <= len(selects):
                found.append(selects[position - 1])
                continue
        found.append(item)
    for key in ("grouping_sets", "cube", "rollup"):
        for part in group.args.get(key) or []:
            found.extend(part.expressions or [part])
    return found


def _identity_uses(tree: exp.Expr, masked: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(column, how) for each use of a masked column as an identity."""
    for node in tree.walk():
        if isinstance(node, _EQUALITY):
            left = set(_masked_in([node.this], masked))
            right = set(_masked_in([node.expression], masked))
            if left and right:
                yield sorted(left)[0], "match"
        elif isinstance(node, exp.In):
            query = node.args.get("query")
            inside = (
                _selected(query.this if isinstance(query, exp.Subquery) else query) if query else []
            )
            others = [*node.expressions, *inside]
            if any(_masked_in([node.this], masked)) and any(_masked_in(others, masked)):
                yield next(_masked_in([node.this], masked)), "match"
        elif isinstance(node, exp.Join):
            for used in node.args.get("using") or []:
                if used.name.lower() in masked:
                    yield used.name.lower(), "match"
        elif isinstance(node, exp.Group):
            for name in _masked_in(_grouped(node), masked):
                yield name, "group"
        elif isinstance(node, exp.ApproxDistinct):
            for name in _masked_in([node.this], masked):
                yield name, "distinct"
        elif isinstance(node, exp.Window):
            for name in _masked_in(node.args.get("partition_by") or [], masked):
                yield name, "group"
        elif isinstance(node, exp.Distinct):
            parent = node.parent
            if isinstance(parent, exp.Select):  # SELECT DISTINCT [ON (…)]
                on = node.args.get("on")
                targets = [on] if on is not None else parent.selects
            else:  # count(DISTINCT …), string_agg(DISTINCT …)
                targets = node.expressions
            for name in _masked_in(targets, masked):
                yield name, "distinct"


def refuse_identity_uses(run: Run, tree: exp.Expr) -> None:
    """Raise a ``QueryError`` naming the first masked column used as an identity."""
    masked = masked_columns(run)
    if not masked:
        return
    for name, how in _identity_uses(tree, masked):
        raise QueryError.of(f"masked_{how}", dataset=masked[name], name=name)
