"""Names in a query as people write them: a dataset or a field by its key or by its title.

``SELECT * FROM 户籍人口信息`` reads the dataset titled 户籍人口信息 and ``SELECT "姓名" FROM
people`` the field titled 姓名, exactly as if their keys had been written: the engine points
the query at the same masked, scoped views, so a title reaches nothing a key would not. Only
datasets the user may see are looked up, by title or for a "did you mean …?".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from sqlglot import exp

from shequ.hub.query.diagnose import suggest
from shequ.hub.query.errors import QueryError, Suggestion

if TYPE_CHECKING:
    from shequ.hub.models import Dataset


def find_dataset(name: str, seen: QuerySet[Dataset]) -> Dataset:
    """The dataset named ``name`` (its key, else its title) among ``seen``; 404 otherwise."""
    by_key = list(seen.filter(key__iexact=name))
    if by_key:
        return next((d for d in by_key if d.key == name), by_key[0])
    title = name.strip()
    by_title = list(seen.filter(Q(title__iexact=title) | Q(title_en__iexact=title)))
    if len(by_title) == 1:
        return by_title[0]
    if by_title:
        labels = sorted(_suggestion(d).label() for d in by_title)
        raise QueryError.of("ambiguous_dataset", name=repr(name), candidates=", ".join(labels))
    known = [Suggestion(k, t, te) for k, t, te in seen.values_list("key", "title", "title_en")]
    raise QueryError.of("unknown_dataset", 404, suggestions=suggest(name, known), name=repr(name))


def _suggestion(dataset: Dataset) -> Suggestion:
    return Suggestion(dataset.key, dataset.title, dataset.title_en)


def resolve_field_titles(tree: exp.Expression, sources: Mapping[str, Sequence[Suggestion]]) -> None:
    """Point columns written as a field's title at the field, in place.

    ``sources`` maps each table of the query (its alias or view name, lower case) to the fields
    the user may read there. A name that is a field or an alias of the query is left alone; a
    title selected as a column keeps the title as the result's column name.
    """
    real = {f.name.lower() for fields in sources.values() for f in fields}
    defined = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    defined |= {c.name.lower() for t in tree.find_all(exp.TableAlias) for c in t.columns}
    for column in list(tree.find_all(exp.Column)):
        ident = column.this
        if not isinstance(ident, exp.Identifier):
            continue
        written = ident.name
        if written.lower() in real or written.lower() in defined:
            continue
        qualifier = column.table.lower()
        if qualifier and qualifier not in sources:
            continue
        pools = [sources[qualifier]] if qualifier else list(sources.values())
        matches = sorted({f.name for pool in pools for f in pool if _titled(f, written)})
        if not matches:
            continue
        if len(matches) > 1:
            raise QueryError.of(
                "ambiguous_field", name=repr(written), candidates=", ".join(matches)
            )
        named = column.copy()
        named.set("this", exp.to_identifier(matches[0], quoted=True))
        if isinstance(column.parent, exp.Select) and column.arg_key == "expressions":
            column.replace(exp.alias_(named, written, quoted=True))
        else:
            column.replace(named)


def _titled(field: Suggestion, written: str) -> bool:
    wanted = written.strip().lower()
    return bool(wanted) and wanted in (field.title.strip().lower(), field.title_en.strip().lower())
