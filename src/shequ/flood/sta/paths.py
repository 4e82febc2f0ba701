"""A resource path (``Things(1)/Datastreams``) as segments, and where it leads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from shequ.core.errors import NotFound
from shequ.core.types import Requester
from shequ.flood.sta.entities import KINDS_BY_ID, SETS, EntitySet, Kinds, Source
from shequ.flood.sta.errors import BadRequest

_SEGMENT = re.compile(r"^(?P<name>\$?[A-Za-z]+)(?:\((?P<id>[^)]*)\))?$")


@dataclass(frozen=True)
class Segment:
    name: str
    id: int | None


def segments(path: str) -> list[Segment]:
    out = []
    for part in [p for p in path.strip("/").split("/") if p]:
        found = _SEGMENT.match(part)
        if found is None:
            raise NotFound(_("There is no %(part)s here.") % {"part": part}, "sta_not_found")
        raw = found.group("id")
        entity_id = None
        if raw is not None:
            text = raw.strip("'")
            if not text.isdigit():
                raise BadRequest(
                    _("%(part)s: ids are whole numbers.") % {"part": part},
                    fields={"path": [part]},
                )
            entity_id = int(text)
        out.append(Segment(found.group("name"), entity_id))
    return out


@dataclass(frozen=True)
class Target:
    """Where a path leads: one entity (``obj``), a collection (``source``) or a property."""

    set: EntitySet
    obj: Any = None
    source: Source | None = None
    prop: str | None = None
    raw_value: bool = False
    parent: Any = None  # the entity a navigation started from (for a POST)

    @property
    def single(self) -> bool:
        return self.source is None


def _missing(eset: EntitySet, entity_id: int) -> NotFound:
    return NotFound(
        _("No %(entity)s %(id)s (or not one you may see).")
        % {"entity": eset.singular, "id": entity_id},
        "sta_not_found",
    )


def resolve(user: Requester, path: list[Segment]) -> Target:
    """Follow the path from an entity set; 404 for what does not exist or is not visible."""
    first = path[0]
    eset = SETS.get(first.name)
    if eset is None:
        raise NotFound(
            _("There is no entity set %(name)s.") % {"name": first.name}, "sta_not_found"
        )
    target = Target(eset, source=eset.base(user))
    if first.id is not None:
        target = _one(eset, eset.get(user, first.id), first.id)
    for segment in path[1:]:
        if target.prop is not None and segment.name == "$value" and not target.raw_value:
            target = Target(target.set, target.obj, prop=target.prop, raw_value=True)
            continue
        if not target.single or target.prop is not None:
            raise NotFound(
                _("%(name)s cannot follow a collection or a property.") % {"name": segment.name},
                "sta_not_found",
            )
        nav = target.set.navs.get(segment.name)
        if nav is None:
            if segment.name in target.set.properties and segment.id is None:
                target = Target(target.set, target.obj, prop=segment.name)
                continue
            raise NotFound(
                _("%(entity)s has no %(name)s.")
                % {"entity": target.set.singular, "name": segment.name},
                "sta_not_found",
            )
        reached, next_set = nav.of(target.obj, user), SETS[nav.target]
        if nav.many and segment.id is None:
            target = Target(next_set, source=reached, parent=target.obj)
            continue
        if not nav.many and segment.id is not None:
            raise NotFound(
                _("%(name)s is one entity: it takes no id.") % {"name": segment.name},
                "sta_not_found",
            )
        obj = _first(reached, segment.id)
        target = _one(next_set, obj, segment.id)
    return target


def _first(source: Source, entity_id: int | None) -> Any:
    if isinstance(source, Kinds):
        if entity_id is None:
            return source.kinds[0] if source.kinds else None
        kind = KINDS_BY_ID.get(entity_id)
        return kind if kind in source.kinds else None
    if entity_id is not None:
        source = source.filter(pk=entity_id)
    return source.first()


def _one(eset: EntitySet, obj: Any, entity_id: int | None) -> Target:
    if obj is None:
        raise _missing(eset, entity_id or 0)
    return Target(eset, obj)
